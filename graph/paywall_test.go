package graph_test

import (
	"reflect"
	"testing"

	"github.com/stigg-selfhost/stiggql/internal/apitest"
)

const paywallDoc = `query($in: GetPaywallInput!) { paywall(input: $in) {
	currency { code symbol }
	plans { refId displayName basePlan { refId } prices { billingPeriod billingModel price { amount currency } }
		entitlements { featureId usageLimit } inheritedEntitlements { featureId }
		compatibleAddons { refId } defaultTrialConfig { duration units } }
	paywallCalculatedPricePoints { planId billingPeriod amount currency additionalChargesMayApply feature { refId } }
	customer { customerId eligibleForTrial { productRefId eligible } }
	activeSubscriptions { subscriptionId plan { refId } status } } }`

// deq is eq for values == cannot compare (lists, objects).
func deq(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: got %#v, want %#v", what, got, want)
	}
}

func planRefs(t *testing.T, d map[string]any) []any {
	t.Helper()
	var out []any
	for _, p := range jsonPath(t, d, "paywall", "plans").([]any) {
		out = append(out, jsonPath(t, p, "refId"))
	}
	return out
}

// TestPaywall: the demo product's published plans in paywall order with
// prices, entitlements, inherited entitlements, add-ons and price points;
// the customer's context when named; the filters.
func TestPaywall(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		d := run(t, s, paywallDoc, map[string]any{"in": map[string]any{"productId": "product-revvenu"}})
		deq(t, "plans", planRefs(t, d), []any{"plan-revvenu-free", "plan-revvenu-basic", "plan-revvenu-pro"})
		deq(t, "currency", jsonPath(t, d, "paywall", "currency"), map[string]any{"code": "USD", "symbol": "$"})
		pro := jsonPath(t, d, "paywall", "plans", 2)
		eq(t, "pro base", jsonPath(t, pro, "basePlan", "refId"), "plan-revvenu-basic")
		eq(t, "pro inherits custom domain", len(jsonPath(t, pro, "inheritedEntitlements").([]any)) > 0, true)
		eq(t, "pro add-ons", len(jsonPath(t, pro, "compatibleAddons").([]any)), 2)
		eq(t, "basic trial", jsonPath(t, d, "paywall", "plans", 1, "defaultTrialConfig", "duration"), 14.0)
		points := map[string]any{}
		for _, p := range jsonPath(t, d, "paywall", "paywallCalculatedPricePoints").([]any) {
			points[jsonPath(t, p, "planId").(string)+"/"+jsonPath(t, p, "billingPeriod").(string)] = jsonPath(t, p, "amount")
		}
		deq(t, "price points", points, map[string]any{
			"plan-revvenu-basic/MONTHLY": 29.0, "plan-revvenu-basic/ANNUALLY": 290.0,
			"plan-revvenu-pro/MONTHLY": 79.0, "plan-revvenu-pro/ANNUALLY": 790.0})
		eq(t, "no customer", jsonPath(t, d, "paywall", "customer"), nil)

		// All products, then an unknown one.
		d = run(t, s, paywallDoc, map[string]any{"in": map[string]any{}})
		eq(t, "all products' plans", len(planRefs(t, d)), 5)
		s.Fail("ProductNotFoundError", paywallDoc, map[string]any{"in": map[string]any{"productId": "nope"}})

		// A customer: its active subscription and trial eligibility.
		s.Query(`mutation { provisionCustomer(input: {customerId: "pw-1", subscriptionParams: {planId: "plan-revvenu-free"}}) { customer { customerId } } }`, nil, nil)
		d = run(t, s, paywallDoc, map[string]any{"in": map[string]any{"productId": "product-revvenu", "customerId": "pw-1"}})
		eq(t, "customer", jsonPath(t, d, "paywall", "customer", "customerId"), "pw-1")
		eq(t, "active plan", jsonPath(t, d, "paywall", "activeSubscriptions", 0, "plan", "refId"), "plan-revvenu-free")
		s.Fail("CustomerNotFound", paywallDoc, map[string]any{"in": map[string]any{"customerId": "nobody"}})
	})
}

const applyDoc = `mutation($in: ApplySubscriptionInput!) { applySubscription(input: $in) {
	subscription { subscriptionId status plan { refId } } entitlements { feature { refId } } } }`

// TestApplySubscription: free plans and trials apply; a paid plan without
// a billing integration is BillingIntegrationMissing and writes nothing.
func TestApplySubscription(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		s.Query(`mutation { provisionCustomer(input: {customerId: "ap-1"}) { customer { customerId } } }`, nil, nil)
		d := run(t, s, applyDoc, map[string]any{"in": map[string]any{"customerId": "ap-1", "planId": "plan-revvenu-free"}})
		eq(t, "free", jsonPath(t, d, "applySubscription", "subscription", "status"), "ACTIVE")
		eq(t, "entitlements", len(jsonPath(t, d, "applySubscription", "entitlements").([]any)) > 0, true)
		d = run(t, s, applyDoc, map[string]any{"in": map[string]any{"customerId": "ap-1", "planId": "plan-revvenu-basic", "billingPeriod": "MONTHLY"}})
		eq(t, "trial", jsonPath(t, d, "applySubscription", "subscription", "status"), "IN_TRIAL")
		s.Fail("BillingIntegrationMissing", applyDoc, map[string]any{"in": map[string]any{"customerId": "ap-1", "planId": "plan-revvenu-pro", "billingPeriod": "MONTHLY", "unitQuantity": 1}})
		v := customerView(t, s, "ap-1")
		eq(t, "still on the trial", statuses(t, jsonPath(t, v, "subscriptions"))[jsonPath(t, d, "applySubscription", "subscription", "subscriptionId").(string)], "IN_TRIAL")
		eq(t, "one live subscription", len(jsonPath(t, v, "subscriptions").([]any)), 1)
	})
}

const portalDoc = `query($in: CustomerPortalInput!) { customerPortal(input: $in) {
	subscriptions { subscriptionId planId planName pricingType status trialRemainingDays prices { billingPeriod price { amount currency } } addons { addonId quantity } totalPrice { total { amount } } }
	entitlements { feature { refId } isGranted usageLimit currentUsage hasUnlimitedUsage }
	promotionalEntitlements { displayName period }
	billingInformation { name email }
	canUpgradeSubscription showWatermark } }`

// TestCustomerPortal: the customer's subscription with its prices, the
// entitlements it grants (with usage), grants, and the upgrade flag.
func TestCustomerPortal(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		s.Query(`mutation { provisionCustomer(input: {customerId: "po-1", name: "Portal Co", email: "po@example.com", subscriptionParams: {planId: "plan-revvenu-basic", billingPeriod: MONTHLY}}) { customer { customerId } } }`, nil, nil)
		s.Query(`mutation { grantPromotionalEntitlements(input: {customerId: "po-1", promotionalEntitlements: [{featureId: "feature-sso", period: ONE_MONTH}]}) { featureId } }`, nil, nil)
		d := run(t, s, portalDoc, map[string]any{"in": map[string]any{"customerId": "po-1", "productId": "product-revvenu"}})
		sub := jsonPath(t, d, "customerPortal", "subscriptions", 0)
		eq(t, "plan", jsonPath(t, sub, "planId"), "plan-revvenu-basic")
		eq(t, "status", jsonPath(t, sub, "status"), "IN_TRIAL")
		eq(t, "trial days", jsonPath(t, sub, "trialRemainingDays"), 14.0)
		eq(t, "price", jsonPath(t, sub, "prices", 0, "price", "amount"), 29.0)
		eq(t, "upgrade", jsonPath(t, d, "customerPortal", "canUpgradeSubscription"), true)
		eq(t, "grant", jsonPath(t, d, "customerPortal", "promotionalEntitlements", 0, "displayName"), "Single sign-on")
		eq(t, "billing", jsonPath(t, d, "customerPortal", "billingInformation", "email"), "po@example.com")
		granted := map[string]bool{}
		for _, e := range jsonPath(t, d, "customerPortal", "entitlements").([]any) {
			granted[jsonPath(t, e, "feature", "refId").(string)] = jsonPath(t, e, "isGranted").(bool)
		}
		for _, f := range []string{"feature-seats", "feature-api-calls", "feature-custom-domain", "feature-sso"} {
			eq(t, f, granted[f], true)
		}
		d = run(t, s, portalDoc, map[string]any{"in": map[string]any{"customerId": "po-1", "productId": "product-insights"}})
		eq(t, "other product", len(jsonPath(t, d, "customerPortal", "subscriptions").([]any)), 0)
		s.Fail("CustomerNotFound", portalDoc, map[string]any{"in": map[string]any{"customerId": "nobody"}})
	})
}
