package playground_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/stigg-selfhost/stiggql/graph"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/browsertest"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/httpapi"
	"github.com/stigg-selfhost/stiggql/internal/playground"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

const testKey = "server-test-key"

// assetsDir returns PLAYGROUND_ASSETS, a directory to test instead of the
// embedded assets, or "" for the embedded ones.
func assetsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PLAYGROUND_ASSETS")
	if missing := playground.MissingAssets(dir); len(missing) > 0 {
		t.Fatalf("PLAYGROUND_ASSETS=%s lacks %v: run %s", dir, missing, playground.SetupCommand)
	}
	return dir
}

// startServer runs the real handler over a fresh SQLite database with the
// key testKey, preconfiguring the playground with pgKey.
func startServer(t *testing.T, assets, pgKey string) *httptest.Server {
	t.Helper()
	st := testdb.Open(t, testdb.SQLite)
	if _, err := auth.Bootstrap(context.Background(), st.Client, testKey); err != nil {
		t.Fatal(err)
	}
	h := httpapi.New(httpapi.Options{
		Resolver:            graph.NewResolver(st.Client, clock.System{}, nil),
		Auth:                auth.NewAuthenticator(st.Client, clock.System{}),
		Ready:               st.DB.PingContext,
		PlaygroundAssetsDir: assets,
		PlaygroundAPIKey:    pgKey,
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// gql runs a GraphQL request against srv with testKey and fails on errors.
func gql(t *testing.T, srv *httptest.Server, query string) json.RawMessage {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+httpapi.GraphQLPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(auth.HeaderName, testKey)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Data   json.RawMessage `json:"data"`
		Errors []any           `json:"errors"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || len(out.Errors) > 0 {
		t.Fatalf("%s: status %d, errors %v (%v)", query, res.StatusCode, out.Errors, err)
	}
	return out.Data
}

// editorValue reads the query editor's text.
const editorValue = `document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue()`

// TestPlaygroundRunsQueryInChromium loads the playground in headless
// Chromium with nothing but this server reachable, types a customers query,
// runs it, and checks the result shows up, without script errors or CSP
// violations. It saves a screenshot to artifacts/playground.png, and to
// docs/playground.png too with UPDATE_SCREENSHOT=1.
func TestPlaygroundRunsQueryInChromium(t *testing.T) {
	assets := assetsDir(t)
	b := browsertest.New(t)
	srv := startServer(t, assets, testKey)
	for _, c := range [][3]string{
		{"cus-ada", "Ada Lovelace", "ada@example.com"},
		{"cus-grace", "Grace Hopper", "grace@example.com"},
		{"cus-alan", "Alan Turing", "alan@example.com"},
	} {
		gql(t, srv, `mutation { createOneCustomer(input: {customerId: "`+c[0]+`", name: "`+c[1]+`", email: "`+c[2]+`"}) { customerId } }`)
	}

	const query = `{ customers { totalCount edges { node { customerId name email } } } }`
	ctx := b.Ctx
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-query-editor .CodeMirror")),
		// The explorer lists the root fields once introspection (which
		// needs the preset key) has succeeded.
		chromedp.PollFunction[chromedp.Void](`() => {
			const e = document.querySelector('.graphiql-explorer-root');
			return e && e.textContent.includes('customers');
		}`),
		chromedp.Click(chromedp.CSS(".graphiql-query-editor .CodeMirror-lines")),
		chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		chromedp.KeyEvent(query),
	)
	if err != nil {
		failure(t, b, "type the query", err)
	}
	typed, err := chromedp.Run(ctx, chromedp.Evaluate[string](editorValue))
	if err != nil {
		t.Fatal(err)
	}
	if squash(typed) != squash(query) {
		t.Fatalf("editor holds %q after typing %q", typed, query)
	}
	err = chromedp.Do(ctx,
		// GraphiQL picks up the edited operation after a short debounce.
		chromedp.Sleep(time.Second),
		chromedp.Click(chromedp.CSS(`button[aria-label^="Prettify"]`)),
		chromedp.Click(chromedp.CSS(".graphiql-execute-button")),
		chromedp.PollFunction[chromedp.Void](`() => {
			const r = document.querySelector('.graphiql-response');
			return r && r.textContent.includes('"totalCount": 3');
		}`),
	)
	if err != nil {
		failure(t, b, "run the query", err)
	}
	result, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(".graphiql-response")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"customerId": "cus-ada"`, `"name": "Grace Hopper"`, `"email": "alan@example.com"`} {
		if !strings.Contains(result, want) {
			t.Errorf("result lacks %s:\n%s", want, result)
		}
	}
	notice, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.ID("notice")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(notice, "X-API-KEY") || strings.Contains(notice, testKey) {
		t.Errorf("notice should name the header and mask the preset key: %q", notice)
	}

	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	root := browsertest.RepoRoot(t)
	save(t, filepath.Join(root, "artifacts", "playground.png"), png)
	if os.Getenv("UPDATE_SCREENSHOT") == "1" {
		save(t, filepath.Join(root, "docs", "playground.png"), png)
	}

	if p := b.Problems(); len(p) > 0 {
		t.Errorf("browser reported problems:\n%s", strings.Join(p, "\n"))
	}
	b.RequireOnlyOrigins(t, srv.URL)
}

// TestPlaygroundExplainsAPIKeyInChromium checks that without a preset key
// the page says how to set the X-API-KEY header, and the Headers tab holds
// a template for it.
func TestPlaygroundExplainsAPIKeyInChromium(t *testing.T) {
	assets := assetsDir(t)
	b := browsertest.New(t)
	srv := startServer(t, assets, "")
	err := chromedp.Do(b.Ctx,
		chromedp.Navigate(srv.URL+"/playground"),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-query-editor .CodeMirror")),
		chromedp.WaitVisible(chromedp.ID("notice")),
	)
	if err != nil {
		t.Fatalf("load the playground: %v\nbrowser problems: %v", err, b.Problems())
	}
	notice, err := chromedp.Run(b.Ctx, chromedp.TextContent(chromedp.ID("notice")))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`Headers.*X-API-KEY`).MatchString(notice) {
		t.Errorf("notice does not explain the header: %q", notice)
	}
	headers, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](
		`document.querySelector('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror').CodeMirror.getValue()`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(headers, `"X-API-KEY": ""`) {
		t.Errorf("headers editor: %q", headers)
	}
	query, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](editorValue))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(query, "totalCount") {
		t.Errorf("default query: %q", query)
	}
	b.RequireOnlyOrigins(t, srv.URL)
}

// failure ends the test with what the page shows: the response pane's text,
// the browser's problems, and a screenshot in artifacts/.
func failure(t *testing.T, b *browsertest.Browser, step string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 5*time.Second)
	defer cancel()
	resp, _ := chromedp.Run(ctx, chromedp.Evaluate[string](
		`(document.querySelector('.graphiql-response') || document.body).textContent`))
	if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		save(t, filepath.Join(browsertest.RepoRoot(t), "artifacts", "playground-failure.png"), png)
	}
	t.Fatalf("%s: %v\npage shows: %s\nbrowser problems: %v", step, err, resp, b.Problems())
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

func save(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// explorerShowsSchema waits until the Explorer lists the root fields, which
// it does only after an introspection with a valid key.
var explorerShowsSchema = chromedp.PollFunction[chromedp.Void](`() => {
	const e = document.querySelector('.graphiql-explorer-root');
	return e && e.textContent.includes('customers');
}`)

// headersEditor is the Headers tab's CodeMirror (visible when no key is
// preset).
const headersEditor = `document.querySelector('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror').CodeMirror`

// TestPlaygroundRemembersTypedKeyInChromium: without a preset key, a key
// typed in the Headers tab makes the Explorer load the schema at once (no
// "Re-fetch" click), and after a reload the key is still there and the
// schema loads again.
func TestPlaygroundRemembersTypedKeyInChromium(t *testing.T) {
	assets := assetsDir(t)
	b := browsertest.New(t)
	srv := startServer(t, assets, "")
	err := chromedp.Do(b.Ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-query-editor .CodeMirror")),
		chromedp.Evaluate[chromedp.Void](headersEditor+`.setValue('{"X-API-KEY": "`+testKey+`"}')`),
		explorerShowsSchema,
	)
	if err != nil {
		failure(t, b, "type a key and see the schema", err)
	}
	err = chromedp.Do(b.Ctx,
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-query-editor .CodeMirror")),
		explorerShowsSchema,
	)
	if err != nil {
		failure(t, b, "reload with the remembered key", err)
	}
	notice, err := chromedp.Run(b.Ctx, chromedp.TextContent(chromedp.ID("notice")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(notice, "entered earlier") {
		t.Errorf("notice after reload: %q", notice)
	}
	// The 401s of the page's first introspection (no key yet) are expected;
	// nothing else may go wrong.
	for _, p := range b.Problems() {
		if !strings.Contains(p, "401") {
			t.Errorf("browser problem: %s", p)
		}
	}
	b.RequireOnlyOrigins(t, srv.URL)
}
