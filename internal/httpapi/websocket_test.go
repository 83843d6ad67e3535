package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gorilla/websocket"

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

// TestWebSocketKeyPlacesAndRefusals: the key is accepted wherever clients
// put it in connection_init (top level under any case, or in a "headers"
// object as Stigg's SDKs send it), and a connection without a valid key is
// closed with 4401 and a reason Stigg's SDKs recognise, never with 1000
// (which graphql-ws clients answer by reconnecting at once, in a loop).
func TestWebSocketKeyPlacesAndRefusals(t *testing.T) {
	srv := newServer(t, nil)
	for name, payload := range map[string]map[string]any{
		"X-API-KEY":                {"X-API-KEY": testKey},
		"x-api-key":                {"x-api-key": testKey},
		"X-Api-Key":                {"X-Api-Key": testKey},
		"apiKey":                   {"apiKey": testKey},
		"headers.X-API-KEY (SDKs)": {"headers": map[string]any{"X-API-KEY": testKey, "source": "node-server-sdk"}},
		"headers.x-api-key":        {"headers": map[string]any{"x-api-key": testKey}},
		"Headers.X-Api-Key":        {"Headers": map[string]any{"X-Api-Key": testKey}},
		"empty top level, headers": {"X-API-KEY": "", "headers": map[string]any{"X-API-KEY": testKey}},
	} {
		ws, err := apitest.DialWS(t, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := ws.Init(payload); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		ws.Close()
	}

	for _, tc := range []struct {
		name    string
		header  http.Header
		payload map[string]any
		reason  string
	}{
		{"no key", nil, map[string]any{}, "Missing API key"},
		{"no payload", nil, nil, "Missing API key"},
		{"wrong key", nil, map[string]any{"X-API-KEY": "server-wrong"}, "Invalid API key"},
		{"wrong key in headers", nil, map[string]any{"headers": map[string]any{"X-API-KEY": "server-wrong"}}, "Invalid API key"},
		{"wrong key in the upgrade header", http.Header{"X-Api-Key": {"server-wrong"}}, map[string]any{"X-API-KEY": testKey}, "Invalid API key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws, err := apitest.DialWS(t, srv.URL, tc.header)
			if err != nil {
				t.Fatal(err)
			}
			err = ws.Init(tc.payload)
			var ce *websocket.CloseError
			if !errors.As(err, &ce) {
				t.Fatalf("Init: %v, want the connection closed", err)
			}
			if ce.Code != 4401 || ce.Text != tc.reason {
				t.Errorf("closed with %d %q, want 4401 %q", ce.Code, ce.Text, tc.reason)
			}
		})
	}

	// A valid key in the upgrade's header needs nothing in connection_init.
	ws, err := apitest.DialWS(t, srv.URL, http.Header{"X-Api-Key": {testKey}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.Init(nil); err != nil {
		t.Errorf("header key: %v", err)
	}
}
