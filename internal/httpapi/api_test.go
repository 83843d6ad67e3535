package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stigg-selfhost/stiggql/graph"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/httpapi"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

const testKey = "server-test-key"

// schemaFile is the repository's schema.graphqls.
func schemaFile(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "schema.graphqls"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// newServer runs the real handler over a fresh SQLite database whose
// default environment has the key testKey; edit adjusts the options.
func newServer(t *testing.T, edit func(*httpapi.Options)) *httptest.Server {
	t.Helper()
	st := testdb.Open(t, testdb.SQLite)
	if _, err := auth.Bootstrap(context.Background(), st.Client, testKey); err != nil {
		t.Fatal(err)
	}
	o := httpapi.Options{
		Resolver:            graph.NewResolver(st.Client, clock.System{}, nil),
		Auth:                auth.NewAuthenticator(st.Client, clock.System{}),
		Ready:               st.DB.PingContext,
		PlaygroundAssetsDir: t.TempDir(),
	}
	if edit != nil {
		edit(&o)
	}
	srv := httptest.NewServer(httpapi.New(o))
	t.Cleanup(srv.Close)
	return srv
}

type response struct {
	Status int
	Header http.Header
	Body   string
	Data   map[string]json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func do(t *testing.T, req *http.Request) response {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := response{Status: res.StatusCode, Header: res.Header, Body: string(b)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/") && len(b) > 0 {
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
	}
	return r
}

func post(t *testing.T, srv *httptest.Server, key, query string) response {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": query})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+httpapi.GraphQLPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set(auth.HeaderName, key)
	}
	return do(t, req)
}

func get(t *testing.T, srv *httptest.Server, key, query string, header map[string]string) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+httpapi.GraphQLPath+"?"+url.Values{"query": {query}}.Encode(), nil)
	if key != "" {
		req.Header.Set(auth.HeaderName, key)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return do(t, req)
}

func TestSchemaExport(t *testing.T) {
	want := schemaFile(t)
	srv := newServer(t, func(o *httpapi.Options) { o.SchemaSDL = want })
	res, err := http.Get(srv.URL + "/schema.graphql")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(body) != want {
		t.Fatalf("status %d; body equals schema.graphqls: %v", res.StatusCode, string(body) == want)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/schema.graphql", nil)
	req.Header.Set("If-None-Match", res.Header.Get("ETag"))
	if r := do(t, req); r.Status != http.StatusNotModified {
		t.Errorf("revalidation: %d", r.Status)
	}

	srv = newServer(t, nil)
	if res, err := http.Get(srv.URL + "/schema.graphql"); err != nil || res.StatusCode != http.StatusNotFound {
		t.Errorf("without SDL: %v %v", res.StatusCode, err)
	}
}

const introspection = `query IntrospectionQuery { __schema { queryType { name } types { ...T } } }
fragment T on __Type { kind name }`

func TestIntrospectionNeedsKeyByDefault(t *testing.T) {
	srv := newServer(t, nil)
	if r := post(t, srv, "", introspection); r.Status != http.StatusUnauthorized {
		t.Errorf("without key: %d %s", r.Status, r.Body)
	}
	if r := get(t, srv, "", `{ __typename }`, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("GET without key: %d %s", r.Status, r.Body)
	}
	r := post(t, srv, testKey, introspection)
	if r.Status != http.StatusOK || len(r.Errors) > 0 || !strings.Contains(string(r.Data["__schema"]), `"Customer"`) {
		t.Errorf("with key: %d %s", r.Status, r.Body)
	}
}

func TestPublicIntrospection(t *testing.T) {
	srv := newServer(t, func(o *httpapi.Options) { o.PublicIntrospection = true })
	r := post(t, srv, "", introspection)
	if r.Status != http.StatusOK || len(r.Errors) > 0 || !strings.Contains(string(r.Data["__schema"]), `"Query"`) {
		t.Errorf("POST without key: %d %s", r.Status, r.Body)
	}
	r = get(t, srv, "", `{ __type(name: "Customer") { name } }`, nil)
	if r.Status != http.StatusOK || len(r.Errors) > 0 {
		t.Errorf("GET without key: %d %s", r.Status, r.Body)
	}
	for _, q := range []string{
		`{ customers { totalCount } }`,
		`{ __schema { queryType { name } } customers { totalCount } }`,
		`{ ...F } fragment F on Query { __typename customers { totalCount } }`,
		`mutation { __typename }`,
	} {
		if r := post(t, srv, "", q); r.Status != http.StatusUnauthorized {
			t.Errorf("%s without key: %d %s", q, r.Status, r.Body)
		}
	}
	if r := post(t, srv, "wrong-key", introspection); r.Status != http.StatusUnauthorized {
		t.Errorf("introspection with a wrong key: %d %s", r.Status, r.Body)
	}
	if r := post(t, srv, testKey, `{ customers { totalCount } }`); r.Status != http.StatusOK || len(r.Errors) > 0 {
		t.Errorf("data with key: %d %s", r.Status, r.Body)
	}
}

func TestGETQueriesRevalidate(t *testing.T) {
	srv := newServer(t, nil)
	q := `{ customers { totalCount } }`
	r := get(t, srv, testKey, q, nil)
	if r.Status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "private, max-age=0, must-revalidate" {
		t.Errorf("Cache-Control %q", cc)
	}
	vary := strings.Join(r.Header.Values("Vary"), ", ")
	if !strings.Contains(vary, "X-API-KEY") || !strings.Contains(vary, "Origin") {
		t.Errorf("Vary %q", vary)
	}
	etag := r.Header.Get("ETag")
	if r2 := get(t, srv, testKey, q, map[string]string{"If-None-Match": etag}); r2.Status != http.StatusNotModified || r2.Body != "" {
		t.Errorf("revalidation: %d %q", r2.Status, r2.Body)
	}
	post(t, srv, testKey, `mutation { createOneCustomer(input: {customerId: "cus-1"}) { customerId } }`)
	if r3 := get(t, srv, testKey, q, map[string]string{"If-None-Match": etag}); r3.Status != http.StatusOK || !strings.Contains(r3.Body, `"totalCount":1`) {
		t.Errorf("after a change: %d %s", r3.Status, r3.Body)
	}

	r = get(t, srv, testKey, `mutation { createOneCustomer(input: {customerId: "cus-2"}) { customerId } }`, nil)
	if r.Status == http.StatusOK || r.Header.Get("Cache-Control") != "no-store" || r.Header.Get("ETag") != "" {
		t.Errorf("mutation over GET: %d %v %s", r.Status, r.Header, r.Body)
	}
	if r := post(t, srv, testKey, `{ customers { totalCount } }`); r.Header.Get("Cache-Control") != "" {
		t.Errorf("POST: Cache-Control %q", r.Header.Get("Cache-Control"))
	}
}

func TestPreflightNeedsNoKey(t *testing.T) {
	const origin = "http://127.0.0.1:1"
	srv := newServer(t, func(o *httpapi.Options) { o.CORSOrigins = []string{origin} })
	req, _ := http.NewRequest(http.MethodOptions, srv.URL+httpapi.GraphQLPath, nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type,x-api-key")
	r := do(t, req)
	if r.Status != http.StatusNoContent || r.Header.Get("Access-Control-Allow-Origin") != origin {
		t.Errorf("preflight: %d %v", r.Status, r.Header)
	}
	// A rejected request still carries the CORS headers, so the page can
	// read the 401 and tell its user about the key.
	body, _ := json.Marshal(map[string]string{"query": `{ __typename }`})
	req, _ = http.NewRequest(http.MethodPost, srv.URL+httpapi.GraphQLPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", origin)
	r = do(t, req)
	if r.Status != http.StatusUnauthorized || r.Header.Get("Access-Control-Allow-Origin") != origin {
		t.Errorf("401: %d %v", r.Status, r.Header)
	}
}

// TestInvalidRequestsAre400 checks the statuses Stigg's API (Apollo Server)
// answers and its SDKs rely on: every document or variable refused before
// execution is 400 (never gqlgen's 422, which the SDKs retry five times),
// while a valid operation whose resolver fails stays 200 and a request
// without a key 401.
func TestInvalidRequestsAre400(t *testing.T) {
	srv := newServer(t, nil)
	send := func(t *testing.T, key string, body map[string]any) response {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, srv.URL+httpapi.GraphQLPath, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set(auth.HeaderName, key)
		}
		return do(t, req)
	}
	for _, tc := range []struct {
		name   string
		key    string
		body   map[string]any
		status int
	}{
		{"parse error", testKey, map[string]any{"query": "{ customers { "}, http.StatusBadRequest},
		{"unknown field", testKey, map[string]any{"query": "{ customers { nope } }"}, http.StatusBadRequest},
		{"missing variable", testKey, map[string]any{
			"query": "query Q($input: GetCustomerByRefIdInput!) { getCustomerByRefId(input: $input) { customerId } }",
		}, http.StatusBadRequest},
		{"variable of the wrong type", testKey, map[string]any{
			"query":     "query Q($input: GetCustomerByRefIdInput!) { getCustomerByRefId(input: $input) { customerId } }",
			"variables": map[string]any{"input": map[string]any{"customerId": 12, "unknown": true}},
		}, http.StatusBadRequest},
		{"resolver error", testKey, map[string]any{
			"query": `mutation { archiveCustomer(input: {customerId: "nobody"}) { customerId } }`,
		}, http.StatusOK},
		{"no key", "", map[string]any{"query": "{ customers { totalCount } }"}, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := send(t, tc.key, tc.body)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] == nil {
				t.Errorf("want a coded error, got %s", r.Body)
			}
		})
	}
	// A GET carrying an invalid document is 400 as well.
	if r := get(t, srv, testKey, "{ customers { nope } }", nil); r.Status != http.StatusBadRequest {
		t.Errorf("GET with an unknown field: status %d, want 400: %s", r.Status, r.Body)
	}
}
