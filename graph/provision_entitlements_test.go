package graph_test

import (
	"testing"

	"github.com/stigg-selfhost/stiggql/internal/apitest"
)

// TestProvisionAnswersComputedEntitlements: the entitlements in the answer
// of provisionSubscription (and of applySubscription and provisionCustomer
// with a subscription) are the customer's entitlements computed after the
// change, as cachedEntitlements answers them: Stigg's server SDK caches
// that list as the customer's whole entitlements. So a promotional grant
// the customer already had is in it, and metered features carry their
// usage and period, not the new plan's package entitlements alone.
func TestProvisionAnswersComputedEntitlements(t *testing.T) {
	const fields = `entitlements { isGranted currentUsage usageLimit usagePeriodEnd entitlementUpdatedAt feature { refId } }`
	byFeature := func(t *testing.T, list any) map[string]map[string]any {
		t.Helper()
		out := map[string]map[string]any{}
		for _, e := range list.([]any) {
			m := e.(map[string]any)
			out[m["feature"].(map[string]any)["refId"].(string)] = m
		}
		return out
	}
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		provision(t, s, s.Key, map[string]any{"customerId": "pe"})
		run(t, s, `mutation { grantPromotionalEntitlements(input: {customerId: "pe", promotionalEntitlements: [{featureId: "feature-sso", period: ONE_MONTH}]}) { id } }`, nil)

		d := run(t, s, `mutation($in: ProvisionSubscriptionInput!) { provisionSubscriptionV2(input: $in) { status `+fields+` } }`,
			map[string]any{"in": map[string]any{"customerId": "pe", "planId": "plan-revvenu-basic", "skipTrial": true}})
		got := byFeature(t, jsonPath(t, d, "provisionSubscriptionV2", "entitlements"))
		want := byFeature(t, jsonPath(t, run(t, s, `query { cachedEntitlements(query: {customerId: "pe"}) { isGranted currentUsage usageLimit usagePeriodEnd entitlementUpdatedAt feature { refId } } }`, nil), "cachedEntitlements"))
		if len(got) != len(want) {
			t.Fatalf("provision answered %d entitlements, cachedEntitlements %d", len(got), len(want))
		}
		eq(t, "promotional grant in the answer", got["feature-sso"]["isGranted"], true)
		api := got["feature-api-calls"]
		if api == nil || api["usagePeriodEnd"] == nil || api["entitlementUpdatedAt"] == nil {
			t.Fatalf("metered entitlement without its period: %v", api)
		}
		eq(t, "usage", api["currentUsage"], want["feature-api-calls"]["currentUsage"])

		d = run(t, s, `mutation($in: ProvisionCustomerInput!) { provisionCustomer(input: $in) { `+fields+` } }`,
			map[string]any{"in": map[string]any{"customerId": "pe2", "subscriptionParams": map[string]any{"planId": "plan-revvenu-basic"}}})
		if api := byFeature(t, jsonPath(t, d, "provisionCustomer", "entitlements"))["feature-api-calls"]; api == nil || api["usagePeriodEnd"] == nil {
			t.Fatalf("provisionCustomer: metered entitlement without its period: %v", api)
		}
	})
}
