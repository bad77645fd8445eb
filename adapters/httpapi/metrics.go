package httpapi

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ade-go/ade/domain"
)

// metrics are the adapter's Prometheus collectors.
type metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	uploadBytes prometheus.Counter
	jobs        *prometheus.CounterVec
	authFails   *prometheus.CounterVec
	limited     *prometheus.CounterVec
	connections prometheus.Gauge
	refused     prometheus.Counter
	panics      prometheus.Counter
}

// newMetrics registers the collectors on reg (a new registry with the Go
// and process collectors when nil). Registering twice on one registry is a
// wiring error and panics.
func newMetrics(reg *prometheus.Registry) *metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m := &metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ade_http_requests_total",
			Help: "HTTP requests by method, route template and status code.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ade_http_request_duration_seconds",
			Help:    "HTTP request latency by method and route template (until the handler returns; streamed bodies continue after).",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
		uploadBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ade_upload_bytes_total",
			Help: "Bytes of documents stored through uploads.",
		}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ade_jobs_total",
			Help: "Jobs that reached a terminal status through the API, by status.",
		}, []string{"status"}),
		authFails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ade_auth_failures_total",
			Help: "Requests refused with 401, by reason (missing, malformed, unknown, revoked). Never labelled by key.",
		}, []string{"reason"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ade_rate_limited_total",
			Help: "Requests refused with 429, by limit (rate, uploads, jobs). Never labelled by key.",
		}, []string{"limit"}),
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ade_http_connections",
			Help: "HTTP connections open.",
		}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ade_http_connections_refused_total",
			Help: "Connections answered 503 and closed: over the connection cap, or during shutdown.",
		}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ade_http_panics_total",
			Help: "Requests whose handler panicked (answered 500; the stack is logged).",
		}),
	}
	reg.MustRegister(m.requests, m.latency, m.uploadBytes, m.jobs, m.authFails, m.limited, m.connections, m.refused, m.panics)
	for _, r := range []string{"missing", "malformed", "unknown", "revoked"} {
		m.authFails.WithLabelValues(r)
	}
	for _, l := range []string{limitRate, limitUploads, limitJobs} {
		m.limited.WithLabelValues(l)
	}
	for _, st := range []domain.JobStatus{domain.JobSucceeded, domain.JobFailed, domain.JobCancelled} {
		m.jobs.WithLabelValues(string(st))
	}
	return m
}

// setConnections records the open connection count.
func (m *metrics) setConnections(n int) { m.connections.Set(float64(n)) }

func (m *metrics) observe(method, route string, status int, d time.Duration) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(method, route).Observe(d.Seconds())
}

// jobFinished counts a job the API saw reach a terminal status.
func (m *metrics) jobFinished(st domain.JobStatus) {
	if st.IsTerminal() {
		m.jobs.WithLabelValues(string(st)).Inc()
	}
}

// authFailed counts a 401 by reason.
func (m *metrics) authFailed(reason string) { m.authFails.WithLabelValues(reason).Inc() }

// rateLimited counts a 429 by limit.
func (m *metrics) rateLimited(limit string) { m.limited.WithLabelValues(limit).Inc() }

func (m *metrics) handler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
}
