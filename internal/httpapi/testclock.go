package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/requestid"
)

// TestClockPath is where a server started with --test-clock lets tests
// read and move its clock (Options.TestClock). Never mounted otherwise.
const TestClockPath = "/_test/clock"

// testClockMove is the body of POST TestClockPath: exactly one of Set (an
// RFC 3339 time) and Advance (a Go duration such as "720h").
type testClockMove struct {
	Set     *string `json:"set"`
	Advance *string `json:"advance"`
}

// testClockAnswer is what a move answers: the clock's time, where it moved
// from, how many scheduled subscription updates the move made due and
// applied, and how many entitlementsUpdated events went out for customers
// whose entitlements depend on the time. GET answers {"now": ...}.
type testClockAnswer struct {
	Now                     time.Time `json:"now"`
	From                    time.Time `json:"from"`
	ScheduledUpdatesApplied int       `json:"scheduledUpdatesApplied"`
	EntitlementsUpdated     int       `json:"entitlementsUpdated"`
}

// testClock serves TestClockPath behind RequireAPIKey: GET reads the
// clock, POST moves it forward, for a server key only. A move runs what
// it makes due before answering: the scheduled subscription updates (the
// worker's ApplyDue, at the new time) and the entitlementsUpdated events
// of events.Bus.ClockMoved, so a test that moved the clock can check the
// effects at once. Moves are serialised.
func (o Options) testClock() http.Handler {
	c, res := o.TestClock, o.Resolver
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := auth.FromContext(r.Context()); p == nil || p.IsClient() {
			writeError(w, http.StatusForbidden, apperr.IdentityForbidden, "the test clock takes a server API key")
			return
		}
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, map[string]time.Time{"now": c.Now()})
			return
		case http.MethodPost:
		default:
			w.Header().Set("Allow", "GET, POST")
			writeError(w, http.StatusMethodNotAllowed, apperr.BadUserInput, "GET reads the test clock, POST moves it")
			return
		}
		var move testClockMove
		dec := json.NewDecoder(io.LimitReader(r.Body, 4096))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&move); err != nil || (move.Set == nil) == (move.Advance == nil) {
			writeError(w, http.StatusBadRequest, apperr.BadUserInput, `send {"set": "<RFC 3339 time>"} or {"advance": "<Go duration, e.g. 720h>"}`)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		var from, to time.Time
		var err error
		if move.Set != nil {
			var t time.Time
			if t, err = time.Parse(time.RFC3339Nano, *move.Set); err != nil {
				writeError(w, http.StatusBadRequest, apperr.BadUserInput, fmt.Sprintf("set: %q is not an RFC 3339 time", *move.Set))
				return
			}
			from, to, err = c.Set(t)
		} else {
			var d time.Duration
			if d, err = time.ParseDuration(*move.Advance); err != nil {
				writeError(w, http.StatusBadRequest, apperr.BadUserInput, fmt.Sprintf("advance: %q is not a Go duration (e.g. 720h)", *move.Advance))
				return
			}
			from, to, err = c.Advance(d)
		}
		if errors.Is(err, clock.ErrBackwards) {
			writeError(w, http.StatusBadRequest, apperr.BadUserInput, fmt.Sprintf("%v: it is %s", err, from.Format(time.RFC3339Nano)))
			return
		}
		o.Log.WarnContext(r.Context(), "test clock moved", "from", from, "to", to)
		ans := testClockAnswer{Now: to, From: from}
		if ans.ScheduledUpdatesApplied, err = res.SubscriptionService.ApplyDue(r.Context(), to); err == nil && res.Events != nil {
			ans.EntitlementsUpdated, err = res.Events.ClockMoved(r.Context(), res.Client, from)
		}
		if err != nil {
			id := requestid.From(r.Context())
			o.Log.ErrorContext(r.Context(), "test clock: applying the move", "request_id", id, "error", err.Error())
			writeError(w, http.StatusInternalServerError, apperr.UnexpectedError, "the clock moved, but applying what became due failed (request id "+id+")")
			return
		}
		writeJSON(w, ans)
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
