package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestIsIntrospectionQuery(t *testing.T) {
	for _, c := range []struct {
		name, query, op string
		want            bool
	}{
		{"schema", `{ __schema { types { name } } }`, "", true},
		{"type", `{ __type(name: "Customer") { name fields { name } } }`, "", true},
		{"typename", `{ __typename }`, "", true},
		{"aliased", `{ s: __schema { queryType { name } } t: __typename }`, "", true},
		{"named", `query IntrospectionQuery { __schema { queryType { name } } }`, "IntrospectionQuery", true},
		{"top-level fragment", `query Q { ...Schema } fragment Schema on Query { __schema { ...T } } fragment T on __Schema { types { name } }`, "", true},
		{"nested fragments", `{ ...A } fragment A on Query { ...B } fragment B on Query { __typename }`, "", true},
		{"inline fragment", `{ ... on Query { __schema { queryType { name } } } }`, "", true},
		{"data field", `{ customers { totalCount } }`, "", false},
		{"data beside introspection", `{ __schema { queryType { name } } customers { totalCount } }`, "", false},
		{"data aliased as introspection", `{ __schema: customers { totalCount } }`, "", false},
		{"data in a fragment", `{ ...F } fragment F on Query { __typename customers { totalCount } }`, "", false},
		{"data in an inline fragment", `{ __typename ... on Query { customers { totalCount } } }`, "", false},
		{"unknown fragment", `{ ...Missing }`, "", false},
		{"fragment cycle", `{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }`, "", false},
		{"mutation", `mutation { __typename }`, "", false},
		{"subscription", `subscription { __typename }`, "", false},
		{"other operation selected", `query A { __typename } query B { customers { totalCount } }`, "B", false},
		{"introspection selected", `query A { __typename } query B { customers { totalCount } }`, "A", true},
		{"ambiguous", `query A { __typename } query B { __typename }`, "", false},
		{"no such operation", `query A { __typename }`, "Z", false},
		{"syntax error", `{ __schema {`, "", false},
		{"empty", ``, "", false},
	} {
		if got := IsIntrospectionQuery(c.query, c.op); got != c.want {
			t.Errorf("%s: IsIntrospectionQuery(%q, %q) = %v", c.name, c.query, c.op, got)
		}
	}
}

func TestIntrospectionRequestKeepsBody(t *testing.T) {
	body := `{"query":"{ __schema { queryType { name } } }"}`
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	ok, r2 := introspectionRequest(req)
	if !ok {
		t.Fatal("not recognized")
	}
	got, _ := io.ReadAll(r2.Body)
	if string(got) != body {
		t.Errorf("body after the check: %q", got)
	}

	// Too long to be introspection: refused, body intact for the API.
	long, _ := json.Marshal(map[string]string{"query": "{ __typename }" + strings.Repeat(" ", maxIntrospectionBody)})
	req = httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(long))
	req.Header.Set("Content-Type", "application/json")
	ok, r2 = introspectionRequest(req)
	got, _ = io.ReadAll(r2.Body)
	if ok || !bytes.Equal(got, long) {
		t.Errorf("long body: ok %v, %d of %d bytes kept", ok, len(got), len(long))
	}

	req = httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "text/plain")
	if ok, _ := introspectionRequest(req); ok {
		t.Error("text/plain body accepted")
	}
	req = httptest.NewRequest(http.MethodGet, "/graphql?query="+url.QueryEscape("{ __typename }"), nil)
	if ok, _ := introspectionRequest(req); !ok {
		t.Error("GET not recognized")
	}
}
