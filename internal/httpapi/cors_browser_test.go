package httpapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/stigg-selfhost/stiggql/internal/browsertest"
	"github.com/stigg-selfhost/stiggql/internal/httpapi"
)

// frontendPage calls the API named in its query string (api, key) the way a
// browser app does, and reports the outcome in #outcome.
const frontendPage = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>frontend</title></head>
<body><p id="outcome">pending</p><script src="app.js"></script></body></html>
`

const frontendScript = `(function () {
  var params = new URLSearchParams(location.search);
  var out = document.getElementById('outcome');
  fetch(params.get('api'), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-API-KEY': params.get('key') },
    body: JSON.stringify({ query: '{ customers { totalCount } }' })
  }).then(function (res) {
    return res.json().then(function (body) {
      out.textContent = 'ok ' + res.status + ' totalCount=' + body.data.customers.totalCount +
        ' request-id=' + (res.headers.get('X-Request-Id') ? 'visible' : 'hidden');
    });
  }).catch(function (err) {
    out.textContent = 'blocked ' + err.name + ': ' + err.message;
  });
})();
`

// newFrontend serves the page from its own loopback origin.
func newFrontend(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, frontendPage)
	})
	mux.HandleFunc("GET /app.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		fmt.Fprint(w, frontendScript)
	})
	mux.HandleFunc("GET /favicon.ico", http.NotFound)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// TestCORSInChromium loads pages from two other loopback origins in headless
// Chromium: the allowed one reads the API's answer (preflight, X-API-KEY and
// all), the other is blocked by the browser.
func TestCORSInChromium(t *testing.T) {
	b := browsertest.New(t)
	allowed, other := newFrontend(t), newFrontend(t)
	api := newServer(t, func(o *httpapi.Options) { o.CORSOrigins = []string{allowed.URL} })
	post(t, api, testKey, `mutation { createOneCustomer(input: {customerId: "cus-cors"}) { customerId } }`)

	run := func(frontend *httptest.Server) string {
		t.Helper()
		page := frontend.URL + "/?" + url.Values{"api": {api.URL + httpapi.GraphQLPath}, "key": {testKey}}.Encode()
		err := chromedp.Do(b.Ctx,
			chromedp.Navigate(page),
			chromedp.PollFunction[chromedp.Void](`() => document.getElementById('outcome').textContent !== 'pending'`),
		)
		if err != nil {
			t.Fatalf("%s: %v (browser problems: %v)", page, err, b.Problems())
		}
		text, err := chromedp.Run(b.Ctx, chromedp.TextContent(chromedp.ID("outcome")))
		if err != nil {
			t.Fatal(err)
		}
		return text
	}

	if got := run(allowed); got != "ok 200 totalCount=1 request-id=visible" {
		t.Errorf("allowed origin %s: %q", allowed.URL, got)
	}
	if got := run(other); !strings.HasPrefix(got, "blocked TypeError") {
		t.Errorf("other origin %s: %q", other.URL, got)
	}
	// The browser reports the blocked request as a CORS error, and nothing
	// but the three loopback servers was contacted.
	cors := false
	for _, p := range b.Problems() {
		cors = cors || strings.Contains(p, "CORS policy")
	}
	if !cors {
		t.Errorf("no CORS error reported for %s: %v", other.URL, b.Problems())
	}
	b.RequireOnlyOrigins(t, allowed.URL, other.URL, api.URL)
}
