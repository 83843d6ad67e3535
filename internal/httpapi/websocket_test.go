package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/graph"
	"github.com/stigg-selfhost/stiggql/internal/apitest"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/customers"
	"github.com/stigg-selfhost/stiggql/internal/events"
	"github.com/stigg-selfhost/stiggql/internal/httpapi"
	"github.com/stigg-selfhost/stiggql/internal/limits"
	"github.com/stigg-selfhost/stiggql/internal/observability"
	"github.com/stigg-selfhost/stiggql/internal/ratelimit"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// TestWebSocketOrigins: browser pages may open a WebSocket from the
// server's own origin and from the CORS origins, not from others.
func TestWebSocketOrigins(t *testing.T) {
	srv := newServer(t, func(o *httpapi.Options) { o.CORSOrigins = []string{"https://app.example.com"} })
	for origin, ok := range map[string]bool{
		"":                        true, // not a browser
		srv.URL:                   true, // same origin
		"https://app.example.com": true,
		"https://evil.example":    false,
	} {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		ws, err := apitest.DialWS(t, srv.URL, h)
		if (err == nil) != ok {
			t.Errorf("origin %q: err %v, want allowed %v", origin, err, ok)
			continue
		}
		if ok {
			if err := ws.Init(map[string]any{"apiKey": testKey}); err != nil {
				t.Errorf("origin %q: %v", origin, err)
			}
		}
	}
}

// TestWebSocketOutlivesRequestTimeout runs a subscription through every
// layer (access log and metrics, rate limits, a request timeout so short
// that any HTTP request fails): the WebSocket is exempt from the timeout
// and gets its event; closing Options.Shutdown closes it.
func TestWebSocketOutlivesRequestTimeout(t *testing.T) {
	st := testdb.Open(t, testdb.SQLite)
	ctx := context.Background()
	created, err := auth.Bootstrap(ctx, st.Client, testKey)
	if err != nil {
		t.Fatal(err)
	}
	bus := events.ForStore(st, nil)
	t.Cleanup(bus.Close)
	res := graph.NewResolver(st.Client, clock.System{}, nil).WithEvents(bus)
	lim := limits.Default()
	lim.Timeout = time.Nanosecond
	shutdown, closeSockets := context.WithCancel(ctx)
	defer closeSockets()
	srv := httptest.NewServer(httpapi.New(httpapi.Options{
		Resolver:  res,
		Auth:      auth.NewAuthenticator(st.Client, clock.System{}),
		Limits:    &lim,
		RateLimit: ratelimit.Config{Query: ratelimit.Rule{Rate: 100, Burst: 100}, Mutation: ratelimit.Rule{Rate: 100, Burst: 100}},
		Metrics:   observability.NewMetrics(),
		Shutdown:  shutdown,
	}))
	t.Cleanup(srv.Close)

	if r := post(t, srv, testKey, `{ customers { totalCount } }`); len(r.Errors) == 0 {
		t.Fatalf("HTTP request: %s, want it to run out of time (is the timeout in force?)", r.Body)
	}

	ws, err := apitest.DialWS(t, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.Init(map[string]any{"X-API-KEY": testKey}); err != nil {
		t.Fatal(err)
	}
	ws.Subscribe("1", `subscription { customerUpdated { customerId } }`, nil)
	wctx, cancel := context.WithTimeout(ctx, apitest.WSWait)
	defer cancel()
	if err := bus.Broker().WaitSubscribers(wctx, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := res.CustomerService.Create(ctx, created.Environment.ID, customers.CreateInput{CustomerID: "c1"}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		CustomerUpdated struct{ CustomerID string } `json:"customerUpdated"`
	}
	ws.NextData("1", &got)
	if got.CustomerUpdated.CustomerID != "c1" {
		t.Fatalf("got %+v", got)
	}

	closeSockets()
	for {
		m, err := ws.Next()
		if err != nil {
			break // closed
		}
		if m.Type != "complete" && m.Type != "error" {
			t.Fatalf("after shutdown: got %s, want the connection closed", m.Type)
		}
	}
}
