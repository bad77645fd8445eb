package webhooksender_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/ade-go/ade/adapters/webhooksender"
	"github.com/ade-go/ade/domain"
	"github.com/ade-go/ade/ports"
)

// receiver counts the requests it gets and answers with handle.
func receiver(t *testing.T, handle http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		handle(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestSendPostsTheBodyAndHeaders(t *testing.T) {
	var gotBody, gotSig, gotType, gotMethod string
	srv, _ := receiver(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotBody, gotSig, gotType, gotMethod = string(b), r.Header.Get("ADE-Signature"), r.Header.Get("Content-Type"), r.Method
		w.WriteHeader(http.StatusNoContent)
	})
	s := webhooksender.New(webhooksender.Options{AllowPrivate: true})
	status, err := s.Send(context.Background(), ports.WebhookRequest{URL: srv.URL + "/hook", Body: []byte(`{"a":1}`),
		Headers: map[string]string{"ADE-Signature": "t=1,v1=ab", "Content-Type": "application/json"}})
	if err != nil || status != http.StatusNoContent {
		t.Fatalf("Send = %d, %v; want 204, nil", status, err)
	}
	if gotMethod != http.MethodPost || gotBody != `{"a":1}` || gotSig != "t=1,v1=ab" || gotType != "application/json" {
		t.Fatalf("the receiver got %s %q, signature %q, type %q", gotMethod, gotBody, gotSig, gotType)
	}
}

func TestSendNeverFollowsRedirects(t *testing.T) {
	target, reached := receiver(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	for _, code := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		origin, _ := receiver(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL+"/elsewhere", code)
		})
		s := webhooksender.New(webhooksender.Options{AllowPrivate: true})
		status, err := s.Send(context.Background(), ports.WebhookRequest{URL: origin.URL, Body: []byte("{}")})
		if err != nil || status != code {
			t.Fatalf("Send through a %d = %d, %v; want the redirect itself as the answer", code, status, err)
		}
	}
	if n := reached.Load(); n != 0 {
		t.Fatalf("the redirect target got %d requests; want none", n)
	}
}

func TestCheckURLRefusesTheServersOwnNetworks(t *testing.T) {
	s := webhooksender.New(webhooksender.Options{})
	for _, u := range []string{
		"http://127.0.0.1:8000/hook", "http://[::1]/hook", "http://10.1.2.3/", "http://192.168.0.10/", "http://172.16.0.1/",
		"http://169.254.169.254/latest/meta-data", "http://100.64.0.1/", "http://0.0.0.0/", "http://[fe80::1]/", "http://[::ffff:127.0.0.1]/",
		"not a url", "/relative/path", "http:///no-host",
	} {
		err := s.CheckURL(context.Background(), u)
		var ve *domain.ValidationError
		if !errors.Is(err, domain.ErrUnprocessable) || !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != "url" {
			t.Errorf("CheckURL(%q) = %v; want an unprocessable error naming url", u, err)
		}
	}
	for _, u := range []string{"https://8.8.8.8/hook", "http://[2001:4860:4860::8888]/"} {
		if err := s.CheckURL(context.Background(), u); err != nil {
			t.Errorf("CheckURL(%q) = %v; want nil (a public address)", u, err)
		}
	}
	if err := webhooksender.New(webhooksender.Options{AllowPrivate: true}).CheckURL(context.Background(), "http://127.0.0.1:8000/hook"); err != nil {
		t.Errorf("with AllowPrivate, CheckURL(loopback) = %v; want nil", err)
	}
}

func TestSendRefusesAPrivateAddressAtDialTime(t *testing.T) {
	// A URL registered while its name resolved elsewhere: Send checks the
	// address it actually dials.
	srv, reached := receiver(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	s := webhooksender.New(webhooksender.Options{})
	status, err := s.Send(context.Background(), ports.WebhookRequest{URL: srv.URL, Body: []byte("{}")})
	if err == nil || status != 0 {
		t.Fatalf("Send to loopback = %d, %v; want an error and no status", status, err)
	}
	if n := reached.Load(); n != 0 {
		t.Fatalf("the loopback receiver got %d requests; want none", n)
	}
}
