package clock

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Test is the clock of a server started with --test-clock: the real clock
// moved forward by an offset that Set and Advance only ever grow. It starts
// at real time, and time keeps passing between moves, as it does for the
// clients of the server under test. It is safe for concurrent use.
//
// It exists for tests of a running server (a Stigg SDK suite that needs a
// usage period, a trial or a scheduled update to end) and never belongs in
// production: moving it changes every date the server computes.
type Test struct {
	offset atomic.Int64 // nanoseconds ahead of the real clock
	mu     sync.Mutex   // serialises moves
}

// NewTest returns a Test clock at real time.
func NewTest() *Test { return &Test{} }

// Now returns the real time plus the clock's offset, in UTC, truncated to
// microseconds as System's is.
func (c *Test) Now() time.Time {
	return time.Now().Add(time.Duration(c.offset.Load())).UTC().Truncate(time.Microsecond)
}

// ErrBackwards refuses a move into the past: rows written since would lie
// in the clock's future, and a usage period or trial already over would
// begin again. Restart the server for a fresh clock.
var ErrBackwards = errors.New("the test clock only moves forward")

// Set moves the clock to t and returns the times it moved from and to.
func (c *Test) Set(t time.Time) (from, to time.Time, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	from = c.Now()
	if t.Before(from) {
		return from, from, ErrBackwards
	}
	c.offset.Add(int64(t.Sub(from)))
	return from, c.Now(), nil
}

// Advance moves the clock forward by d and returns the times it moved from
// and to.
func (c *Test) Advance(d time.Duration) (from, to time.Time, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	from = c.Now()
	if d < 0 {
		return from, from, ErrBackwards
	}
	c.offset.Add(int64(d))
	return from, c.Now(), nil
}
