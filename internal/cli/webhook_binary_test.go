package cli

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stigg-selfhost/stiggql/internal/billing/stripemock"
)

// TestStripeWebhookFlag: serve with Stripe configured and
// --stripe-webhook-secret (here from its environment variable) serves POST
// /webhooks/stripe, which refuses an unsigned event with 400; without the
// secret the route does not exist.
func TestStripeWebhookFlag(t *testing.T) {
	api := stripemock.URL(t)
	post := func(p *proc) int {
		resp, err := http.Post("http://"+p.addr+"/webhooks/stripe", "application/json", strings.NewReader(`{"id":"evt_1"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	dir := t.TempDir()
	env := []string{"STIGG_API_KEY=server-ci-key", "DATABASE_URL=file:" + filepath.Join(dir, "s.db"),
		"STRIPE_SECRET_KEY=sk_test_123", "STRIPE_API_BASE=" + api}
	p := start(t, append(env, "STRIPE_WEBHOOK_SECRET=whsec_test"))
	if code := post(p); code != http.StatusBadRequest {
		t.Fatalf("unsigned event: %d, want 400", code)
	}
	stop(t, p)
	p = start(t, env)
	if code := post(p); code != http.StatusNotFound {
		t.Fatalf("without --stripe-webhook-secret: %d, want 404", code)
	}
	stop(t, p)
}
