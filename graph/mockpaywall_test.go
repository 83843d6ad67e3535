package graph_test

import (
	"testing"

	"github.com/stigg-selfhost/stiggql/internal/apitest"
)

const mockPaywallDoc = `query($in: GetPaywallInput!) { mockPaywall(input: $in) {
	configuration { customCss }
	plans { refId displayName pricingType basePlan { refId } product { refId displayName }
		defaultTrialConfig { duration units }
		entitlements { usageLimit hasUnlimitedUsage resetPeriod feature { refId featureType meterType featureUnitsPlural } }
		inheritedEntitlements { feature { refId } }
		prices { billingModel billingPeriod price { amount currency } feature { refId } tiersMode tiers { upTo unitPrice { amount } } }
		compatibleAddons { refId maxQuantity prices { price { amount } } entitlements { usageLimit feature { refId } } } } } }`

// TestMockPaywall: the browser SDK's preview paywall (asked for with a
// "stiggTestData..." product id) shows the built-in demo catalog's plans,
// whatever the environment's catalog holds (here: none), with prices,
// entitlements, inherited entitlements, trials and add-ons; a demo
// product's id narrows it to that product.
func TestMockPaywall(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		d := run(t, s, mockPaywallDoc, map[string]any{"in": map[string]any{"productId": "stiggTestDataProduct"}})
		plans := jsonPath(t, d, "mockPaywall", "plans").([]any)
		var refs []any
		for _, p := range plans {
			refs = append(refs, jsonPath(t, p, "refId"))
		}
		deq(t, "plans", refs, []any{"plan-revvenu-free", "plan-revvenu-basic", "plan-revvenu-pro", "plan-insights-starter", "plan-insights-growth"})
		eq(t, "no configuration", jsonPath(t, d, "mockPaywall", "configuration"), nil)
		free, basic, pro, growth := plans[0], plans[1], plans[2], plans[4]
		eq(t, "free", jsonPath(t, free, "pricingType"), "FREE")
		eq(t, "free seats", jsonPath(t, free, "entitlements", 0, "usageLimit"), 2.0)
		eq(t, "seats feature", jsonPath(t, free, "entitlements", 0, "feature", "featureUnitsPlural"), "seats")
		eq(t, "api calls reset", jsonPath(t, free, "entitlements", 1, "resetPeriod"), "MONTH")
		eq(t, "basic trial", jsonPath(t, basic, "defaultTrialConfig", "duration"), 14.0)
		eq(t, "basic price", jsonPath(t, basic, "prices", 0, "price", "amount"), 29.0)
		eq(t, "basic add-on", jsonPath(t, basic, "compatibleAddons", 0, "refId"), "addon-extra-seats")
		eq(t, "add-on price", jsonPath(t, basic, "compatibleAddons", 0, "prices", 0, "price", "amount"), 20.0)
		eq(t, "pro base", jsonPath(t, pro, "basePlan", "refId"), "plan-revvenu-basic")
		eq(t, "pro paid", jsonPath(t, pro, "pricingType"), "PAID")
		eq(t, "pro seats price feature", jsonPath(t, pro, "prices", 1, "feature", "refId"), "feature-seats")
		var inherited []any
		for _, e := range jsonPath(t, pro, "inheritedEntitlements").([]any) {
			inherited = append(inherited, jsonPath(t, e, "feature", "refId"))
		}
		deq(t, "pro inherits", inherited, []any{"feature-seats", "feature-custom-domain"})
		eq(t, "growth tiers", jsonPath(t, growth, "prices", 1, "tiersMode"), "GRADUATED")
		eq(t, "growth product", jsonPath(t, growth, "product", "displayName"), "Insights")

		d = run(t, s, mockPaywallDoc, map[string]any{"in": map[string]any{"productId": "product-insights"}})
		eq(t, "one product's plans", len(jsonPath(t, d, "mockPaywall", "plans").([]any)), 2)
	})
}
