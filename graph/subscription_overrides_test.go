package graph_test

import (
	"testing"

	"github.com/stigg-selfhost/stiggql/internal/apitest"
)

// TestOverridesOverHTTP: provisionCustomer's subscriptionParams and
// provisionSubscription's 4.x entitlements input store the subscription's
// own entitlements and prices, which subscriptionEntitlements, totalPrice
// and isCustomPriceSubscription show; a bad one is a coded error.
func TestOverridesOverHTTP(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		doc := `mutation($in: ProvisionCustomerInput!) { provisionCustomer(input: $in) { subscription {
			isCustomPriceSubscription totalPrice { subTotal { amount } }
			subscriptionEntitlements { featureId usageLimit } } } }`
		d := run(t, s, doc, map[string]any{"in": map[string]any{"customerId": "c1", "subscriptionParams": map[string]any{
			"planId": "plan-revvenu-pro", "subscriptionEntitlements": []any{map[string]any{"featureId": "feature-seats", "usageLimit": 99}},
			"priceOverrides": []any{map[string]any{"baseCharge": true, "price": map[string]any{"amount": 11}}}}}})
		sub := jsonPath(t, d, "provisionCustomer", "subscription")
		eq(t, "custom price", jsonPath(t, sub, "isCustomPriceSubscription"), true)
		// Pro: base charge 79 overridden to 11, plus its per-unit seats (12 for the one seat).
		eq(t, "subTotal", jsonPath(t, sub, "totalPrice", "subTotal", "amount"), 11.0+12)
		eq(t, "own entitlement", jsonPath(t, sub, "subscriptionEntitlements", 0, "usageLimit"), 99.0)

		provision(t, s, s.Key, map[string]any{"customerId": "c2"})
		bad := `mutation($in: ProvisionSubscriptionInput!) { provisionSubscriptionV2(input: $in) { status } }`
		s.Fail("FeatureNotFound", bad, map[string]any{"in": map[string]any{"customerId": "c2", "planId": "plan-revvenu-pro",
			"entitlements": []any{map[string]any{"feature": map[string]any{"featureId": "feature-nope", "usageLimit": 1}}}}})
	})
}
