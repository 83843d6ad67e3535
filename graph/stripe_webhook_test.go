package graph_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/internal/apitest"
	"github.com/stigg-selfhost/stiggql/internal/billing"
	"github.com/stigg-selfhost/stiggql/internal/billing/stripemock"
	"github.com/stigg-selfhost/stiggql/internal/httpapi"
)

const webhookSecret = "whsec_test_webhook"

// paidCheckout provisions Pro with checkoutOptions for a customer on the
// free plan, and returns the refId the subscription gets and the metadata
// the Checkout Session was created with (as stripe-mock received it).
func paidCheckout(t *testing.T, s *apitest.Server, sw *stripemock.Switch, customer string) (string, map[string]string) {
	t.Helper()
	s.Query(`mutation($id: String!) { provisionCustomer(input: {customerId: $id, subscriptionParams: {planId: "plan-revvenu-free"}}) { customer { customerId } } }`,
		map[string]any{"id": customer}, nil)
	in := map[string]any{"customerId": customer, "planId": "plan-revvenu-pro", "billingPeriod": "MONTHLY", "unitQuantity": 3,
		"addons":          []any{map[string]any{"addonId": "addon-extra-seats", "quantity": 2}},
		"checkoutOptions": map[string]any{"successUrl": "https://app.example.com/ok", "cancelUrl": "https://app.example.com/back"}}
	d := run(t, s, provisionCheckoutDoc, map[string]any{"in": in})
	eq(t, "status", jsonPath(t, d, "provisionSubscription", "status"), "PAYMENT_REQUIRED")
	meta := map[string]string{}
	for k, v := range lastRequest(t, sw, "POST", "/v1/checkout/sessions") {
		if key, ok := strings.CutPrefix(k, "metadata["); ok {
			meta[strings.TrimSuffix(key, "]")] = v[0]
		}
	}
	if meta["stigg_environment_id"] == "" || meta["stigg_customer_uuid"] == "" || meta["stigg_billable_features"] != "feature-seats:3" {
		t.Fatalf("checkout metadata %v lacks the environment, customer or seats", meta)
	}
	return jsonPath(t, d, "provisionSubscription", "id").(string), meta
}

// stripeEvent is a Stripe event of type typ about a checkout session with
// meta, as JSON.
func stripeEvent(t *testing.T, id, typ string, meta map[string]string) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"id": id, "object": "event", "type": typ, "api_version": stripe.APIVersion,
		"data": map[string]any{"object": map[string]any{"id": "cs_test_" + id, "object": "checkout.session", "mode": "subscription",
			"payment_status": "paid", "status": "complete", "subscription": "sub_paid_" + meta["stigg_subscription_id"], "metadata": meta}}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// deliverEvent posts payload signed with secret to the webhook handler.
func deliverEvent(t *testing.T, h http.Handler, payload []byte, secret string) (int, map[string]any) {
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret})
	req := httptest.NewRequest("POST", httpapi.StripeWebhookPath, strings.NewReader(string(payload)))
	req.Header.Set("Stripe-Signature", sp.Header)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

func webhookHandler(s *apitest.Server) http.Handler {
	return httpapi.StripeWebhook(webhookSecret, s.Resolver.SubscriptionService, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// rowCounts counts what a delivery could write.
func rowCounts(t *testing.T, s *apitest.Server) [3]int {
	t.Helper()
	ctx := context.Background()
	c := s.Store.Client
	a, err1 := c.CustomerSubscription.Query().Count(ctx)
	b, err2 := c.OutboxEvent.Query().Count(ctx)
	d, err3 := c.SubscriptionPrice.Query().Count(ctx)
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return [3]int{a, b, d}
}

// TestStripeWebhookCheckoutCompleted: a signed checkout.session.completed
// provisions what the checkout priced (plan, period, seats, add-on), with
// Stripe's subscription as its billingId, so the sync updates that one and
// creates none; a redelivery, another event type and a bad signature
// write nothing.
func TestStripeWebhookCheckoutCompleted(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		syncer, sw := withStripe(t, s, billing.Config{})
		h := webhookHandler(s)
		subID, meta := paidCheckout(t, s, sw, "wh-1")

		// Bad signature: 400, nothing written.
		before := rowCounts(t, s)
		payload := stripeEvent(t, "evt_1", "checkout.session.completed", meta)
		code, _ := deliverEvent(t, h, payload, "whsec_wrong")
		eq(t, "bad signature", code, http.StatusBadRequest)
		eq(t, "nothing written", rowCounts(t, s), before)

		code, out := deliverEvent(t, h, payload, webhookSecret)
		eq(t, "delivery", code, http.StatusOK)
		eq(t, "created", out["created"], true)
		v := customerView(t, s, "wh-1")
		st := statuses(t, jsonPath(t, v, "allSubs"))
		eq(t, "paid subscription", st[subID], "ACTIVE")
		eq(t, "two rows (free replaced)", len(st), 2)
		sub, err := s.Store.Client.CustomerSubscription.Query().Where(customersubscription.RefID(subID)).Only(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if sub.BillingID == nil || *sub.BillingID != "sub_paid_"+subID {
			t.Fatalf("billingId = %v, want Stripe's subscription", sub.BillingID)
		}

		// Its entitlements are those of the same input provisioned directly.
		q := func(c string) map[string]map[string]any {
			return byRef(t, run(t, s, getEntitlementsDoc, map[string]any{"query": map[string]any{"customerId": c}})["entitlements"])
		}
		s.Query(`mutation { provisionCustomer(input: {customerId: "wh-direct"}) { customer { customerId } } }`, nil, nil)
		run(t, s, provisionCheckoutDoc, map[string]any{"in": map[string]any{"customerId": "wh-direct", "planId": "plan-revvenu-pro",
			"billingPeriod": "MONTHLY", "unitQuantity": 3, "addons": []any{map[string]any{"addonId": "addon-extra-seats", "quantity": 2}}}})
		got, want := q("wh-1"), q("wh-direct")
		eq(t, "sso granted", got["feature-sso"]["isGranted"], true)
		eq(t, "seats", got["feature-seats"]["usageLimit"], want["feature-seats"]["usageLimit"])
		eq(t, "entitlement count", len(got), len(want))

		// The sync updates Stripe's subscription and creates none.
		if _, err := syncer.DeliverDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		updated := false
		for _, r := range sw.Requests() {
			if r.Method == "POST" && r.Path == "/v1/subscriptions" && r.Form.Get("metadata[stigg_subscription_id]") == subID {
				t.Fatalf("the sync created a second Stripe subscription: %+v", r)
			}
			updated = updated || r.Method == "POST" && r.Path == "/v1/subscriptions/sub_paid_"+subID
		}
		if !updated {
			t.Fatalf("the sync did not update Stripe's subscription: %+v", sw.Requests())
		}

		// Redelivery (same event) and another event for the same session:
		// 200, nothing new.
		before = rowCounts(t, s)
		code, out = deliverEvent(t, h, payload, webhookSecret)
		eq(t, "redelivery", code, http.StatusOK)
		eq(t, "not created again", out["created"], false)
		code, _ = deliverEvent(t, h, stripeEvent(t, "evt_2", "checkout.session.completed", meta), webhookSecret)
		eq(t, "second event", code, http.StatusOK)
		code, out = deliverEvent(t, h, stripeEvent(t, "evt_3", "invoice.paid", meta), webhookSecret)
		eq(t, "other type", code, http.StatusOK)
		eq(t, "ignored", out["ignored"], "invoice.paid")
		eq(t, "nothing new", rowCounts(t, s), before)
	})
}

// TestStripeWebhookConcurrentDeliveries: deliveries of the same event at
// once provision the subscription once.
func TestStripeWebhookConcurrentDeliveries(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		_, sw := withStripe(t, s, billing.Config{})
		h := webhookHandler(s)
		subID, meta := paidCheckout(t, s, sw, "wh-c")
		payload := stripeEvent(t, "evt_c", "checkout.session.completed", meta)
		const n = 4
		var wg sync.WaitGroup
		codes, created := make([]int, n), make([]any, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var out map[string]any
				codes[i], out = deliverEvent(t, h, payload, webhookSecret)
				created[i] = out["created"]
			}()
		}
		wg.Wait()
		made := 0
		for i := range n {
			eq(t, "delivery", codes[i], http.StatusOK)
			if created[i] == true {
				made++
			}
		}
		eq(t, "provisioned once", made, 1)
		cnt, err := s.Store.Client.CustomerSubscription.Query().Where(customersubscription.RefID(subID)).Count(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "one row", cnt, 1)
		st := statuses(t, jsonPath(t, customerView(t, s, "wh-c"), "allSubs"))
		eq(t, "subscriptions", len(st), 2)
	})
}

// TestStripeWebhookMounted: the server's handler serves the webhook only
// when given a webhook secret (serve passes it only with Stripe configured),
// with no API key: Stripe's signature is the authentication.
func TestStripeWebhookMounted(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		post := func(h http.Handler) int {
			payload := stripeEvent(t, "evt_m", "invoice.paid", map[string]string{})
			code, _ := deliverEvent(t, h, payload, webhookSecret)
			return code
		}
		eq(t, "not mounted", post(httpapi.New(httpapi.Options{Resolver: s.Resolver})), http.StatusNotFound)
		h := httpapi.New(httpapi.Options{Resolver: s.Resolver, StripeWebhookSecret: webhookSecret})
		eq(t, "mounted", post(h), http.StatusOK)
		code, _ := deliverEvent(t, h, stripeEvent(t, "evt_m", "invoice.paid", map[string]string{}), "whsec_other")
		eq(t, "bad signature", code, http.StatusBadRequest)
	})
}
