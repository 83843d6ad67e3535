package ratelimit

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/clock"
)

var epoch = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func TestParseRule(t *testing.T) {
	for _, tc := range []struct {
		rate  string
		burst int
		want  Rule
		err   bool
	}{
		{"50", 100, Rule{Rate: 50, Burst: 100}, false},
		{"50/s", 0, Rule{Rate: 50, Burst: 50}, false},
		{"600/m", 0, Rule{Rate: 10, Burst: 10}, false},
		{"30/m", 0, Rule{Rate: 0.5, Burst: 1}, false},
		{"3600 / h", 5, Rule{Rate: 1, Burst: 5}, false},
		{"0", 0, Rule{}, false},
		{"", 0, Rule{}, true},
		{"-1", 0, Rule{}, true},
		{"5/d", 0, Rule{}, true},
		{"fast", 0, Rule{}, true},
		{"5", -1, Rule{}, true},
	} {
		got, err := ParseRule(tc.rate, tc.burst)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseRule(%q, %d) = %+v, %v; want %+v, error %v", tc.rate, tc.burst, got, err, tc.want, tc.err)
		}
	}
}

func TestAllowTokenBucket(t *testing.T) {
	clk := clock.NewManual(epoch)
	l := New(Config{Query: Rule{Rate: 2, Burst: 3}, Mutation: Rule{Rate: 1, Burst: 1}, Now: clk.Now})

	for i := 0; i < 3; i++ {
		if ok, _ := l.Allow("k1", Query); !ok {
			t.Fatalf("query %d of the burst refused", i+1)
		}
	}
	ok, wait := l.Allow("k1", Query)
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("4th query: ok=%v wait=%v, want refused for 500ms", ok, wait)
	}
	// A refusal takes nothing: after the wait, exactly one more goes through.
	clk.Advance(500 * time.Millisecond)
	if ok, _ := l.Allow("k1", Query); !ok {
		t.Fatal("query after the wait refused")
	}
	if ok, _ := l.Allow("k1", Query); ok {
		t.Fatal("second query after one token's wait allowed")
	}

	// Budgets are per key and per class.
	if ok, _ := l.Allow("k2", Query); !ok {
		t.Error("another key's query refused")
	}
	if ok, _ := l.Allow("k1", Mutation); !ok {
		t.Error("k1's first mutation refused")
	}
	if ok, wait := l.Allow("k1", Mutation); ok || RetryAfterSeconds(wait) != 1 {
		t.Errorf("k1's second mutation: ok=%v wait=%v", ok, wait)
	}
}

func TestDisabledClassIsUnlimited(t *testing.T) {
	l := New(Config{Mutation: Rule{Rate: 1, Burst: 1}, Now: clock.NewManual(epoch).Now})
	for i := 0; i < 1000; i++ {
		if ok, _ := l.Allow("k", Query); !ok {
			t.Fatal("query refused with no query budget set")
		}
	}
	if l.Len() != 0 {
		t.Errorf("%d buckets kept for an unlimited class", l.Len())
	}
}

func TestIdleBucketsAreEvicted(t *testing.T) {
	clk := clock.NewManual(epoch)
	l := New(Config{Query: Rule{Rate: 10, Burst: 10}, MaxKeys: 50, Now: clk.Now})
	for i := 0; i < 20; i++ {
		l.Allow(uuid.NewString(), Query)
	}
	if l.Len() != 20 {
		t.Fatalf("Len = %d, want 20", l.Len())
	}
	// A minute later all have refilled; the next call sweeps them.
	clk.Advance(time.Minute)
	l.Allow("fresh", Query)
	if l.Len() != 1 {
		t.Errorf("after a sweep Len = %d, want 1", l.Len())
	}
	// Busy keys beyond MaxKeys: memory stays bounded.
	for i := 0; i < 500; i++ {
		l.Allow(uuid.NewString(), Query)
		l.Allow(uuid.NewString(), Query)
	}
	if l.Len() > 50 {
		t.Errorf("Len = %d, want at most MaxKeys", l.Len())
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for d, want := range map[time.Duration]int{
		time.Millisecond:        1,
		time.Second:             1,
		1001 * time.Millisecond: 2,
		90 * time.Second:        90,
	} {
		if got := RetryAfterSeconds(d); got != want {
			t.Errorf("RetryAfterSeconds(%v) = %d, want %d", d, got, want)
		}
	}
}

// TestExtensionAndMiddleware runs the extension the way gqlgen does,
// between Middleware and the transport writing the response.
func TestExtensionAndMiddleware(t *testing.T) {
	clk := clock.NewManual(epoch)
	l := New(Config{Query: Rule{Rate: 1, Burst: 1}, Mutation: Rule{Rate: 0.1, Burst: 1}, Now: clk.Now})
	ext := l.Extension()
	key := &auth.Principal{APIKeyID: uuid.New(), EnvironmentID: uuid.New()}

	h := Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := ast.Query
		if r.URL.Query().Get("op") == "mutation" {
			op = ast.Mutation
		}
		opCtx := &graphql.OperationContext{Operation: &ast.OperationDefinition{Operation: op}}
		w.Header().Set("Content-Type", "application/json")
		if err := ext.MutateOperationContext(r.Context(), opCtx); err != nil {
			w.WriteHeader(http.StatusOK) // what gqlgen does for a user error
			_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{err}})
			return
		}
		_, _ = w.Write([]byte(`{"data":{}}`))
	}))
	send := func(op string, p *auth.Principal) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/graphql?op="+op, nil)
		if p != nil {
			req = req.WithContext(auth.WithPrincipal(context.Background(), p))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	if rec := send("query", key); rec.Code != http.StatusOK {
		t.Fatalf("first query: %d %s", rec.Code, rec.Body)
	}
	rec := send("query", key)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("second query: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	if !strings.Contains(rec.Body.String(), `"code":"RateLimitExceeded"`) {
		t.Errorf("body lacks the code: %s", rec.Body)
	}
	// Mutations have their own budget.
	if rec := send("mutation", key); rec.Code != http.StatusOK {
		t.Fatalf("first mutation: %d", rec.Code)
	}
	if rec := send("mutation", key); rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "10" {
		t.Fatalf("second mutation: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	// Requests without a key (public introspection) are not limited here.
	for i := 0; i < 3; i++ {
		if rec := send("query", nil); rec.Code != http.StatusOK {
			t.Fatalf("anonymous query %d: %d", i, rec.Code)
		}
	}
	clk.Advance(time.Second)
	if rec := send("query", key); rec.Code != http.StatusOK {
		t.Fatalf("query after Retry-After: %d", rec.Code)
	}
}
