package httpapi

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func cacheRequest(t *testing.T, next http.HandlerFunc, method, query string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	target := "/graphql"
	if query != "" {
		target += "?query=" + url.QueryEscape(query)
	}
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	CacheGETQueries(next).ServeHTTP(rec, req)
	return rec
}

func TestCacheGETQueries(t *testing.T) {
	body := `{"data":{"customers":{"totalCount":1}}}`
	ok := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}

	rec := cacheRequest(t, ok, http.MethodGet, `{ customers { totalCount } }`, nil)
	h := rec.Header()
	if rec.Code != http.StatusOK || rec.Body.String() != body {
		t.Fatalf("%d %q", rec.Code, rec.Body.String())
	}
	if h.Get("Cache-Control") != "private, max-age=0, must-revalidate" {
		t.Errorf("Cache-Control %q", h.Get("Cache-Control"))
	}
	if !varyHas(h, "X-API-KEY") || !varyHas(h, "Origin") {
		t.Errorf("Vary %v", h.Values("Vary"))
	}
	etag := h.Get("ETag")
	if !strings.HasPrefix(etag, `"`) || len(etag) < 10 {
		t.Fatalf("ETag %q", etag)
	}

	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag} {
		rec = cacheRequest(t, ok, http.MethodGet, `{ customers { totalCount } }`, map[string]string{"If-None-Match": inm})
		if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 || rec.Header().Get("ETag") != etag {
			t.Errorf("If-None-Match %s: %d %q", inm, rec.Code, rec.Body.String())
		}
	}
	rec = cacheRequest(t, ok, http.MethodGet, `{ customers { totalCount } }`, map[string]string{"If-None-Match": `"stale"`})
	if rec.Code != http.StatusOK || rec.Body.String() != body {
		t.Errorf("stale ETag: %d", rec.Code)
	}

	// Named operations are picked as gqlgen picks them.
	doc := `query A { customers { totalCount } } mutation B { archiveCustomer(input: {customerId: "x"}) { customerId } }`
	req := httptest.NewRequest(http.MethodGet, "/graphql?"+url.Values{"query": {doc}, "operationName": {"A"}}.Encode(), nil)
	rr := httptest.NewRecorder()
	CacheGETQueries(http.HandlerFunc(ok)).ServeHTTP(rr, req)
	if rr.Header().Get("Cache-Control") != cacheGETQuery {
		t.Errorf("operation A: %q", rr.Header().Get("Cache-Control"))
	}
	req = httptest.NewRequest(http.MethodGet, "/graphql?"+url.Values{"query": {doc}, "operationName": {"B"}}.Encode(), nil)
	rr = httptest.NewRecorder()
	CacheGETQueries(http.HandlerFunc(ok)).ServeHTTP(rr, req)
	if rr.Header().Get("Cache-Control") != "no-store" || rr.Header().Get("ETag") != "" {
		t.Errorf("operation B (mutation): %v", rr.Header())
	}
}

func TestCacheGETQueriesLeavesOthersAlone(t *testing.T) {
	ok := func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("{}")) }
	rec := cacheRequest(t, ok, http.MethodGet, `mutation { archiveCustomer(input: {customerId: "x"}) { customerId } }`, nil)
	if rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("ETag") != "" {
		t.Errorf("mutation over GET: %v", rec.Header())
	}
	rec = cacheRequest(t, ok, http.MethodGet, `{ customers {`, nil)
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("syntax error: %v", rec.Header())
	}
	rec = cacheRequest(t, ok, http.MethodPost, "", nil)
	if rec.Header().Get("Cache-Control") != "" || rec.Header().Get("ETag") != "" {
		t.Errorf("POST: %v", rec.Header())
	}
	denied := func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"errors":[]}`))
	}
	rec = cacheRequest(t, denied, http.MethodGet, `{ customers { totalCount } }`, nil)
	if rec.Code != http.StatusUnauthorized || rec.Header().Get("ETag") != "" || rec.Body.String() != `{"errors":[]}` {
		t.Errorf("401: %d %v %q", rec.Code, rec.Header(), rec.Body.String())
	}
}

func TestCacheGETQueriesStreamsLargeResponses(t *testing.T) {
	chunk := strings.Repeat("x", 1<<20)
	big := func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 5; i++ {
			_, _ = w.Write([]byte(chunk))
		}
	}
	rec := cacheRequest(t, big, http.MethodGet, `{ customers { totalCount } }`, nil)
	if rec.Code != http.StatusOK || rec.Body.Len() != 5<<20 || rec.Header().Get("ETag") != "" {
		t.Errorf("%d, %d bytes, ETag %q", rec.Code, rec.Body.Len(), rec.Header().Get("ETag"))
	}
}
