package httpapi

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

func TestParseCORSOrigins(t *testing.T) {
	got, err := ParseCORSOrigins(" https://App.Example.com/ ,http://localhost:3000,, ")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"https://app.example.com", "http://localhost:3000"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got, err := ParseCORSOrigins(""); err != nil || got != nil {
		t.Errorf("empty: %v %v", got, err)
	}
	if got, err := ParseCORSOrigins("*"); err != nil || !reflect.DeepEqual(got, []string{"*"}) {
		t.Errorf("*: %v %v", got, err)
	}
	for _, bad := range []string{"app.example.com", "ftp://x.example", "https://x.example/path", "https://user@x.example", "https://x.example?q=1", "https://"} {
		if _, err := ParseCORSOrigins(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// corsRequest runs one request through CORS(origins) and reports whether
// the wrapped handler ran.
func corsRequest(origins []string, method, origin string, header map[string]string) (*httptest.ResponseRecorder, bool) {
	called := false
	h := CORS(origins, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		called = true
		w.WriteHeader(http.StatusOK)
	}))
	req := httptest.NewRequest(method, "/graphql", nil)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec, called
}

func varyHas(h http.Header, name string) bool {
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), name) {
				return true
			}
		}
	}
	return false
}

func TestCORS(t *testing.T) {
	allowed := []string{"https://app.example.com"}
	preflight := map[string]string{"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-api-key"}

	t.Run("no origin", func(t *testing.T) {
		rec, called := corsRequest(allowed, http.MethodPost, "", nil)
		if !called || rec.Header().Get("Access-Control-Allow-Origin") != "" || !varyHas(rec.Header(), "Origin") {
			t.Errorf("called %v, headers %v", called, rec.Header())
		}
	})
	t.Run("allowed origin", func(t *testing.T) {
		rec, called := corsRequest(allowed, http.MethodPost, "https://app.example.com", nil)
		h := rec.Header()
		if !called || h.Get("Access-Control-Allow-Origin") != "https://app.example.com" || !varyHas(h, "Origin") {
			t.Errorf("called %v, headers %v", called, h)
		}
		if h.Get("Access-Control-Expose-Headers") != "X-Request-Id" || h.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("headers %v", h)
		}
	})
	t.Run("other origin", func(t *testing.T) {
		rec, called := corsRequest(allowed, http.MethodPost, "https://evil.example", nil)
		if !called || rec.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("called %v, headers %v", called, rec.Header())
		}
	})
	t.Run("no origins configured", func(t *testing.T) {
		rec, _ := corsRequest(nil, http.MethodPost, "https://app.example.com", nil)
		if rec.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("headers %v", rec.Header())
		}
		rec, called := corsRequest(nil, http.MethodOptions, "https://app.example.com", preflight)
		if called || rec.Code != http.StatusForbidden {
			t.Errorf("preflight: %d, called %v", rec.Code, called)
		}
	})
	t.Run("preflight allowed", func(t *testing.T) {
		rec, called := corsRequest(allowed, http.MethodOptions, "https://app.example.com", preflight)
		h := rec.Header()
		if called {
			t.Error("preflight reached the API (and its key check)")
		}
		if rec.Code != http.StatusNoContent {
			t.Errorf("status %d", rec.Code)
		}
		if h.Get("Access-Control-Allow-Origin") != "https://app.example.com" || h.Get("Access-Control-Allow-Methods") != "GET, POST, OPTIONS" || h.Get("Access-Control-Max-Age") != "7200" {
			t.Errorf("headers %v", h)
		}
		for _, want := range []string{"Content-Type", "X-API-KEY", "x-graphql-operation-name", "x-graphql-client-name", "x-graphql-client-version", "Authorization", "apollo-require-preflight", "source", "X-API-VERSION", "X-CUSTOMER-KEY"} {
			if !strings.Contains(h.Get("Access-Control-Allow-Headers"), want) {
				t.Errorf("allowed headers lack %s: %s", want, h.Get("Access-Control-Allow-Headers"))
			}
		}
		for _, v := range []string{"Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"} {
			if !varyHas(h, v) {
				t.Errorf("Vary lacks %s: %v", v, h.Values("Vary"))
			}
		}
	})
	t.Run("preflight from other origin", func(t *testing.T) {
		rec, called := corsRequest(allowed, http.MethodOptions, "https://evil.example", preflight)
		if called || rec.Code != http.StatusForbidden || rec.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("status %d, called %v, headers %v", rec.Code, called, rec.Header())
		}
	})
	t.Run("origin compared case-insensitively", func(t *testing.T) {
		rec, _ := corsRequest([]string{"https://APP.example.com/"}, http.MethodPost, "https://app.example.com", nil)
		if rec.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" {
			t.Errorf("headers %v", rec.Header())
		}
	})
	t.Run("any origin", func(t *testing.T) {
		rec, _ := corsRequest([]string{"*"}, http.MethodPost, "https://whoever.example", nil)
		if rec.Header().Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("headers %v", rec.Header())
		}
		rec, called := corsRequest([]string{"*"}, http.MethodOptions, "https://whoever.example", preflight)
		if called || rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("preflight %d %v", rec.Code, rec.Header())
		}
	})
	t.Run("plain OPTIONS goes to the API", func(t *testing.T) {
		_, called := corsRequest(allowed, http.MethodOptions, "https://app.example.com", nil)
		if !called {
			t.Error("OPTIONS without Access-Control-Request-Method was answered as a preflight")
		}
	})
}

func TestAddVaryDeduplicates(t *testing.T) {
	h := http.Header{}
	addVary(h, "Origin")
	addVary(h, "X-API-KEY", "origin")
	if got := h.Values("Vary"); !reflect.DeepEqual(got, []string{"Origin", "X-API-KEY"}) {
		t.Errorf("Vary %v", got)
	}
}
