package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/graph"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/httpapi"
	"github.com/stigg-selfhost/stiggql/internal/limits"
	"github.com/stigg-selfhost/stiggql/internal/observability"
	"github.com/stigg-selfhost/stiggql/internal/ratelimit"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

const opsKey = "server-ops-test-key"

// opsServer is the whole handler with production settings and a log buffer.
type opsServer struct {
	t       *testing.T
	h       http.Handler
	logs    *bytes.Buffer
	store   *db.Store
	metrics *observability.Metrics
}

func newOpsServer(t *testing.T, edit func(*httpapi.Options, *db.Store)) *opsServer {
	t.Helper()
	st := testdb.Open(t, testdb.SQLite)
	if _, err := auth.Bootstrap(context.Background(), st.Client, opsKey); err != nil {
		t.Fatal(err)
	}
	s := &opsServer{t: t, logs: &bytes.Buffer{}, store: st, metrics: observability.NewMetrics()}
	log := slog.New(slog.NewJSONHandler(s.logs, nil))
	o := httpapi.Options{
		Resolver:            graph.NewResolver(st.Client, clock.System{}, log),
		Auth:                auth.NewAuthenticator(st.Client, clock.System{}),
		Log:                 log,
		Ready:               st.Ready,
		Metrics:             s.metrics,
		PlaygroundAssetsDir: t.TempDir(),
	}
	if edit != nil {
		edit(&o, st)
	}
	s.h = httpapi.New(o)
	return s
}

type opsResponse struct {
	status int
	header http.Header
	body   string
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func (r *opsResponse) codes() []string {
	var out []string
	for _, e := range r.Errors {
		c, _ := e.Extensions["code"].(string)
		out = append(out, c)
	}
	return out
}

func (s *opsServer) send(method, path, body string, header map[string]string) *opsResponse {
	s.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set(auth.HeaderName, opsKey)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	r := &opsResponse{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/") && strings.HasPrefix(r.body, "{") {
		if err := json.Unmarshal(rec.Body.Bytes(), r); err != nil {
			s.t.Fatalf("%s: %v", r.body, err)
		}
	}
	return r
}

func (s *opsServer) query(q string) *opsResponse {
	s.t.Helper()
	b, _ := json.Marshal(map[string]any{"query": q})
	return s.send(http.MethodPost, httpapi.GraphQLPath, string(b), nil)
}

// lastLog returns the last access log line.
func (s *opsServer) lastLog() map[string]any {
	s.t.Helper()
	var last map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.logs.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "request" {
			last = m
		}
	}
	if last == nil {
		s.t.Fatalf("no access log line in %s", s.logs)
	}
	return last
}

func (s *opsServer) scrape() string {
	s.t.Helper()
	return s.send(http.MethodGet, httpapi.MetricsPath, "", nil).body
}

func TestRateLimitThroughHTTP(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	s := newOpsServer(t, func(o *httpapi.Options, _ *db.Store) {
		o.RateLimit = ratelimit.Config{
			Query:    ratelimit.Rule{Rate: 1, Burst: 2},
			Mutation: ratelimit.Rule{Rate: 0.5, Burst: 1},
			Now:      clk.Now,
		}
	})
	for i := 0; i < 2; i++ {
		if r := s.query(`{ customers { totalCount } }`); r.status != http.StatusOK || len(r.Errors) > 0 {
			t.Fatalf("query %d: %d %s", i, r.status, r.body)
		}
	}
	r := s.query(`query Over { customers { totalCount } }`)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "1" || fmt.Sprint(r.codes()) != "[RateLimitExceeded]" {
		t.Fatalf("third query: %d Retry-After %q %s", r.status, r.header.Get("Retry-After"), r.body)
	}
	line := s.lastLog()
	if line["operation"] != "Over" || line["status"] != 429.0 || fmt.Sprint(line["error_codes"]) != "[RateLimitExceeded]" || line["api_key_id"] == "" {
		t.Errorf("access log = %v", line)
	}
	// Mutations have their own budget: the next mutation fails on input,
	// not on the rate.
	r = s.query(`mutation { archiveCustomer(input: {customerId: "nobody"}) { id } }`)
	if fmt.Sprint(r.codes()) != "[CustomerNotFound]" {
		t.Fatalf("mutation: %d %s, want it run (CustomerNotFound)", r.status, r.body)
	}
	if r = s.query(`mutation { archiveCustomer(input: {customerId: "nobody"}) { id } }`); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "2" {
		t.Fatalf("second mutation: %d Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	clk.Advance(time.Second)
	if r := s.query(`{ customers { totalCount } }`); r.status != http.StatusOK {
		t.Fatalf("query after Retry-After: %d %s", r.status, r.body)
	}
	if !strings.Contains(s.scrape(), `stiggql_requests_total{operation="Over",status="429",type="query"} 1`) {
		t.Error("rate-limited request not in the metrics")
	}
}

func TestLimitsThroughHTTP(t *testing.T) {
	s := newOpsServer(t, func(o *httpapi.Options, _ *db.Store) {
		cfg := limits.Default()
		cfg.MaxBodyBytes = 4096
		cfg.MaxBatchOperations = 2
		o.Limits = &cfg
	})
	big := `{"query":"{ customers { totalCount } }", "variables": {"pad": "` + strings.Repeat("x", 5000) + `"}}`
	if r := s.send(http.MethodPost, httpapi.GraphQLPath, big, nil); r.status != http.StatusRequestEntityTooLarge || fmt.Sprint(r.codes()) != "[RequestTooLarge]" {
		t.Errorf("large body: %d %s", r.status, r.body)
	}
	one := `{"query":"{ customers { totalCount } }"}`
	r := s.send(http.MethodPost, httpapi.GraphQLPath, "["+one+","+one+"]", nil)
	var batch []map[string]any
	if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &batch) != nil || len(batch) != 2 || batch[1]["data"] == nil {
		t.Errorf("batch of 2: %d %s", r.status, r.body)
	}
	if line := s.lastLog(); line["batch"] != 2.0 {
		t.Errorf("batch access log = %v", line)
	}
	if r := s.send(http.MethodPost, httpapi.GraphQLPath, "["+one+","+one+","+one+"]", nil); r.status != http.StatusBadRequest || fmt.Sprint(r.codes()) != "[GraphQLBatchedOperationsLimitExceeded]" {
		t.Errorf("batch of 3: %d %s", r.status, r.body)
	}
	deep := "id"
	for i := 0; i < 8; i++ {
		deep = "subscriptions { customer { " + deep + " } }"
	}
	if r := s.query(`{ customers { edges { node { ` + deep + ` } } } }`); fmt.Sprint(r.codes()) != "[GraphQLDepthLimitExceeded]" {
		t.Errorf("deep query: %d %s", r.status, r.body)
	}
	out := s.scrape()
	for _, want := range []string{`stiggql_errors_total{code="RequestTooLarge"} 1`, `stiggql_errors_total{code="GraphQLDepthLimitExceeded"} 1`} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestUnauthenticatedRequestsAreLogged(t *testing.T) {
	s := newOpsServer(t, nil)
	req := httptest.NewRequest(http.MethodPost, httpapi.GraphQLPath, strings.NewReader(`{"query":"{ customers { totalCount } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(auth.HeaderName, "server-wrong")
	s.h.ServeHTTP(httptest.NewRecorder(), req)
	line := s.lastLog()
	if line["status"] != 401.0 || fmt.Sprint(line["error_codes"]) != "[Unauthenticated]" || line["api_key_id"] != "" {
		t.Errorf("access log = %v", line)
	}
	if strings.Contains(s.logs.String(), "server-wrong") {
		t.Error("the key sent is in the log")
	}
}

func TestReadyz(t *testing.T) {
	s := newOpsServer(t, nil)
	if r := s.send(http.MethodGet, "/readyz", "", nil); r.status != http.StatusOK || !strings.Contains(r.body, "migrations: applied") {
		t.Errorf("migrated: %d %q", r.status, r.body)
	}
	empty, err := db.Open(context.Background(), "file:"+filepath.Join(t.TempDir(), "empty.db"), db.WithoutMigrate())
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	s = newOpsServer(t, func(o *httpapi.Options, _ *db.Store) { o.Ready = empty.Ready })
	if r := s.send(http.MethodGet, "/readyz", "", nil); r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "migrations: not applied") {
		t.Errorf("not migrated: %d %q", r.status, r.body)
	}
}

// TestTraceCoversRequestOperationResolverAndSQL checks the span tree of one
// request: HTTP server span > operation > resolver > SQL statements.
func TestTraceCoversRequestOperationResolverAndSQL(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tr := observability.NewTracing(sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp)))
	s := newOpsServer(t, func(o *httpapi.Options, st *db.Store) {
		client := ent.NewClient(ent.Driver(tr.WrapDriver(entsql.OpenDB(st.Dialect, st.DB))))
		o.Resolver = graph.NewResolver(client, clock.System{}, o.Log)
		o.Tracing = tr
	})
	exp.Reset()
	r := s.send(http.MethodPost, httpapi.GraphQLPath, `{"query":"query Page { customers { totalCount edges { node { id } } } }"}`,
		map[string]string{"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"})
	if r.status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	spans := exp.GetSpans()
	byID := map[string]string{}
	for _, sp := range spans {
		byID[sp.SpanContext.SpanID().String()] = sp.Name
		if sp.SpanContext.TraceID().String() != "0af7651916cd43dd8448eb211c80319c" {
			t.Errorf("span %s in trace %s", sp.Name, sp.SpanContext.TraceID())
		}
	}
	parentOf := map[string]string{}
	for _, sp := range spans {
		parentOf[sp.Name] = byID[sp.Parent.SpanID().String()]
	}
	if parentOf["graphql query Page"] != "POST /graphql" {
		t.Errorf("operation span's parent = %q", parentOf["graphql query Page"])
	}
	if parentOf["Query.customers"] != "graphql query Page" {
		t.Errorf("resolver span's parent = %q", parentOf["Query.customers"])
	}
	if parentOf["SELECT"] != "Query.customers" {
		t.Errorf("SQL span's parent = %q (spans %v)", parentOf["SELECT"], parentOf)
	}
}
