package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// CORS settings of the GraphQL endpoint and the edge paths. Clients authenticate with the
// X-API-KEY header, never with cookies, so credentials are not allowed.
var (
	corsAllowMethods = "GET, POST, OPTIONS"
	corsAllowHeaders = strings.Join([]string{
		"Content-Type", "X-API-KEY", "Authorization",
		"x-graphql-operation-name", "x-graphql-client-name", "x-graphql-client-version",
		"apollo-require-preflight",
		// Sent by Stigg's browser SDK (@stigg/js-client-sdk) on GraphQL and
		// edge requests.
		"source", "X-API-VERSION", "X-CUSTOMER-KEY",
	}, ", ")
	corsExposeHeaders = "X-Request-Id"
	// corsMaxAge is how long browsers may cache a preflight (Chromium caps
	// it at two hours).
	corsMaxAge = 2 * 60 * 60
)

// ParseCORSOrigins splits a comma-separated list of allowed origins
// ("https://app.example.com, http://localhost:3000", or "*" for any),
// normalizing each to scheme://host[:port]. Empty means none.
func ParseCORSOrigins(list string) ([]string, error) {
	var out []string
	for _, o := range strings.Split(list, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		n, err := normalizeOrigin(o)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

func normalizeOrigin(o string) (string, error) {
	if o == "*" {
		return o, nil
	}
	u, err := url.Parse(strings.TrimSuffix(o, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("CORS origin %q: want scheme://host[:port], e.g. https://app.example.com", o)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

// CORS lets browser pages from the allowed origins call next. Origins are
// compared exactly (after normalization); "*" allows any origin. A preflight
// (OPTIONS with Access-Control-Request-Method) is answered here, without
// reaching next and so without an API key: 204 with the allowed methods and
// headers for an allowed origin, 403 for any other. Same-origin requests
// need no entry; with no origins configured, cross-origin pages are refused.
func CORS(origins []string, next http.Handler) http.Handler {
	allowed, any := originAllowList(origins)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		// Responses differ by Origin, so shared caches must key on it.
		addVary(h, "Origin")
		origin := r.Header.Get("Origin")
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if preflight {
			addVary(h, "Access-Control-Request-Method", "Access-Control-Request-Headers")
		}
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		ok := allowed(origin)
		if ok {
			if any {
				h.Set("Access-Control-Allow-Origin", "*")
			} else {
				h.Set("Access-Control-Allow-Origin", origin)
			}
		}
		if !preflight {
			if ok {
				h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
			}
			// A disallowed origin still gets its answer; the browser
			// withholds it from the page for want of the header above.
			next.ServeHTTP(w, r)
			return
		}
		if !ok {
			http.Error(w, "CORS: origin "+origin+" is not allowed (see --cors-origins)", http.StatusForbidden)
			return
		}
		h.Set("Access-Control-Allow-Methods", corsAllowMethods)
		h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
		h.Set("Access-Control-Max-Age", strconv.Itoa(corsMaxAge))
		w.WriteHeader(http.StatusNoContent)
	})
}

// originAllowList returns whether an Origin header value is one of origins
// (after normalization), and whether origins allow any ("*").
func originAllowList(origins []string) (allowed func(origin string) bool, any bool) {
	set := make(map[string]bool, len(origins))
	for _, o := range origins {
		if n, err := normalizeOrigin(o); err == nil {
			set[n] = true
			any = any || n == "*"
		}
	}
	return func(origin string) bool { return any || set[strings.ToLower(origin)] }, any
}

// addVary adds names to the Vary header unless already listed.
func addVary(h http.Header, names ...string) {
	have := map[string]bool{}
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			have[strings.ToLower(strings.TrimSpace(f))] = true
		}
	}
	for _, n := range names {
		if !have[strings.ToLower(n)] {
			h.Add("Vary", n)
			have[strings.ToLower(n)] = true
		}
	}
}
