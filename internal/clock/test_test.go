package clock

import (
	"errors"
	"testing"
	"time"
)

func TestTestClockMovesForwardOnly(t *testing.T) {
	c := NewTest()
	if d := time.Since(c.Now()); d < 0 || d > time.Second {
		t.Fatalf("a new test clock is off real time by %v", d)
	}
	from, to, err := c.Advance(720 * time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if d := to.Sub(from); d < 720*time.Hour || d > 720*time.Hour+time.Second {
		t.Fatalf("Advance(720h) moved by %v", d)
	}
	if d := c.Now().Sub(time.Now()); d < 720*time.Hour-time.Second || d > 720*time.Hour+time.Second {
		t.Fatalf("after Advance(720h) the clock is %v ahead of real time", d)
	}
	target := time.Now().Add(1000 * time.Hour).UTC()
	if _, to, err = c.Set(target); err != nil || to.Before(target.Truncate(time.Microsecond)) || to.Sub(target) > time.Second {
		t.Fatalf("Set(%v) = %v, %v", target, to, err)
	}
	// Time keeps passing between moves.
	before := c.Now()
	time.Sleep(2 * time.Millisecond)
	if !c.Now().After(before) {
		t.Fatal("the test clock stood still")
	}
	if _, _, err := c.Set(time.Now()); !errors.Is(err, ErrBackwards) {
		t.Fatalf("Set into the past: %v, want ErrBackwards", err)
	}
	if _, _, err := c.Advance(-time.Hour); !errors.Is(err, ErrBackwards) {
		t.Fatalf("Advance(-1h): %v, want ErrBackwards", err)
	}
	if d := c.Now().Sub(target); d < 0 || d > time.Second {
		t.Fatalf("a refused move moved the clock: %v past the target", d)
	}
}
