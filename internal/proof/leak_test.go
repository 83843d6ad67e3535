package proof

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/graph"
	"github.com/stigg-selfhost/stiggql/internal/apitest"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/httpapi"
	"github.com/stigg-selfhost/stiggql/internal/limits"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// leakPatterns must never appear in a response: SQL, driver names and
// messages, source positions, stacks, and paths of this machine. SQL
// keywords are matched in upper case (a message may say "selection"); the
// rest in any case.
var leakPatterns = []*regexp.Regexp{
	regexp.MustCompile(`\bSELECT\b`), regexp.MustCompile(`\bINSERT\b`), regexp.MustCompile(`\bUPDATE\s+"`),
	regexp.MustCompile(`\bFROM\s+"`), regexp.MustCompile(`\bWHERE\s+"`),
	regexp.MustCompile(`(?i)sqlite`), regexp.MustCompile(`(?i)pq:`), regexp.MustCompile(`(?i)pgx`),
	regexp.MustCompile(`(?i)sqlstate`), regexp.MustCompile(`(?i)\bsql: `), regexp.MustCompile(`(?i)database is closed`),
	regexp.MustCompile(`(?i)\.go:\d*`), regexp.MustCompile(`(?i)goroutine`), regexp.MustCompile(`(?i)runtime error`),
	regexp.MustCompile(`(?i)nil pointer`), regexp.MustCompile(`/root/`), regexp.MustCompile(`/work/`),
	regexp.MustCompile(`(?i)/home/`), regexp.MustCompile(`(?i)/tmp/`),
}

// leakCase is one failing request.
type leakCase struct {
	name        string
	method      string // POST when empty
	contentType string // application/json when empty
	body        string // sent as is when set; else query and vars
	query       string
	vars        map[string]any
	path        string // /graphql?... for GET
	noKey       bool
	key         string
}

// TestNoLeaks drives many kinds of failure through the real HTTP handler,
// on both databases, and checks that no response shows SQL text, driver
// messages, file paths or stack traces, and that every error carries a
// code. The server logs the details under the request id instead.
func TestNoLeaks(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		s := apitest.New(t, st)
		s.Query(`mutation { provisionCustomer(input: {customerId: "leak-1", name: "Leak"}) { customer { customerId } } }`, nil, nil)

		deepFilter := `{"customerId": {"eq": "x"}}`
		for range 40 {
			deepFilter = `{"and": [` + deepFilter + `]}`
		}
		var deep map[string]any
		_ = json.Unmarshal([]byte(deepFilter), &deep)
		many := make([]string, 2000)
		for i := range many {
			many[i] = fmt.Sprint(i)
		}
		b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
		page := `query($f: CustomerFilter, $p: CursorPaging, $s: [CustomerSort!]) { customers(filter: $f, paging: $p, sorting: $s) { totalCount edges { cursor node { customerId } } } }`
		provision := `mutation($in: ProvisionCustomerInput!) { provisionCustomer(input: $in) { customer { customerId } } }`

		cases := []leakCase{
			{name: "truncated JSON body", body: `{"query": "{ customers { totalCount } }"`},
			{name: "body not JSON", body: `<query>customers</query>`},
			{name: "JSON body not an object", body: `"{ customers { totalCount } }"`},
			{name: "variables not an object", body: `{"query": "{ customers { totalCount } }", "variables": [1, 2]}`},
			{name: "text/plain body", contentType: "text/plain", body: `{ customers { totalCount } }`},
			{name: "empty body", body: " "},
			{name: "syntax error", query: `{ customers { totalCount `},
			{name: "unknown field", query: `{ customers { nope } }`},
			{name: "unknown operation name", body: `{"query": "query A { customers { totalCount } }", "operationName": "B"}`},
			{name: "unknown enum in variables", query: page, vars: map[string]any{"s": []any{map[string]any{"field": "NOPE", "direction": "ASC"}}}},
			{name: "unknown enum literal", query: `{ customers(sorting: [{field: nope, direction: ASC}]) { totalCount } }`},
			{name: "variable of the wrong type", query: page, vars: map[string]any{"p": map[string]any{"first": "ten"}}},
			{name: "Int overflow", query: page, vars: map[string]any{"p": map[string]any{"first": 99999999999999}}},
			{name: "page too large", query: page, vars: map[string]any{"p": map[string]any{"first": 1000000}}},
			{name: "negative page", query: page, vars: map[string]any{"p": map[string]any{"first": -1}}},
			{name: "filter on an unknown column", query: `{ customers(filter: {crmHubspotCompanyUrl: {like: "%"}, id: {eq: "not-a-uuid"}}) { totalCount } }`},
			{name: "filter nested 40 deep", query: page, vars: map[string]any{"f": deep}},
			{name: "in list of 2000", query: page, vars: map[string]any{"f": map[string]any{"customerId": map[string]any{"in": many}}}},
			{name: "like pattern of 10 KB", query: page, vars: map[string]any{"f": map[string]any{"name": map[string]any{"like": strings.Repeat("%_", 5000)}}}},
			{name: "NUL byte in a filter", query: page, vars: map[string]any{"f": map[string]any{"customerId": map[string]any{"eq": "a\u0000b"}}}},
			{name: "NUL byte in a like", query: page, vars: map[string]any{"f": map[string]any{"email": map[string]any{"iLike": "%\u0000%"}}}},
			{name: "between with one bound", query: page, vars: map[string]any{"f": map[string]any{"createdAt": map[string]any{"between": map[string]any{"lower": "2020-01-01T00:00:00Z"}}}}},
			{name: "date out of range", query: page, vars: map[string]any{"f": map[string]any{"createdAt": map[string]any{"gt": "20000-01-01T00:00:00Z"}}}},
			{name: "bad UUID in a filter", query: page, vars: map[string]any{"f": map[string]any{"id": map[string]any{"eq": "'; --"}}}},
			{name: "garbage cursor", query: page, vars: map[string]any{"p": map[string]any{"first": 5, "after": "!!!not base64!!!"}}},
			{name: "cursor of another shape", query: page, vars: map[string]any{"p": map[string]any{"first": 5, "after": b64(`{"k":["ALcustomer_id"],"v":[1]}`)}}},
			{name: "cursor naming a column", query: page, vars: map[string]any{"p": map[string]any{"last": 5, "before": b64(`{"k":["DLcreated_at","ALid"],"v":["s1); DROP TABLE customers; --","u00000000-0000-0000-0000-000000000000"]}`)}}},
			{name: "cursor with a NUL", query: page, vars: map[string]any{"p": map[string]any{"first": 5, "after": b64(`{"k":["DLcreated_at","DLid"],"v":["t2024-01-01T00:00:00Z","u\u0000"]}`)}}},
			{name: "first and last together", query: page, vars: map[string]any{"p": map[string]any{"first": 5, "last": 5}}},
			{name: "customerId of 300 characters", query: provision, vars: map[string]any{"in": map[string]any{"customerId": strings.Repeat("c", 300)}}},
			{name: "customerId with a NUL", query: provision, vars: map[string]any{"in": map[string]any{"customerId": "nul\u0000id", "name": "n\u0000"}}},
			{name: "metadata over 32 KiB", query: provision, vars: map[string]any{"in": map[string]any{"customerId": "big", "additionalMetaData": map[string]any{"x": strings.Repeat("m", 40<<10)}}}},
			{name: "metadata not an object", query: provision, vars: map[string]any{"in": map[string]any{"customerId": "arr", "additionalMetaData": []any{1, 2}}}},
			{name: "metadata with a NUL", query: provision, vars: map[string]any{"in": map[string]any{"customerId": "nulmeta", "additionalMetaData": map[string]any{"k\u0000": "v\u0000"}}}},
			{name: "invalid email", query: provision, vars: map[string]any{"in": map[string]any{"customerId": "mail", "email": "not an email"}}},
			{name: "invalid environment UUID", query: provision, vars: map[string]any{"in": map[string]any{"customerId": "env", "environmentId": "zzz"}}},
			{name: "foreign environment", query: provision, vars: map[string]any{"in": map[string]any{"customerId": "env", "environmentId": "00000000-0000-4000-8000-000000000001"}}},
			{name: "invalid DateTime", query: provision, vars: map[string]any{"in": map[string]any{"customerId": "dt", "createdAt": "yesterday"}}},
			{name: "DateTime year 9999", query: provision, vars: map[string]any{"in": map[string]any{"customerId": "y9999", "createdAt": "9999-12-31T23:59:59.999999999Z"}}},
			{name: "duplicate customer", query: provision, vars: map[string]any{"in": map[string]any{"customerId": "leak-1"}}},
			{name: "unknown customer", query: `mutation { updateOneCustomer(input: {customerId: "nobody", name: "x"}) { customerId } }`},
			{name: "unknown coupon", query: `mutation { updateOneCustomer(input: {customerId: "leak-1", couponRefId: "nope"}) { customerId } }`},
			{name: "bulk import with a duplicate", query: `mutation { importCustomersBulk(input: {customers: [{customerId: "d"}, {customerId: "d"}]}) }`},
			{name: "batch of garbage", body: `[1, "x", {}, null]`},
			{name: "batch over the limit", body: "[" + strings.Repeat(`{"query":"{ customers { totalCount } }"},`, 20) + `{"query":"{ __typename }"}]`},
			{name: "body over the limit", body: `{"query": "{ customers { totalCount } }", "x": "` + strings.Repeat("x", limits.DefaultMaxBodyBytes) + `"}`},
			{name: "GET with a syntax error", method: http.MethodGet, path: "/graphql?query=" + url.QueryEscape("{ customers {")},
			{name: "GET with a mutation", method: http.MethodGet, path: "/graphql?query=" + url.QueryEscape(`mutation { archiveCustomer(input: {customerId: "leak-1"}) { customerId } }`)},
			{name: "GET with bad variables", method: http.MethodGet, path: "/graphql?query=" + url.QueryEscape("{ customers { totalCount } }") + "&variables=%7Bnope"},
			{name: "no API key", noKey: true, query: `{ customers { totalCount } }`},
			{name: "wrong API key", key: "server-00000000-0000-0000-0000-000000000000", query: `{ customers { totalCount } }`},
			{name: "API key of 1 MB", key: strings.Repeat("k", 100<<10), query: `{ customers { totalCount } }`},
		}
		for _, c := range cases {
			body := send(t, s.Handler, s.Key, c, context.Background())
			checkNoLeak(t, c.name, body)
		}

		// A request whose time is up before it starts, and one cancelled
		// by its client.
		// The key is looked up beforehand, so that the deadline strikes in
		// the resolvers' database work rather than in authentication.
		warm := auth.NewAuthenticator(st.Client, s.Clock)
		if _, err := warm.Authenticate(context.Background(), s.Key); err != nil {
			t.Fatal(err)
		}
		timeoutHandler := httpapi.New(httpapi.Options{Resolver: s.Resolver, Auth: warm,
			Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), Limits: &limits.Config{Timeout: time.Nanosecond, MaxBodyBytes: 1 << 20, MaxBatchOperations: 10}})
		heavy := leakCase{query: page, vars: map[string]any{"f": map[string]any{"searchQuery": map[string]any{"iLike": "%e%"}}}}
		body := send(t, timeoutHandler, s.Key, heavy, context.Background())
		checkNoLeak(t, "timeout", body)
		if !strings.Contains(string(body), "RequestTimeout") {
			t.Errorf("timeout: answered %s, want RequestTimeout", body)
		}
		cancelled, cancel := context.WithCancel(context.Background())
		cancel()
		checkNoLeak(t, "cancelled by the client", send(t, s.Handler, s.Key, heavy, cancelled))

		// A resolver that panics: a resolver tree without its database.
		log := &bytes.Buffer{}
		panicking := httpapi.New(httpapi.Options{Resolver: graph.NewResolver(nil, clock.NewManual(apitest.Epoch), slog.New(slog.NewJSONHandler(log, nil))),
			Auth: auth.NewAuthenticator(st.Client, s.Clock), Log: slog.New(slog.NewJSONHandler(log, nil))})
		body = send(t, panicking, s.Key, leakCase{query: `{ customers { totalCount } }`}, context.Background())
		checkNoLeak(t, "panicking resolver", body)
		if !strings.Contains(string(body), "UnexpectedError") || !strings.Contains(log.String(), "panic") {
			t.Errorf("panicking resolver: answered %s; logged %.300s", body, log)
		}

		// Last, the database goes away under the server.
		_ = st.DB.Close()
		for _, c := range []leakCase{
			{name: "closed database: query", query: page},
			{name: "closed database: mutation", query: provision, vars: map[string]any{"in": map[string]any{"customerId": "closed"}}},
			{name: "closed database: bulk", query: `mutation { importCustomersBulk(input: {customers: [{customerId: "a"}, {customerId: "b"}]}) }`},
		} {
			body := send(t, s.Handler, s.Key, c, context.Background())
			checkNoLeak(t, c.name, body)
			if !strings.Contains(string(body), "UnexpectedError") {
				t.Errorf("%s: answered %s, want UnexpectedError", c.name, body)
			}
		}
		if !strings.Contains(s.Logs.String(), "database is closed") {
			t.Errorf("the server did not log the cause of the failures it hid")
		}
	})
}

// send runs one request through h and returns the response body.
func send(t *testing.T, h http.Handler, key string, c leakCase, ctx context.Context) []byte {
	t.Helper()
	method, path := c.method, c.path
	if method == "" {
		method = http.MethodPost
	}
	if path == "" {
		path = httpapi.GraphQLPath
	}
	body := c.body
	if body == "" && c.query != "" {
		b, _ := json.Marshal(map[string]any{"query": c.query, "variables": c.vars})
		body = string(b)
	}
	var r io.Reader
	if method == http.MethodPost {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r).WithContext(ctx)
	ct := c.contentType
	if ct == "" {
		ct = "application/json"
	}
	req.Header.Set("Content-Type", ct)
	switch {
	case c.noKey:
	case c.key != "":
		req.Header.Set(auth.HeaderName, c.key)
	default:
		req.Header.Set(auth.HeaderName, key)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Body.Bytes()
}

// checkNoLeak fails on any leak pattern in body, and on errors without a
// code.
func checkNoLeak(t *testing.T, name string, body []byte) {
	t.Helper()
	for _, p := range leakPatterns {
		if loc := p.FindIndex(body); loc != nil {
			from, to := max(0, loc[0]-80), min(len(body), loc[1]+80)
			t.Errorf("%s: the response shows %q: ...%s...", name, p, body[from:to])
		}
	}
	var parsed []struct {
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	raw := bytes.TrimSpace(body)
	if len(raw) > 0 && raw[0] == '{' {
		raw = append(append([]byte{'['}, raw...), ']')
	}
	if err := json.Unmarshal(raw, &parsed); err != nil {
		t.Errorf("%s: the response is not GraphQL JSON: %.300s", name, body)
		return
	}
	var codes []string
	for _, r := range parsed {
		for _, e := range r.Errors {
			c, _ := e.Extensions["code"].(string)
			if c == "" {
				t.Errorf("%s: an error without extensions.code: %.300s", name, body)
			}
			codes = append(codes, c)
		}
	}
	t.Logf("%-32s %v", name, codes)
}
