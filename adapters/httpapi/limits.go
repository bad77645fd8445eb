package httpapi

import (
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/time/rate"
)

// Limits are the quotas that keep one client from starving the others.
// Zero fields take the defaults. They hold per process: a deployment of N
// processes behind a load balancer allows N times each.
type Limits struct {
	// Rate is how many requests per second one key may make, sustained
	// (ADE_RATE_LIMIT): the refill of the key's token bucket.
	Rate float64
	// Burst is how many requests one key may make at once
	// (ADE_RATE_BURST): the size of the bucket.
	Burst int
	// Uploads bounds one key's uploads in progress
	// (ADE_MAX_CONCURRENT_UPLOADS).
	Uploads int
	// Jobs bounds the jobs running at once in one workspace
	// (ADE_MAX_RUNNING_JOBS). Jobs run during their request today, so a
	// submission over the cap is refused with 429 rather than queued.
	Jobs int
}

// Defaults of Limits.
const (
	DefaultRateLimit  = 50
	DefaultRateBurst  = 100
	DefaultMaxUploads = 4
	DefaultMaxJobs    = 4
)

func (l Limits) withDefaults() Limits {
	if l.Rate <= 0 {
		l.Rate = DefaultRateLimit
	}
	if l.Burst <= 0 {
		l.Burst = DefaultRateBurst
	}
	if l.Uploads <= 0 {
		l.Uploads = DefaultMaxUploads
	}
	if l.Jobs <= 0 {
		l.Jobs = DefaultMaxJobs
	}
	return l
}

// gateKind names a route's concurrency cap.
type gateKind int

const (
	noGate     gateKind = iota
	uploadGate          // per key
	jobGate             // per workspace
)

// Names of the limits in metrics.
const (
	limitRate    = "rate"
	limitUploads = "uploads"
	limitJobs    = "jobs"
)

func (g gateKind) String() string {
	switch g {
	case uploadGate:
		return limitUploads
	case jobGate:
		return limitJobs
	}
	return "none"
}

// concurrencyRetry is the Retry-After of a refusal by a concurrency cap:
// how long the work in progress takes is unknown, so a short, fixed wait.
const concurrencyRetry = time.Second

// maxBuckets bounds the token buckets kept; beyond it, full buckets (keys
// idle long enough to be back at Burst) are dropped, losing nothing.
const maxBuckets = 10_000

// limiter holds the per-key token buckets and the concurrency counts.
type limiter struct {
	l       Limits
	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	uploads counter // by key id
	jobs    counter // by workspace id
}

func newLimiter(l Limits) *limiter {
	l = l.withDefaults()
	return &limiter{l: l, buckets: map[string]*rate.Limiter{},
		uploads: counter{n: map[string]int{}, max: l.Uploads}, jobs: counter{n: map[string]int{}, max: l.Jobs}}
}

// rateLimitError is a 429: the error handler adds Retry-After (seconds).
type rateLimitError struct {
	detail     string
	retryAfter time.Duration
}

func (e *rateLimitError) Error() string        { return e.detail }
func (e *rateLimitError) Is(target error) bool { return target == errRateLimited }

// bucket returns the key's token bucket, creating it full.
func (l *limiter) bucket(keyID string, now time.Time) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[keyID]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			for id, o := range l.buckets {
				if o.TokensAt(now) >= float64(l.l.Burst) {
					delete(l.buckets, id)
				}
			}
		}
		b = rate.NewLimiter(rate.Limit(l.l.Rate), l.l.Burst)
		l.buckets[keyID] = b
	}
	return b
}

// charge takes one token from the key's bucket and sets the RateLimit-*
// headers (draft-ietf-httpapi-ratelimit-headers): Limit is the bucket
// size, Remaining the tokens left, Reset the seconds until the bucket is
// full again. An empty bucket is a *rateLimitError whose Retry-After is
// the time until the next token.
func (l *limiter) charge(c *fiber.Ctx, keyID string) error {
	now := time.Now()
	b := l.bucket(keyID, now)
	allowed := b.AllowN(now, 1)
	tokens := b.TokensAt(now)
	c.Set("RateLimit-Limit", strconv.Itoa(l.l.Burst))
	c.Set("RateLimit-Remaining", strconv.Itoa(max(0, int(math.Floor(tokens)))))
	c.Set("RateLimit-Reset", strconv.Itoa(ceilSeconds((float64(l.l.Burst)-tokens)/l.l.Rate)))
	if allowed {
		return nil
	}
	wait := time.Duration((1 - tokens) / l.l.Rate * float64(time.Second))
	return &rateLimitError{
		detail:     fmt.Sprintf("the rate limit of %g requests per second (bursts of %d) for this API key is used up", l.l.Rate, l.l.Burst),
		retryAfter: wait,
	}
}

// enter takes a slot of the route's concurrency cap, if it has one, and
// returns the function that gives it back.
func (l *limiter) enter(g gateKind, keyID, workspaceID string) (func(), error) {
	switch g {
	case uploadGate:
		if !l.uploads.enter(keyID) {
			return nil, &rateLimitError{
				detail:     fmt.Sprintf("this API key has %d uploads in progress already, the most it may have", l.l.Uploads),
				retryAfter: concurrencyRetry,
			}
		}
		return func() { l.uploads.leave(keyID) }, nil
	case jobGate:
		if !l.jobs.enter(workspaceID) {
			return nil, &rateLimitError{
				detail:     fmt.Sprintf("the workspace has %d jobs running already, the most it may have", l.l.Jobs),
				retryAfter: concurrencyRetry,
			}
		}
		return func() { l.jobs.leave(workspaceID) }, nil
	}
	return func() {}, nil
}

// counter counts work in progress by id, up to max each.
type counter struct {
	mu  sync.Mutex
	n   map[string]int
	max int
}

func (c *counter) enter(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[id] >= c.max {
		return false
	}
	c.n[id]++
	return true
}

func (c *counter) leave(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[id] <= 1 {
		delete(c.n, id)
		return
	}
	c.n[id]--
}

// ceilSeconds rounds a duration in seconds up to whole seconds, at least 0.
func ceilSeconds(s float64) int {
	if s <= 0 {
		return 0
	}
	return int(math.Ceil(s))
}
