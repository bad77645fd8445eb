package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/valyala/fasthttp"
)

// Transport bounds what one connection may hold, and for how long, so that
// clients that send nothing, trickle their headers or their body, or stop
// reading, cannot pin the server's connections. Zero fields take the
// defaults.
type Transport struct {
	// HeaderTimeout is how long a request's line and headers may take to
	// arrive, counted from the connection's start or, on a kept-alive
	// connection, from the request's first byte (ADE_HTTP_HEADER_TIMEOUT).
	HeaderTimeout time.Duration
	// BodyTimeout is the longest one read of a request body or one write
	// of a response may wait for the client (ADE_HTTP_BODY_TIMEOUT). It is
	// per read and per write, not for the whole exchange, so a large
	// upload or download at any steady rate is never cut.
	BodyTimeout time.Duration
	// BodyMinRate is the average rate, in bytes per second, below which a
	// request body is cut once BodyTimeout has passed
	// (ADE_HTTP_BODY_MIN_RATE): each byte received buys 1/BodyMinRate
	// seconds, so a client that trickles bytes just often enough to keep
	// each read alive is still bounded.
	BodyMinRate int64
	// IdleTimeout is how long a kept-alive connection may wait for its
	// next request (ADE_HTTP_IDLE_TIMEOUT).
	IdleTimeout time.Duration
	// MaxConnections caps the open connections; one more is answered 503
	// with Retry-After and closed (ADE_HTTP_MAX_CONNECTIONS).
	MaxConnections int
}

// Defaults of Transport.
const (
	DefaultHeaderTimeout  = 10 * time.Second
	DefaultBodyTimeout    = 30 * time.Second
	DefaultBodyMinRate    = 1 << 10
	DefaultIdleTimeout    = 60 * time.Second
	DefaultMaxConnections = 1024
)

func (t Transport) withDefaults() Transport {
	if t.HeaderTimeout <= 0 {
		t.HeaderTimeout = DefaultHeaderTimeout
	}
	if t.BodyTimeout <= 0 {
		t.BodyTimeout = DefaultBodyTimeout
	}
	if t.BodyMinRate <= 0 {
		t.BodyMinRate = DefaultBodyMinRate
	}
	if t.IdleTimeout <= 0 {
		t.IdleTimeout = DefaultIdleTimeout
	}
	if t.MaxConnections <= 0 {
		t.MaxConnections = DefaultMaxConnections
	}
	return t
}

// connTracker knows every open connection: it enforces the connection
// cap, and at shutdown closes what holds no request at once and, at the
// drain deadline, everything left.
type connTracker struct {
	max          int
	writeTimeout time.Duration
	onOpen       func(open int)
	onRefuse     func()

	mu      sync.Mutex
	conns   map[*trackedConn]struct{}
	closing bool
	// lingering bounds the refused connections being drained at once.
	lingering chan struct{}
}

func newConnTracker(t Transport, onOpen func(int), onRefuse func()) *connTracker {
	return &connTracker{
		max: t.MaxConnections, writeTimeout: t.BodyTimeout, onOpen: onOpen, onRefuse: onRefuse,
		conns: map[*trackedConn]struct{}{}, lingering: make(chan struct{}, 1024),
	}
}

// add tracks nc, or refuses it (nil) when the cap is reached or the server
// is shutting down.
func (t *connTracker) add(nc net.Conn) *trackedConn {
	t.mu.Lock()
	if t.closing || len(t.conns) >= t.max {
		t.mu.Unlock()
		t.onRefuse()
		t.refuse(nc)
		return nil
	}
	c := &trackedConn{Conn: nc, t: t}
	t.conns[c] = struct{}{}
	n := len(t.conns)
	t.mu.Unlock()
	t.onOpen(n)
	return c
}

func (t *connTracker) remove(c *trackedConn) {
	t.mu.Lock()
	_, ok := t.conns[c]
	delete(t.conns, c)
	n := len(t.conns)
	t.mu.Unlock()
	if ok {
		t.onOpen(n)
	}
}

// beginShutdown refuses new connections and closes every connection that
// holds no request: idle ones, and ones that have sent nothing since they
// opened or since their last response. It returns how many it closed.
func (t *connTracker) beginShutdown() int {
	t.mu.Lock()
	t.closing = true
	var quiet []*trackedConn
	for c := range t.conns {
		if !c.busy.Load() {
			quiet = append(quiet, c)
		}
	}
	t.mu.Unlock()
	for _, c := range quiet {
		_ = c.Close()
	}
	return len(quiet)
}

// closeAll closes every connection still open and returns how many.
func (t *connTracker) closeAll() int {
	t.mu.Lock()
	all := make([]*trackedConn, 0, len(t.conns))
	for c := range t.conns {
		all = append(all, c)
	}
	t.mu.Unlock()
	for _, c := range all {
		_ = c.Close()
	}
	return len(all)
}

// open returns how many connections are open.
func (t *connTracker) open() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.conns)
}

// connState is fasthttp's connection state hook: a connection that has
// answered its request holds none until its next byte arrives.
func (t *connTracker) connState(nc net.Conn, state fasthttp.ConnState) {
	c, ok := nc.(*trackedConn)
	if !ok {
		return
	}
	switch state {
	case fasthttp.StateIdle:
		c.busy.Store(false)
	case fasthttp.StateClosed, fasthttp.StateHijacked:
		t.remove(c)
	}
}

// refusalRetry is the Retry-After of a connection refused over the cap.
const refusalRetry = unavailableRetry

// refuse answers a connection the server will not serve with a 503
// problem and closes it. The answer is written before the request is
// read; the connection then lingers briefly, reading what the client
// sends, so that closing it does not reset the connection under the
// answer.
func (t *connTracker) refuse(nc net.Conn) {
	rid := ulid.Make().String()
	p := Problem{
		Type: problemType(CodeServiceUnavailable), Title: "Service unavailable", Status: 503,
		Detail: "the server is at its connection limit or shutting down; retry later",
		Code:   CodeServiceUnavailable, RequestID: rid,
	}
	body, _ := json.Marshal(p)
	head := "HTTP/1.1 503 Service Unavailable\r\n" +
		"Content-Type: " + problemContentType + "\r\n" +
		"Retry-After: " + refusalRetry + "\r\n" +
		"X-Request-ID: " + rid + "\r\n" +
		"X-Content-Type-Options: nosniff\r\n" +
		"Cache-Control: no-store\r\n" +
		"Connection: close\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = nc.Write(append([]byte(head), body...))
	select {
	case t.lingering <- struct{}{}:
		go func() {
			defer func() { <-t.lingering }()
			if tc, ok := nc.(interface{ CloseWrite() error }); ok {
				_ = tc.CloseWrite()
			}
			_ = nc.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
			_, _ = io.CopyN(io.Discard, nc, 64<<10)
			_ = nc.Close()
		}()
	default:
		_ = nc.Close()
	}
}

// trackedConn is a connection the tracker knows. Every write waits at most
// the body timeout for the client to take bytes.
type trackedConn struct {
	net.Conn
	t *connTracker
	// busy: bytes of a request arrived since the connection opened or
	// since its last response.
	busy   atomic.Bool
	closed sync.Once
	err    error
}

func (c *trackedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.busy.Store(true)
	}
	return n, err
}

func (c *trackedConn) Write(p []byte) (int, error) {
	if c.t.writeTimeout > 0 {
		_ = c.Conn.SetWriteDeadline(time.Now().Add(c.t.writeTimeout))
	}
	return c.Conn.Write(p)
}

func (c *trackedConn) Close() error {
	c.closed.Do(func() {
		c.t.remove(c)
		c.err = c.Conn.Close()
	})
	return c.err
}

// trackedListener hands the server tracked connections only.
type trackedListener struct {
	net.Listener
	t *connTracker
}

func (l *trackedListener) Accept() (net.Conn, error) {
	for {
		nc, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if c := l.t.add(nc); c != nil {
			return c, nil
		}
	}
}

// bodyTimeoutError is a request body that stopped arriving, or arrived
// slower than the minimum rate.
type bodyTimeoutError struct{ err error }

func (e *bodyTimeoutError) Error() string        { return "request body timed out: " + e.err.Error() }
func (e *bodyTimeoutError) Unwrap() error        { return e.err }
func (e *bodyTimeoutError) Is(target error) bool { return target == errRequestTimeout }

// guardedBody reads a streamed request body with the transport's read
// rules: each read waits at most perRead, and the body as a whole may not
// fall behind minRate once perRead has passed.
type guardedBody struct {
	r       io.Reader
	conn    net.Conn
	perRead time.Duration
	minRate int64
	start   time.Time
	n       int64
}

func newGuardedBody(r io.Reader, conn net.Conn, t Transport) *guardedBody {
	return &guardedBody{r: r, conn: conn, perRead: t.BodyTimeout, minRate: t.BodyMinRate, start: time.Now()}
}

func (g *guardedBody) Read(p []byte) (int, error) {
	if g.conn != nil {
		deadline := time.Now().Add(g.perRead)
		earned := time.Duration(float64(g.n) / float64(g.minRate) * float64(time.Second))
		if budget := g.start.Add(g.perRead + earned); budget.Before(deadline) {
			deadline = budget
		}
		_ = g.conn.SetReadDeadline(deadline)
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		err = &bodyTimeoutError{err}
	}
	return n, err
}
