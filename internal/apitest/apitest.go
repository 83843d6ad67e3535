// Package apitest runs the real HTTP handler in-process for tests: a fresh
// database, a manual clock, and API keys for as many environments as a test
// needs. Tests talk to it the way clients do, with GraphQL documents and the
// X-API-KEY header.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/graph"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/catalog"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/events"
	"github.com/stigg-selfhost/stiggql/internal/httpapi"
	"github.com/stigg-selfhost/stiggql/internal/sqlcount"
)

// Epoch is where every test clock starts.
var Epoch = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// Server is a handler under test.
type Server struct {
	T        testing.TB
	Store    *db.Store
	Clock    *clock.Manual
	Resolver *graph.Resolver
	// Events is the resolver's event bus (in process on SQLite, LISTEN/
	// NOTIFY on PostgreSQL), already accepting subscriptions.
	Events  *events.Bus
	Handler http.Handler
	// Key is a server key of the default environment.
	Key string
	// Logs holds what the server logged, to check nothing leaks.
	Logs *bytes.Buffer
	// Statements counts the SQL statements the server under test runs
	// (the resolvers' ent client goes through it).
	Statements *sqlcount.Counter

	faults *faultDriver
}

// New starts a handler over st with a default environment and key.
func New(t testing.TB, st *db.Store) *Server {
	t.Helper()
	clk := clock.NewManual(Epoch)
	logs := &bytes.Buffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	bus := events.ForStore(st, log)
	bus.Start(context.Background())
	t.Cleanup(bus.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := bus.WaitReady(ctx); err != nil {
		t.Fatalf("events: the bus did not start listening: %v", err)
	}
	// The resolver's client counts statements, so tests can prove nested
	// lists are batched.
	drv := st.Driver
	if drv == nil {
		drv = entsql.OpenDB(st.Dialect, st.DB)
	}
	counter := &sqlcount.Counter{}
	faults := &faultDriver{Driver: counter.Wrap(drv)}
	client := ent.NewClient(ent.Driver(faults))
	client.Use(db.GuardJSON) // as db.Open does for st.Client
	res := graph.NewResolver(client, clk, log).WithEvents(bus)
	res.EnableCaches(st.Dialect)
	res.EnablePipelining(faults)
	s := &Server{T: t, Store: st, Clock: clk, Resolver: res, Events: bus, Logs: logs, Statements: counter, faults: faults}
	s.Handler = httpapi.New(httpapi.Options{
		Resolver: res,
		Auth:     auth.NewAuthenticator(st.Client, clk),
		Log:      log,
		Ready:    st.DB.PingContext,
	})
	s.Key = s.NewKey("default")
	return s
}

// LoadDemoCatalog loads the embedded demo catalog into the default
// environment, as the server does when started without a catalog file.
func (s *Server) LoadDemoCatalog() {
	s.T.Helper()
	if _, err := catalog.Load(context.Background(), s.Store.Client, s.Clock.Now(), ""); err != nil {
		s.T.Fatalf("load demo catalog: %v", err)
	}
}

// NewKey creates (if needed) the environment slug and returns a new key.
func (s *Server) NewKey(slug string) string {
	s.T.Helper()
	k, err := auth.CreateKey(context.Background(), s.Store.Client, slug, "")
	if err != nil {
		s.T.Fatalf("create key: %v", err)
	}
	return k.Secret
}

// NewClientKey creates (if needed) the environment slug and returns a new
// client (publishable) key.
func (s *Server) NewClientKey(slug string) string {
	s.T.Helper()
	k, err := auth.CreateKeyOfType(context.Background(), s.Store.Client, slug, auth.KeyTypeClient, "")
	if err != nil {
		s.T.Fatalf("create client key: %v", err)
	}
	return k.Secret
}

// Response is a GraphQL response.
type Response struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []Error         `json:"errors"`
}

// Error is one GraphQL error.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code returns the error's extensions.code.
func (e Error) Code() string { c, _ := e.Extensions["code"].(string); return c }

// Codes lists the codes of all errors.
func (r *Response) Codes() []string {
	var out []string
	for _, e := range r.Errors {
		out = append(out, e.Code())
	}
	return out
}

// Raw posts a GraphQL request with key (none when empty) and returns the response.
func (s *Server) Raw(key, query string, vars map[string]any) *Response {
	s.T.Helper()
	return s.RawWith(map[string]string{auth.HeaderName: key}, query, vars)
}

// RawWith posts a GraphQL request with the given headers (empty values are
// not sent) and returns the response.
func (s *Server) RawWith(headers map[string]string, query string, vars map[string]any) *Response {
	s.T.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, httpapi.GraphQLPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	s.Handler.ServeHTTP(rec, req)
	raw, _ := io.ReadAll(rec.Body)
	var r Response
	if err := json.Unmarshal(raw, &r); err != nil {
		s.T.Fatalf("response is not JSON (%d): %s", rec.Code, raw)
	}
	r.Status = rec.Code
	return &r
}

// Query runs a request with the default key that must succeed, decoding
// data into out (when non-nil).
func (s *Server) Query(query string, vars map[string]any, out any) {
	s.T.Helper()
	s.QueryAs(s.Key, query, vars, out)
}

// QueryAs is Query with another key.
func (s *Server) QueryAs(key, query string, vars map[string]any, out any) {
	s.T.Helper()
	r := s.Raw(key, query, vars)
	if len(r.Errors) > 0 {
		b, _ := json.Marshal(r.Errors)
		s.T.Fatalf("unexpected errors: %s\nquery: %s", b, query)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			s.T.Fatalf("decode data: %v: %s", err, r.Data)
		}
	}
}

// Fail runs a request that must fail with the given code and returns the
// response for further checks.
func (s *Server) Fail(code, query string, vars map[string]any) *Response {
	s.T.Helper()
	return s.FailAs(s.Key, code, query, vars)
}

// FailAs is Fail with another key.
func (s *Server) FailAs(key, code, query string, vars map[string]any) *Response {
	s.T.Helper()
	r := s.Raw(key, query, vars)
	if len(r.Errors) == 0 {
		s.T.Fatalf("expected error %s, got data %s\nquery: %s", code, r.Data, query)
	}
	for _, c := range r.Codes() {
		if c == code {
			return r
		}
	}
	b, _ := json.Marshal(r.Errors)
	s.T.Fatalf("expected error code %s, got %s", code, b)
	return r
}
