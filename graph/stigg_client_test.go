package graph_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stigg-selfhost/stiggql/internal/apitest"
)

// clientDoc reads an operation document of Stigg's JavaScript client, as
// extracted verbatim into testdata/stigg-client (see its README).
func clientDoc(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "stigg-client", name+".graphql"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// jsonPath walks decoded JSON by object keys and array indexes.
func jsonPath(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %v: not an object: %v", path, v)
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				t.Fatalf("at %v: not an array of more than %d: %v", path, k, v)
			}
			v = a[k]
		}
	}
	return v
}

func decode(t *testing.T, raw json.RawMessage) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// run sends a document and returns its data, failing on any error.
func run(t *testing.T, s *apitest.Server, doc string, vars map[string]any) map[string]any {
	t.Helper()
	r := s.Raw(s.Key, doc, vars)
	if len(r.Errors) > 0 {
		b, _ := json.Marshal(r.Errors)
		t.Fatalf("errors: %s", b)
	}
	return decode(t, r.Data)
}

func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	if got != want {
		t.Fatalf("%s = %v (%T), want %v (%T)", what, got, got, want, want)
	}
}

// TestStiggClientDocuments sends the official client's documents verbatim,
// with the variables the client would send, against the demo catalog.
func TestStiggClientDocuments(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		provision(t, s, s.Key, map[string]any{"customerId": "acme", "name": "Acme", "email": "ops@acme.io", "couponRefId": "coupon-welcome-20"})

		// provisionSubscriptionV2: Pro, monthly, 3 seats, one extra-seats add-on.
		d := run(t, s, clientDoc(t, "ProvisionSubscription"), map[string]any{"input": map[string]any{
			"customerId": "acme", "planId": "plan-revvenu-pro", "billingPeriod": "MONTHLY",
			"billableFeatures":   []any{map[string]any{"featureId": "feature-seats", "quantity": 3}},
			"addons":             []any{map[string]any{"addonId": "addon-extra-seats", "quantity": 2}},
			"additionalMetaData": map[string]any{"source": "test"},
		}})
		ps := jsonPath(t, d, "provisionSubscription")
		eq(t, "status", jsonPath(t, ps, "status"), "SUCCESS")
		sub := jsonPath(t, ps, "subscription")
		subID := jsonPath(t, sub, "subscriptionId").(string)
		eq(t, "subscription status", jsonPath(t, sub, "status"), "ACTIVE")
		eq(t, "plan", jsonPath(t, sub, "plan", "refId"), "plan-revvenu-pro")
		eq(t, "pricingType", jsonPath(t, sub, "pricingType"), "PAID")
		// 79 + 3 x 12 + 2 x 20 = 155, 20% off = 124.
		eq(t, "subTotal", jsonPath(t, sub, "totalPrice", "subTotal", "amount"), 155.0)
		eq(t, "total", jsonPath(t, sub, "totalPrice", "total", "amount"), 124.0)
		eq(t, "currency", jsonPath(t, sub, "totalPrice", "total", "currency"), "USD")
		ents := map[string]map[string]any{}
		for _, e := range jsonPath(t, ps, "entitlements").([]any) {
			m := e.(map[string]any)
			ents[jsonPath(t, m, "feature", "refId").(string)] = m
		}
		eq(t, "seats limit (per-unit quantity)", ents["feature-seats"]["usageLimit"], 3.0)
		eq(t, "api calls unlimited", ents["feature-api-calls"]["hasUnlimitedUsage"], true)
		eq(t, "custom domain inherited", ents["feature-custom-domain"]["isGranted"], true)
		eq(t, "sso", ents["feature-sso"]["isGranted"], true)

		// GetCustomerById: the customer with its subscription, plan and the rest.
		d = run(t, s, clientDoc(t, "GetCustomerById"), map[string]any{"input": map[string]any{"customerId": "acme"}})
		c := jsonPath(t, d, "getCustomerByRefId")
		eq(t, "customerId", jsonPath(t, c, "customerId"), "acme")
		eq(t, "hasActiveSubscription", jsonPath(t, c, "hasActiveSubscription"), true)
		eq(t, "coupon", jsonPath(t, c, "coupon", "refId"), "coupon-welcome-20")
		eq(t, "coupon percentOff", jsonPath(t, c, "coupon", "percentOff"), 20.0)
		eq(t, "coupon type", jsonPath(t, c, "coupon", "type"), "PERCENTAGE")
		eq(t, "subscriptions", len(jsonPath(t, c, "subscriptions").([]any)), 1)
		cs := jsonPath(t, c, "subscriptions", 0)
		eq(t, "subscriptionId", jsonPath(t, cs, "subscriptionId"), subID)
		plan := jsonPath(t, cs, "plan")
		eq(t, "product", jsonPath(t, plan, "product", "refId"), "product-revvenu")
		eq(t, "downgrade plan", jsonPath(t, plan, "product", "productSettings", "downgradePlan", "refId"), "plan-revvenu-free")
		eq(t, "base plan", jsonPath(t, plan, "basePlan", "refId"), "plan-revvenu-basic")
		eq(t, "own entitlements", len(jsonPath(t, plan, "entitlements").([]any)), 3)
		inherited := map[string]bool{}
		for _, e := range jsonPath(t, plan, "inheritedEntitlements").([]any) {
			inherited[jsonPath(t, e, "feature", "refId").(string)] = true
		}
		if !inherited["feature-seats"] || !inherited["feature-custom-domain"] || inherited["feature-api-calls"] || len(inherited) != 2 {
			t.Fatalf("inherited entitlements: %v (api calls and support are overridden by Pro)", inherited)
		}
		eq(t, "compatible addons", len(jsonPath(t, plan, "compatibleAddons").([]any)), 2)
		eq(t, "plan prices", len(jsonPath(t, plan, "prices").([]any)), 4)
		eq(t, "per-unit price feature", jsonPath(t, plan, "prices", 1, "feature", "refId"), "feature-seats")
		eq(t, "per-unit price amount", jsonPath(t, plan, "prices", 1, "price", "amount"), 12.0)
		eq(t, "subscription prices", len(jsonPath(t, cs, "prices").([]any)), 2)
		eq(t, "seats usageLimit", jsonPath(t, cs, "prices", 1, "usageLimit"), 3.0)
		eq(t, "addon", jsonPath(t, cs, "addons", 0, "addon", "refId"), "addon-extra-seats")
		eq(t, "addon quantity", jsonPath(t, cs, "addons", 0, "quantity"), 2.0)
		eq(t, "addon entitlement", jsonPath(t, cs, "addons", 0, "addon", "entitlements", 0, "feature", "refId"), "feature-seats")
		eq(t, "total", jsonPath(t, cs, "totalPrice", "total", "amount"), 124.0)
		eq(t, "futureUpdates", len(jsonPath(t, cs, "futureUpdates").([]any)), 0)
		eq(t, "payingCustomer", jsonPath(t, cs, "payingCustomer"), nil)
		eligible := map[string]bool{}
		for _, e := range jsonPath(t, c, "eligibleForTrial").([]any) {
			eligible[jsonPath(t, e, "productRefId").(string)] = jsonPath(t, e, "eligible").(bool)
		}
		if eligible["product-revvenu"] || !eligible["product-insights"] {
			t.Fatalf("eligibleForTrial: %v (paid for Revvenu, never tried Insights)", eligible)
		}

		// getActiveSubscriptions.
		d = run(t, s, clientDoc(t, "GetActiveSubscriptions"), map[string]any{"input": map[string]any{"customerId": "acme"}})
		eq(t, "active subscriptions", len(jsonPath(t, d, "getActiveSubscriptions").([]any)), 1)
		eq(t, "active plan", jsonPath(t, d, "getActiveSubscriptions", 0, "plan", "refId"), "plan-revvenu-pro")

		// subscriptions (SubscriptionQuery), filtered as the SDKs do.
		d = run(t, s, clientDoc(t, "GetSubscriptions"), map[string]any{
			"filter": map[string]any{"customerId": map[string]any{"eq": "acme"}, "productId": map[string]any{"eq": "product-revvenu"},
				"status": map[string]any{"in": []any{"ACTIVE", "IN_TRIAL"}}},
			"paging": map[string]any{"first": 10}, "sorting": []any{map[string]any{"field": "createdAt", "direction": "DESC"}},
		})
		node := jsonPath(t, d, "subscriptions", "edges", 0, "node")
		eq(t, "query subscriptionId", jsonPath(t, node, "subscriptionId"), subID)
		eq(t, "query customer", jsonPath(t, node, "customer", "customerId"), "acme")
		eq(t, "query plan alias", jsonPath(t, node, "plan", "planId"), "plan-revvenu-pro")
		eq(t, "query addon alias", jsonPath(t, node, "addons", 0, "addon", "addonId"), "addon-extra-seats")
		eq(t, "hasNextPage", jsonPath(t, d, "subscriptions", "pageInfo", "hasNextPage"), false)

		// getSubscription.
		d = run(t, s, clientDoc(t, "GetSubscription"), map[string]any{"input": map[string]any{"subscriptionId": subID}})
		eq(t, "getSubscription", jsonPath(t, d, "getSubscription", "subscriptionId"), subID)
		eq(t, "getSubscription plan", jsonPath(t, d, "getSubscription", "plan", "displayName"), "Pro")

		// coupons and products.
		d = run(t, s, clientDoc(t, "GetCoupons"), nil)
		coupons := map[string]any{}
		for _, e := range jsonPath(t, d, "coupons", "edges").([]any) {
			coupons[jsonPath(t, e, "node", "refId").(string)] = jsonPath(t, e, "node")
		}
		eq(t, "coupons", len(coupons), 2)
		eq(t, "fixed coupon", jsonPath(t, coupons["coupon-10-off"], "amountsOff", 1, "currency"), "EUR")
		d = run(t, s, clientDoc(t, "GetProducts"), nil)
		products := map[string]any{}
		for _, e := range jsonPath(t, d, "products", "edges").([]any) {
			products[jsonPath(t, e, "node", "refId").(string)] = jsonPath(t, e, "node")
		}
		eq(t, "products", len(products), 2)
		eq(t, "insights downgrade", jsonPath(t, products["product-insights"], "productSettings", "downgradePlan", "refId"), "plan-insights-starter")

		// cancelSubscription at the end of the billing period.
		d = run(t, s, clientDoc(t, "CancelSubscription"), map[string]any{"input": map[string]any{
			"subscriptionRefId": subID, "subscriptionCancellationTime": "END_OF_BILLING_PERIOD"}})
		cancelled := jsonPath(t, d, "cancelSubscription")
		eq(t, "still active until the period ends", jsonPath(t, cancelled, "status"), "ACTIVE")
		eq(t, "effectiveEndDate", jsonPath(t, cancelled, "effectiveEndDate"), "2026-02-01T12:00:00.000Z")
		eq(t, "cancellationDate", jsonPath(t, cancelled, "cancellationDate"), "2026-01-01T12:00:00.000Z")
	})
}
