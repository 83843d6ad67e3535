package observability

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/reqinfo"
	"github.com/stigg-selfhost/stiggql/internal/requestid"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// scrape returns the metrics text.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics: %d", rec.Code)
	}
	return rec.Body.String()
}

func TestMetricsObserve(t *testing.T) {
	m := NewMetrics()
	m.Observe("GetCustomer", "query", 200, 30*time.Millisecond, nil)
	m.Observe("GetCustomer", "query", 200, 30*time.Millisecond, []string{"CustomerNotFound"})
	m.Observe("Provision", "mutation", 429, time.Millisecond, []string{"RateLimitExceeded"})
	out := scrape(t, m)
	for _, want := range []string{
		`stiggql_requests_total{operation="GetCustomer",status="200",type="query"} 2`,
		`stiggql_requests_total{operation="Provision",status="429",type="mutation"} 1`,
		`stiggql_request_duration_seconds_bucket{operation="GetCustomer",le="0.05"} 2`,
		`stiggql_errors_total{code="CustomerNotFound"} 1`,
		`stiggql_errors_total{code="RateLimitExceeded"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(out, "stiggql_db_open_connections") || strings.Contains(out, "stiggql_outbox_depth") {
		t.Error("pool or outbox gauges present before their hooks are set")
	}
}

func TestMetricsOperationLabelsAreBounded(t *testing.T) {
	m := NewMetrics()
	long := strings.Repeat("é", 100)
	m.Observe(long, "query", 200, 0, nil)
	for i := 0; i < MaxOperationNames+50; i++ {
		m.Observe(fmt.Sprintf("op%d", i), "query", 200, 0, nil)
	}
	out := scrape(t, m)
	if !strings.Contains(out, `operation="`+strings.Repeat("é", MaxOperationLabel)+`"`) {
		t.Error("long name not truncated to 64 characters")
	}
	if !strings.Contains(out, `stiggql_requests_total{operation="other",status="200",type="query"} 51`) {
		t.Error("names past the cap not counted as other")
	}
	if n := strings.Count(out, "stiggql_requests_total{"); n != MaxOperationNames+1 {
		t.Errorf("%d request series, want %d", n, MaxOperationNames+1)
	}
}

func TestMetricsGaugeHooks(t *testing.T) {
	m := NewMetrics()
	m.SetDBStats(func() sql.DBStats {
		return sql.DBStats{MaxOpenConnections: 8, OpenConnections: 3, InUse: 2, Idle: 1, WaitCount: 5, WaitDuration: 1500 * time.Millisecond}
	})
	m.SetOutboxDepth(func() float64 { return 42 })
	m.SetSQLStatements(func() int64 { return 1234 }, func() int64 { return 1001 })
	out := scrape(t, m)
	for _, want := range []string{
		"stiggql_db_open_connections 3",
		"stiggql_db_in_use_connections 2",
		"stiggql_db_idle_connections 1",
		"stiggql_db_max_open_connections 8",
		"stiggql_db_wait_count_total 5",
		"stiggql_db_wait_duration_seconds_total 1.5",
		"stiggql_outbox_depth 42",
		"stiggql_sql_statements_total 1234",
		"stiggql_sql_round_trips_total 1001",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
	m.SetOutboxDepth(nil)
	if strings.Contains(scrape(t, m), "stiggql_outbox_depth") {
		t.Error("outbox gauge still present after its hook is removed")
	}
}

// fakeClock returns start, then start+step, start+2*step, ...
func fakeClock(start time.Time, step time.Duration) func() time.Time {
	n := 0
	return func() time.Time {
		t := start.Add(time.Duration(n) * step)
		n++
		return t
	}
}

func decodeLog(t *testing.T, buf *bytes.Buffer) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one log line, got %d: %s", len(lines), buf)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAccessLog(t *testing.T) {
	var buf bytes.Buffer
	m := NewMetrics()
	o := &Observer{Log: slog.New(slog.NewJSONHandler(&buf, nil)), Metrics: m, Now: fakeClock(time.Unix(0, 0), 12500*time.Microsecond)}
	// The inner layers, as the GraphQL stack fills them in.
	h := requestid.Middleware(o.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := reqinfo.From(r.Context())
		info.SetPrincipal("key-id", "env-id")
		idx := info.StartOperation("")
		info.SetOperation(idx, "DocName", "query")
		info.AddCodes("CustomerNotFound")
		_, _ = w.Write([]byte(`{"data":null}`))
	})))

	for _, tc := range []struct {
		name, header, want string
	}{
		{"document name", "", "DocName"},
		{"header wins over the document", "FromHeader", "FromHeader"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buf.Reset()
			req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
			req.Header.Set("X-API-KEY", "server-secret-value")
			if tc.header != "" {
				req.Header.Set(reqinfo.OperationNameHeader, tc.header)
			}
			h.ServeHTTP(httptest.NewRecorder(), req)
			line := decodeLog(t, &buf)
			want := map[string]any{
				"msg": "request", "operation": tc.want, "operation_type": "query", "status": 200.0,
				"duration_ms": 12.5, "api_key_id": "key-id", "environment_id": "env-id", "path": "/graphql", "bytes": 13.0,
			}
			for k, v := range want {
				if line[k] != v {
					t.Errorf("%s = %v, want %v", k, line[k], v)
				}
			}
			if id, _ := line["request_id"].(string); len(id) != 16 {
				t.Errorf("request_id = %v", line["request_id"])
			}
			if codes, _ := line["error_codes"].([]any); len(codes) != 1 || codes[0] != "CustomerNotFound" {
				t.Errorf("error_codes = %v", line["error_codes"])
			}
			if strings.Contains(buf.String(), "server-secret-value") {
				t.Error("the API key secret is in the log")
			}
		})
	}
	if !strings.Contains(scrape(t, m), `stiggql_requests_total{operation="FromHeader",status="200",type="query"} 1`) {
		t.Error("request not counted under the header's name")
	}
}

func TestAccessLogOfRefusedRequests(t *testing.T) {
	var buf bytes.Buffer
	m := NewMetrics()
	o := &Observer{Log: slog.New(slog.NewJSONHandler(&buf, nil)), Metrics: m}
	h := o.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqinfo.WriteError(w, r, http.StatusUnauthorized, apperr.Unauthenticated, "no key")
	}))
	req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	req.Header.Set(reqinfo.OperationNameHeader, "Junk")
	h.ServeHTTP(httptest.NewRecorder(), req)
	line := decodeLog(t, &buf)
	if line["status"] != 401.0 || line["operation"] != "Junk" || fmt.Sprint(line["error_codes"]) != "[Unauthenticated]" {
		t.Errorf("log line = %v", line)
	}
	out := scrape(t, m)
	if !strings.Contains(out, `stiggql_requests_total{operation="unauthenticated",status="401",type="unknown"} 1`) {
		t.Errorf("unauthenticated request not counted apart:\n%s", grep(out, "stiggql_requests_total"))
	}
}

func grep(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestRecorder(t *testing.T) {
	ctx, info := reqinfo.With(context.Background())
	opCtx := &graphql.OperationContext{}
	ctx = graphql.WithOperationContext(ctx, opCtx)
	r := Recorder{}
	r.MutateOperationParameters(ctx, &graphql.RawParams{OperationName: "Named"})
	opCtx.Operation = &ast.OperationDefinition{Name: "InDoc", Operation: ast.Mutation}
	r.MutateOperationContext(ctx, opCtx)
	r.InterceptResponse(ctx, func(context.Context) *graphql.Response {
		return &graphql.Response{Errors: gqlerror.List{
			{Message: "a", Extensions: map[string]any{"code": "BadUserInput"}},
			{Message: "b"},
		}}
	})
	ops := info.Operations()
	if len(ops) != 1 || ops[0] != (reqinfo.Operation{RequestName: "Named", DocumentName: "InDoc", Type: "mutation"}) {
		t.Errorf("operations = %+v", ops)
	}
	if got := fmt.Sprint(info.Codes()); got != "[BadUserInput unknown]" {
		t.Errorf("codes = %s", got)
	}
	if OperationName(ops[0], "Header") != "Named" {
		t.Error("the request's operationName must come first")
	}
}

func TestTracingEnabled(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want bool
		err  bool
	}{
		{map[string]string{}, false, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, true, false},
		{map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, true, false},
		{map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, true, false},
		{map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c"}, false, false},
		{map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, false, false},
		{map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, false, true},
	} {
		got, err := TracingEnabled(func(k string) string { return tc.env[k] })
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("TracingEnabled(%v) = %v, %v", tc.env, got, err)
		}
	}
}

func newTestTracing() (*Tracing, *tracetest.InMemoryExporter) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	return NewTracing(tp), exp
}

func TestHTTPSpanContinuesIncomingTrace(t *testing.T) {
	tr, exp := newTestTracing()
	o := &Observer{Tracing: tr}
	var inner trace.SpanContext
	h := o.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner = trace.SpanContextFromContext(r.Context())
		w.WriteHeader(http.StatusTeapot)
	}))
	req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	req.Header.Set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	h.ServeHTTP(httptest.NewRecorder(), req)

	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	s := spans[0]
	if s.Name != "POST /graphql" || s.SpanKind != trace.SpanKindServer {
		t.Errorf("span %q kind %v", s.Name, s.SpanKind)
	}
	if s.SpanContext.TraceID().String() != "0af7651916cd43dd8448eb211c80319c" || s.Parent.SpanID().String() != "b7ad6b7169203331" {
		t.Errorf("span not in the incoming trace: %v parent %v", s.SpanContext.TraceID(), s.Parent.SpanID())
	}
	if inner.SpanID() != s.SpanContext.SpanID() {
		t.Error("the handler's context does not carry the request span")
	}
	var status int64
	for _, a := range s.Attributes {
		if a.Key == "http.response.status_code" {
			status = a.Value.AsInt64()
		}
	}
	if status != http.StatusTeapot {
		t.Errorf("status attribute = %d", status)
	}
}

func TestWrapDriverTracesStatements(t *testing.T) {
	st := testdb.Open(t, testdb.SQLite)
	tr, exp := newTestTracing()
	drv := tr.WrapDriver(entsql.OpenDB(st.Dialect, st.DB))
	ctx, parent := tr.tracer.Start(context.Background(), "parent")

	var rows entsql.Rows
	if err := drv.Query(ctx, "SELECT count(*) FROM customers WHERE id = ?", []any{"x"}, &rows); err != nil {
		t.Fatal(err)
	}
	_ = rows.Close()
	tx, err := drv.Tx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Exec(ctx, "DELETE FROM customers WHERE id = ?", []any{"x"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := drv.Exec(ctx, "SELECT * FROM no_such_table", []any{}, nil); err == nil {
		t.Fatal("statement on a missing table succeeded")
	}
	parent.End()

	var got []string
	for _, s := range exp.GetSpans() {
		if s.Name == "parent" {
			continue
		}
		if s.Parent.SpanID() != parent.SpanContext().SpanID() {
			t.Errorf("span %s not a child of the request's span", s.Name)
		}
		text := ""
		for _, a := range s.Attributes {
			if a.Key == "db.query.text" {
				text = a.Value.AsString()
			}
			if a.Key == "db.system.name" && a.Value.AsString() != "sqlite" {
				t.Errorf("db.system.name = %s", a.Value.AsString())
			}
		}
		if strings.Contains(text, `"x"`) {
			t.Error("arguments in the span")
		}
		got = append(got, fmt.Sprintf("%s:%s", s.Name, s.Status.Code))
	}
	want := "[SELECT:Unset DELETE:Unset COMMIT:Unset SELECT:Error]"
	if fmt.Sprint(got) != want {
		t.Errorf("spans = %v, want %s", got, want)
	}
}

func TestResolverSpans(t *testing.T) {
	tr, exp := newTestTracing()
	ext := tr.Extension().(tracingExtension)
	ctx := graphql.WithOperationContext(context.Background(), &graphql.OperationContext{
		Operation: &ast.OperationDefinition{Name: "Q", Operation: ast.Query},
	})
	rh := ext.InterceptOperation(ctx, func(ctx context.Context) graphql.ResponseHandler {
		return func(ctx context.Context) *graphql.Response {
			for _, fc := range []*graphql.FieldContext{
				{Object: "Query", Field: graphql.CollectedField{Field: &ast.Field{Name: "customers", Alias: "customers"}}, IsResolver: true},
				{Object: "Customer", Field: graphql.CollectedField{Field: &ast.Field{Name: "email", Alias: "email"}}},
			} {
				_, _ = ext.InterceptField(graphql.WithFieldContext(ctx, fc), func(context.Context) (any, error) { return nil, io.EOF })
			}
			return &graphql.Response{}
		}
	})
	rh(ctx)
	var names []string
	for _, s := range exp.GetSpans() {
		names = append(names, s.Name)
	}
	if fmt.Sprint(names) != "[Query.customers graphql query Q]" {
		t.Errorf("spans = %v (only resolvers, not plain fields, get one)", names)
	}
}
