package graph_test

import (
	"context"
	"testing"

	"github.com/stigg-selfhost/stiggql/internal/apitest"
	"github.com/stigg-selfhost/stiggql/internal/billing"
)

// TestApplySubscriptionPaymentMethod: with Stripe, applySubscription's
// paymentMethodId is attached to the customer's Stripe customer and made the
// default of its invoices (stripe-mock checks the requests against Stripe's
// API), recorded as the customer's payment method, and the Stripe
// subscription the sync then creates is charged to it (allow_incomplete).
func TestApplySubscriptionPaymentMethod(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		syncer, sw := withStripe(t, s, billing.Config{})
		s.Query(`mutation { provisionCustomer(input: {customerId: "pm-1", subscriptionParams: {planId: "plan-revvenu-free"}}) { customer { customerId } } }`, nil, nil)
		in := map[string]any{"customerId": "pm-1", "planId": "plan-revvenu-pro", "billingPeriod": "MONTHLY", "unitQuantity": 1}
		s.Fail("BadUserInput", applyDoc, map[string]any{"in": in})

		in["paymentMethodId"] = "pm_card_visa"
		d := run(t, s, applyDoc, map[string]any{"in": in})
		eq(t, "paid", jsonPath(t, d, "applySubscription", "subscription", "status"), "ACTIVE")
		c := getSynced(t, s, "pm-1")
		f := lastRequest(t, sw, "POST", "/v1/payment_methods/pm_card_visa/attach")
		eq(t, "attached to", f.Get("customer"), *c.BillingID)
		f = lastRequest(t, sw, "POST", "/v1/customers/"+*c.BillingID)
		eq(t, "invoice default", f.Get("invoice_settings[default_payment_method]"), "pm_card_visa")
		var out struct {
			GetCustomerByRefID struct {
				HasPaymentMethod bool `json:"hasPaymentMethod"`
			} `json:"getCustomerByRefId"`
		}
		s.Query(`{ getCustomerByRefId(input: {customerId: "pm-1"}) { hasPaymentMethod } }`, nil, &out)
		eq(t, "hasPaymentMethod", out.GetCustomerByRefID.HasPaymentMethod, true)

		if _, err := syncer.DeliverDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		f = lastRequest(t, sw, "POST", "/v1/subscriptions")
		eq(t, "charged to the method on file", f.Get("payment_behavior"), "allow_incomplete")
	})
}
