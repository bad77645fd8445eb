package wiring_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.uber.org/fx"

	"github.com/ade-go/ade/cmd/ade/wiring"
)

func TestWiring(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Wiring Suite")
}

// specAdminKey is the global admin key the specs' servers start with.
const specAdminKey = "ade_wiringspecs0123456789abcdefghijklmnopqrstuvwxyz"

// server is the graph of `ade serve` for c, with specAdminKey as its
// bootstrap key unless c names one; its console and log go to the
// GinkgoWriter.
func server(c wiring.Config) fx.Option {
	if c.BootstrapAdminKey == "" {
		c.BootstrapAdminKey = wiring.Secret(specAdminKey)
	}
	return wiring.Server(c, GinkgoWriter, GinkgoWriter)
}

// newRequest is an httptest request carrying specAdminKey.
func newRequest(method, target string, body io.Reader) *http.Request {
	req := httptest.NewRequest(method, target, body)
	req.Header.Set("Authorization", "Bearer "+specAdminKey)
	return req
}
