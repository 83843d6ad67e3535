// Package ratelimit throttles each API key with token buckets, one per key
// and operation class (queries and mutations have separate budgets). A
// request over its budget is refused before it executes, with code
// RateLimitExceeded, HTTP status 429 and a Retry-After header.
//
// The check needs the parsed operation (its class, and persisted queries
// carry no text), so it runs as a gqlgen extension; the HTTP status is set
// by Middleware, which must wrap the GraphQL handler.
package ratelimit

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Class is the kind of operation a budget applies to.
type Class string

// The operation classes. Subscriptions, should they come, count as queries.
const (
	Query    Class = "query"
	Mutation Class = "mutation"
)

// Rule is one budget: Rate operations per second on average, in bursts of
// up to Burst. A zero Rate means no limit.
type Rule struct {
	Rate  float64
	Burst int
}

// Enabled reports whether the rule limits anything.
func (r Rule) Enabled() bool { return r.Rate > 0 }

func (r Rule) String() string {
	if !r.Enabled() {
		return "off"
	}
	return fmt.Sprintf("%s/s burst %d", strconv.FormatFloat(r.Rate, 'f', -1, 64), r.Burst)
}

// ParseRule reads a rate as "N", "N/s", "N/m" or "N/h" (N operations per
// second, minute or hour; "0" for no limit) with a burst. A burst of 0
// means one second's worth of operations, and at least 1.
func ParseRule(rateText string, burst int) (Rule, error) {
	s := strings.TrimSpace(rateText)
	per := time.Second
	if num, unit, ok := strings.Cut(s, "/"); ok {
		s = strings.TrimSpace(num)
		switch strings.TrimSpace(unit) {
		case "s", "sec", "second":
		case "m", "min", "minute":
			per = time.Minute
		case "h", "hour":
			per = time.Hour
		default:
			return Rule{}, fmt.Errorf("rate %q: unit must be s, m or h", rateText)
		}
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n < 0 || math.IsInf(n, 0) || math.IsNaN(n) {
		return Rule{}, fmt.Errorf("rate %q: want a number of operations per s, m or h, like 50/s", rateText)
	}
	if burst < 0 {
		return Rule{}, fmt.Errorf("burst %d: must not be negative", burst)
	}
	r := Rule{Rate: n / per.Seconds(), Burst: burst}
	if r.Enabled() && r.Burst == 0 {
		r.Burst = max(1, int(math.Ceil(r.Rate)))
	}
	return r, nil
}

// Config sets the budgets. The zero value limits nothing.
type Config struct {
	Query    Rule
	Mutation Rule
	// MaxKeys bounds the number of buckets kept (default 100,000). Buckets
	// idle long enough to have refilled are dropped every minute, as they
	// are no different from new ones.
	MaxKeys int
	// Now is the clock; time.Now when nil. Tests move it instead of sleeping.
	Now func() time.Time
}

// Enabled reports whether any class is limited.
func (c Config) Enabled() bool { return c.Query.Enabled() || c.Mutation.Enabled() }

const (
	defaultMaxKeys = 100_000
	sweepEvery     = time.Minute
)

// Limiter holds the buckets. It is safe for concurrent use.
type Limiter struct {
	rules   map[Class]Rule
	maxKeys int
	now     func() time.Time

	mu        sync.Mutex
	buckets   map[bucketKey]*rate.Limiter
	lastSweep time.Time
}

type bucketKey struct {
	class Class
	key   string
}

// New returns a Limiter with cfg's budgets.
func New(cfg Config) *Limiter {
	l := &Limiter{
		rules:   map[Class]Rule{Query: cfg.Query, Mutation: cfg.Mutation},
		maxKeys: cfg.MaxKeys,
		now:     cfg.Now,
		buckets: map[bucketKey]*rate.Limiter{},
	}
	if l.maxKeys <= 0 {
		l.maxKeys = defaultMaxKeys
	}
	if l.now == nil {
		l.now = time.Now
	}
	l.lastSweep = l.now()
	return l
}

// Allow takes one operation of class from key's budget. When the budget is
// spent it takes nothing and returns false with the time until one
// operation will be allowed again.
func (l *Limiter) Allow(key string, class Class) (bool, time.Duration) {
	rule, ok := l.rules[class]
	if !ok || !rule.Enabled() {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= sweepEvery || len(l.buckets) >= l.maxKeys {
		l.sweep(now)
	}
	k := bucketKey{class, key}
	b, ok := l.buckets[k]
	if !ok {
		b = rate.NewLimiter(rate.Limit(rule.Rate), rule.Burst)
		l.buckets[k] = b
	}
	res := b.ReserveN(now, 1)
	if !res.OK() {
		return false, time.Duration(math.MaxInt64)
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep drops buckets that are full again: a new bucket would be the same.
// When more than 99% of MaxKeys are still in use, arbitrary ones are
// dropped down to that, so memory stays bounded (those keys' budgets start
// afresh) and the next sweeps are not due at once.
func (l *Limiter) sweep(now time.Time) {
	l.lastSweep = now
	for k, b := range l.buckets {
		if b.TokensAt(now) >= float64(b.Burst()) {
			delete(l.buckets, k)
		}
	}
	keep := min(l.maxKeys-1, l.maxKeys-l.maxKeys/100)
	for k := range l.buckets {
		if len(l.buckets) <= keep {
			break
		}
		delete(l.buckets, k)
	}
}

// Len returns the number of buckets held.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// RetryAfterSeconds is d rounded up to whole seconds, at least 1, as the
// Retry-After header wants it.
func RetryAfterSeconds(d time.Duration) int {
	if d >= time.Duration(math.MaxInt32)*time.Second {
		return math.MaxInt32
	}
	return max(1, int(math.Ceil(d.Seconds())))
}
