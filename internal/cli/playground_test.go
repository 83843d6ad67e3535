package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/stigg-selfhost/stiggql/internal/browsertest"
)

// TestFreshClonePlayground is issue 13's "done when": the binary built from
// the repository alone starts on a new database, and headless Chromium
// (which can reach nothing but this server) gets a rendered GraphiQL whose
// Explorer shows the schema and whose query returns a result, with the key
// preset; then the same after a restart, from the kept key.
func TestFreshClonePlayground(t *testing.T) {
	b := browsertest.New(t)
	dbURL := "file:" + filepath.Join(t.TempDir(), "stigg.db")
	p := start(t, nil, "--db", dbURL)
	status, out := p.post(t, p.playgroundKey(t), `mutation { provisionCustomer(input: {customerId: "ada", name: "Ada Lovelace"}) { customer { customerId } } }`)
	if status != 200 || out["errors"] != nil {
		t.Fatalf("provision with the preset key: %d %v", status, out)
	}
	// The browser resolves no names, so the page is loaded by IP; a
	// loopback IP is a host the server hands its key to.
	origin := "http://" + p.addr
	playgroundWorks(t, b, origin, "first start")
	stop(t, p)

	// The same address: the page's origin, and its storage, stay the same.
	start(t, nil, "--db", dbURL, "--addr", p.addr)
	playgroundWorks(t, b, origin, "after a restart")
	if pr := b.Problems(); len(pr) > 0 {
		t.Errorf("browser reported problems:\n%s", strings.Join(pr, "\n"))
	}
	b.RequireOnlyOrigins(t, origin)
}

// playgroundWorks loads the playground, waits for the Explorer to list the
// schema's root fields (introspection with the preset key, no click) and
// runs the default query.
func playgroundWorks(t *testing.T, b *browsertest.Browser, origin, when string) {
	t.Helper()
	err := chromedp.Do(b.Ctx,
		chromedp.Navigate(origin+"/"),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-query-editor .CodeMirror")),
		chromedp.PollFunction[chromedp.Void](`() => {
			const e = document.querySelector('.graphiql-explorer-root');
			return e && e.textContent.includes('customers');
		}`),
		chromedp.Click(chromedp.CSS(".graphiql-execute-button")),
		chromedp.PollFunction[chromedp.Void](`() => {
			const r = document.querySelector('.graphiql-response');
			return r && r.textContent.includes('"totalCount": 1') && r.textContent.includes('Ada Lovelace');
		}`),
	)
	if err != nil {
		ctx, cancel := context.WithTimeout(b.Ctx, 5*time.Second)
		defer cancel()
		shown, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		t.Fatalf("%s: %v\npage shows: %.2000s\nbrowser problems: %v", when, err, shown, b.Problems())
	}
}
