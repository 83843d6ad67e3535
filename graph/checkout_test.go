package graph_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stigg-selfhost/stiggql/internal/apitest"
	"github.com/stigg-selfhost/stiggql/internal/billing"
	"github.com/stigg-selfhost/stiggql/internal/billing/stripemock"
)

const provisionCheckoutDoc = `mutation($in: ProvisionSubscriptionInput!) { provisionSubscription(input: $in) {
	id status checkoutUrl checkoutBillingId subscription { subscriptionId status } } }`

// lastRequest is the last request to path that reached stripe-mock.
func lastRequest(t *testing.T, sw *stripemock.Switch, method, path string) url.Values {
	t.Helper()
	reqs := sw.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Method == method && reqs[i].Path == path {
			return reqs[i].Form
		}
	}
	t.Fatalf("no %s %s reached Stripe; requests: %+v", method, path, reqs)
	return nil
}

// TestProvisionSubscriptionCheckout: with Stripe configured, provisioning a
// plan paid from its start with checkoutOptions syncs the customer to
// Stripe, creates a Checkout Session priced from the catalog (stripe-mock
// checks the request against Stripe's API) and answers PAYMENT_REQUIRED
// with its URL and id; nothing is written, so the customer keeps its plan.
// A trial needs no payment and is provisioned as before.
func TestProvisionSubscriptionCheckout(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		_, sw := withStripe(t, s, billing.Config{})
		s.Query(`mutation { provisionCustomer(input: {customerId: "co-1", email: "co@example.com", subscriptionParams: {planId: "plan-revvenu-free"}}) { customer { customerId } } }`, nil, nil)
		opts := map[string]any{"successUrl": "https://app.example.com/ok", "cancelUrl": "https://app.example.com/back",
			"allowPromoCodes": true, "collectBillingAddress": true, "collectPhoneNumber": true, "allowTaxIdCollection": true, "referenceId": "ref-7"}
		in := map[string]any{"customerId": "co-1", "planId": "plan-revvenu-pro", "billingPeriod": "MONTHLY", "unitQuantity": 3,
			"addons": []any{map[string]any{"addonId": "addon-extra-seats", "quantity": 2}}, "checkoutOptions": opts}
		d := run(t, s, provisionCheckoutDoc, map[string]any{"in": in})
		res := jsonPath(t, d, "provisionSubscription")
		eq(t, "status", jsonPath(t, res, "status"), "PAYMENT_REQUIRED")
		eq(t, "no subscription yet", jsonPath(t, res, "subscription"), nil)
		sessID, _ := jsonPath(t, res, "checkoutBillingId").(string)
		checkoutURL, _ := jsonPath(t, res, "checkoutUrl").(string)
		if !strings.HasPrefix(sessID, "cs_") || !strings.HasPrefix(checkoutURL, "https://") {
			t.Fatalf("checkout %q %q, want a Stripe session id and its URL", sessID, checkoutURL)
		}

		// The customer was synced first, and the session is for it.
		c := getSynced(t, s, "co-1")
		checkStripeSuccess(t, c)
		f := lastRequest(t, sw, "POST", "/v1/checkout/sessions")
		subID, _ := jsonPath(t, res, "id").(string)
		want := map[string]string{
			"mode": "subscription", "customer": *c.BillingID,
			"success_url": "https://app.example.com/ok", "cancel_url": "https://app.example.com/back",
			"client_reference_id": "ref-7", "allow_promotion_codes": "true", "billing_address_collection": "required",
			"phone_number_collection[enabled]": "true", "tax_id_collection[enabled]": "true",
			"customer_update[name]": "auto", "customer_update[address]": "auto",
			// Pro's flat fee, its seats (per unit, three), then the add-on (two).
			"line_items[0][price_data][unit_amount]": "7900", "line_items[0][price_data][currency]": "usd",
			"line_items[0][price_data][recurring][interval]": "month", "line_items[0][quantity]": "1",
			"line_items[0][price_data][product_data][name]": "Pro",
			"line_items[1][price_data][unit_amount]":        "1200", "line_items[1][quantity]": "3",
			"line_items[1][price_data][product_data][name]": "Pro (Seats)",
			"line_items[2][price_data][unit_amount]":        "2000", "line_items[2][quantity]": "2",
			"line_items[2][price_data][product_data][name]": "Extra seats",
			"metadata[stigg_plan_id]":                       "plan-revvenu-pro", "metadata[stigg_billing_period]": "MONTHLY",
			"metadata[stigg_subscription_id]": subID, "metadata[stigg_addons]": "addon-extra-seats:2",
			"subscription_data[metadata][stigg_plan_id]": "plan-revvenu-pro",
		}
		for k, v := range want {
			if got := f.Get(k); got != v {
				t.Errorf("checkout session %s = %q, want %q", k, got, v)
			}
		}
		if _, ok := f["line_items[3][quantity]"]; ok {
			t.Errorf("an extra line item was sent: %v", f)
		}

		// Nothing written: still on the free plan.
		v := customerView(t, s, "co-1")
		subs := jsonPath(t, v, "subscriptions").([]any)
		eq(t, "one subscription", len(subs), 1)
		eq(t, "still free", jsonPath(t, subs[0], "plan", "refId"), "plan-revvenu-free")

		// A trial is provisioned at once, checkout options or not.
		in = map[string]any{"customerId": "co-1", "planId": "plan-revvenu-basic", "billingPeriod": "MONTHLY", "checkoutOptions": opts}
		d = run(t, s, provisionCheckoutDoc, map[string]any{"in": in})
		eq(t, "trial status", jsonPath(t, d, "provisionSubscription", "status"), "SUCCESS")
		eq(t, "trial subscription", jsonPath(t, d, "provisionSubscription", "subscription", "status"), "IN_TRIAL")
		eq(t, "no checkout", jsonPath(t, d, "provisionSubscription", "checkoutUrl"), nil)

		// Refused input reaches neither Stripe nor the database.
		n := len(sw.Requests())
		in = map[string]any{"customerId": "co-1", "planId": "plan-revvenu-pro", "billingPeriod": "MONTHLY", "unitQuantity": 3,
			"addons": []any{map[string]any{"addonId": "addon-extra-seats", "quantity": 99}}, "checkoutOptions": opts}
		s.Fail("AddonQuantityExceedsLimitError", provisionCheckoutDoc, map[string]any{"in": in})
		eq(t, "no Stripe request", len(sw.Requests()), n)
	})
}

const checkoutStateDoc = `query($in: CheckoutStateInput!) { checkoutState(input: $in) {
	setupSecret configuration { customCss } resource { resourceId }
	customer { customerId } plan { refId } activeSubscription { plan { refId } }
	billingIntegration { billingIdentifier credentials { accountId publicKey }
		billingCredentials { ... on StripeCheckoutCredentials { publicKey setupSecret accountId } } } } }`

// TestCheckoutState: with Stripe, the customer, the plan, the subscription
// the checkout replaces, and a SetupIntent's secret made for the customer's
// Stripe customer with the configured publishable key; without Stripe a
// checkout page has nothing to pay with: BillingIntegrationMissing.
func TestCheckoutState(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		s.Query(`mutation { provisionCustomer(input: {customerId: "cs-1", subscriptionParams: {planId: "plan-revvenu-free"}}) { customer { customerId } } }`, nil, nil)
		in := map[string]any{"customerId": "cs-1", "planId": "plan-revvenu-pro", "productId": "product-revvenu"}
		s.Fail("BillingIntegrationMissing", checkoutStateDoc, map[string]any{"in": in})

		_, sw := withStripe(t, s, billing.Config{PublishableKey: "pk_test_abc"})
		d := run(t, s, checkoutStateDoc, map[string]any{"in": in})
		st := jsonPath(t, d, "checkoutState")
		eq(t, "customer", jsonPath(t, st, "customer", "customerId"), "cs-1")
		eq(t, "plan", jsonPath(t, st, "plan", "refId"), "plan-revvenu-pro")
		eq(t, "replaces", jsonPath(t, st, "activeSubscription", "plan", "refId"), "plan-revvenu-free")
		eq(t, "vendor", jsonPath(t, st, "billingIntegration", "billingIdentifier"), "STRIPE")
		eq(t, "public key", jsonPath(t, st, "billingIntegration", "credentials", "publicKey"), "pk_test_abc")
		eq(t, "stripe public key", jsonPath(t, st, "billingIntegration", "billingCredentials", "publicKey"), "pk_test_abc")
		secret, _ := jsonPath(t, st, "setupSecret").(string)
		if !strings.HasPrefix(secret, "seti_") {
			t.Fatalf("setupSecret %q, want a SetupIntent client secret", secret)
		}
		eq(t, "same secret", jsonPath(t, st, "billingIntegration", "billingCredentials", "setupSecret"), secret)
		eq(t, "no configuration", jsonPath(t, st, "configuration"), nil)

		c := getSynced(t, s, "cs-1")
		checkStripeSuccess(t, c)
		f := lastRequest(t, sw, "POST", "/v1/setup_intents")
		eq(t, "setup intent customer", f.Get("customer"), *c.BillingID)
		eq(t, "setup intent usage", f.Get("usage"), "off_session")

		s.Fail("PlanNotFound", checkoutStateDoc, map[string]any{"in": map[string]any{"customerId": "cs-1", "planId": "nope"}})
		s.Fail("CustomerNotFound", checkoutStateDoc, map[string]any{"in": map[string]any{"customerId": "nobody", "planId": "plan-revvenu-pro"}})
		s.Fail("BadUserInput", checkoutStateDoc, map[string]any{"in": map[string]any{"customerId": "cs-1", "planId": "plan-revvenu-pro", "productId": "product-insights"}})
	})
}
