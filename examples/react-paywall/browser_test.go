package reactpaywall_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/stigg-selfhost/stiggql/internal/browsertest"
	"github.com/stigg-selfhost/stiggql/internal/proof/serverproc"
)

func TestMain(m *testing.M) {
	code := m.Run()
	serverproc.Cleanup()
	os.Exit(code)
}

const serverKey = "server-browser-test-key"

// cli runs the server binary's command line on the test database.
func cli(t *testing.T, db string, args ...string) string {
	t.Helper()
	bin, err := serverproc.Binary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+db)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("stiggql %v: %v: %s", args, err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// gql runs a document with the server key and returns its data.
func gql(t *testing.T, base, doc string, vars map[string]any) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": doc, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-KEY", serverKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []any          `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if len(out.Errors) > 0 {
		t.Fatalf("%s: %v", doc, out.Errors)
	}
	return out.Data
}

func pageURL(base, key, customer, token string) string {
	q := url.Values{"apiKey": {key}, "customerId": {customer}, "customerToken": {token}}
	return base + "/examples/paywall/?" + q.Encode()
}

// waitFor polls a JavaScript condition (a function body's expression) in
// the page until it holds.
func waitFor(cond string) chromedp.Action[chromedp.Void] {
	return chromedp.PollFunction[chromedp.Void]("() => "+cond, chromedp.WithPollingTimeout(20*time.Second))
}

// textOf is a JavaScript expression: the text of the element with id, or "".
func textOf(id string) string {
	return `((document.getElementById("` + id + `") || {}).textContent || "")`
}

func contains(id, want string) string {
	b, _ := json.Marshal(want)
	return textOf(id) + ".includes(" + string(b) + ")"
}

func present(id string) string { return `!!document.getElementById("` + id + `")` }

// TestExamplePage drives the example page in headless Chromium against the
// real server binary: the paywall lists the demo plans with their prices;
// choosing the Basic trial creates the subscription (seen through the API);
// the portal shows it; the custom-domain element shows only while the
// entitlement is granted; and in hardened mode a wrong customer token shows
// the SDK's error and no data.
func TestExamplePage(t *testing.T) {
	browsertest.Chromium(t)
	db := "file:" + filepath.Join(t.TempDir(), "stigg.db")
	srv := serverproc.StartT(t, serverproc.Options{DB: db, APIKey: serverKey, Args: []string{"--example-paywall"}})
	base := srv.URL
	clientKey := cli(t, db, "keys", "create", "--kind", "client")
	token := cli(t, db, "keys", "customer-token", "--customer", "bt-1")
	gql(t, base, `mutation { provisionCustomer(input: {customerId: "bt-1", name: "Browser Test"}) { customer { customerId } } }`, nil)

	b := browsertest.New(t)
	ctx := b.Ctx
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			body, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body.innerText"))
			t.Fatalf("%s: %v\npage text: %s\nbrowser problems: %v\nserver log: %s", name, err, body, b.Problems(), srv.Output())
		}
	}

	step("paywall lists the plans with prices",
		chromedp.Navigate(pageURL(base, clientKey, "bt-1", token)),
		waitFor(contains("paywall", "Free")+" && "+contains("paywall", "Basic")+" && "+contains("paywall", "Pro")),
		waitFor(contains("paywall", "$29")+" && "+contains("paywall", "$79")),
		waitFor(present("custom-domain-locked")),
	)

	step("choosing the Basic trial subscribes",
		chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll("#paywall button")].find(b => b.textContent.includes("Start 14 day trial")).click()`),
		waitFor(contains("plan-message", "Subscribed to Basic")),
	)
	d := gql(t, base, `{ getActiveSubscriptions(input: {customerId: "bt-1"}) { status plan { refId } } }`, nil)
	subs := d["getActiveSubscriptions"].([]any)
	if len(subs) != 1 || subs[0].(map[string]any)["plan"].(map[string]any)["refId"] != "plan-revvenu-basic" || subs[0].(map[string]any)["status"] != "IN_TRIAL" {
		t.Fatalf("active subscriptions after choosing Basic: %v", subs)
	}

	step("portal shows it and the gated elements appear",
		chromedp.Reload(),
		waitFor(contains("portal", "Basic")),
		waitFor(present("custom-domain")+" && "+present("api-calls")),
	)

	// Revoke: cancelling the trial moves the customer to the product's
	// downgrade plan (Free), which has no custom domain.
	d = gql(t, base, `{ getActiveSubscriptions(input: {customerId: "bt-1"}) { subscriptionId } }`, nil)
	id := d["getActiveSubscriptions"].([]any)[0].(map[string]any)["subscriptionId"]
	gql(t, base, `mutation($id: String!) { cancelSubscription(input: {subscriptionRefId: $id, subscriptionCancellationTime: IMMEDIATE}) { status } }`, map[string]any{"id": id})
	step("after the revoke the gated element is gone",
		chromedp.Reload(),
		waitFor(contains("portal", "Free")),
		waitFor(present("custom-domain-locked")+" && !"+present("custom-domain")),
	)
	// @stigg/react-sdk 5.28.2 itself asks for Stripe.js (its checkout
	// imports @stripe/stripe-js) and the DM Sans font; the browser here
	// reaches nothing beyond loopback, and the page works without them.
	for _, u := range b.Requests() {
		if !strings.HasPrefix(u, base+"/") && !strings.HasPrefix(u, "data:") &&
			!strings.HasPrefix(u, "https://js.stripe.com/") && !strings.HasPrefix(u, "https://fonts.gstatic.com/") && !strings.HasPrefix(u, "https://fonts.googleapis.com/") {
			t.Errorf("the page requested %s", u)
		}
	}

	// Hardened mode: a token signed with another secret is refused; the
	// page shows the SDK's error and no plans. (A new client key: a key's
	// environment settings are cached for 30 s.)
	cli(t, db, "keys", "hardened", "on")
	hardenedKey := cli(t, db, "keys", "create", "--kind", "client")
	wrong := "HMAC-SHA256 bt-1:" + strings.Repeat("0", 64)
	b2 := browsertest.New(t)
	err := chromedp.Do(b2.Ctx,
		chromedp.Navigate(pageURL(base, hardenedKey, "bt-1", wrong)),
		chromedp.PollFunction[chromedp.Void]("() => "+present("sdk-error"), chromedp.WithPollingTimeout(45*time.Second)),
	)
	body, _ := chromedp.Run(b2.Ctx, chromedp.Evaluate[string]("document.body.innerText"))
	if err != nil {
		t.Fatalf("hardened, wrong token: no SDK error shown: %v\npage: %s", err, body)
	}
	paywall, _ := chromedp.Run(b2.Ctx, chromedp.Evaluate[string](textOf("paywall")))
	if strings.Contains(paywall, "Basic") || strings.Contains(paywall, "$29") {
		t.Fatalf("plans shown with a wrong token: %q", paywall)
	}
	t.Logf("hardened mode, wrong token: %s", body)
}
