package graph_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/internal/apitest"
)

const day = 24 * time.Hour

const provisionDoc = `mutation($in: ProvisionSubscriptionInput!) { provisionSubscriptionV2(input: $in) {
	status isScheduled subscription { subscriptionId status startDate trialEndDate endDate effectiveEndDate cancelReason } } }`

// provisionSub provisions a subscription and returns it.
func provisionSub(t *testing.T, s *apitest.Server, in map[string]any) map[string]any {
	t.Helper()
	d := run(t, s, provisionDoc, map[string]any{"in": in})
	eq(t, "provision status", jsonPath(t, d, "provisionSubscriptionV2", "status"), "SUCCESS")
	return jsonPath(t, d, "provisionSubscriptionV2", "subscription").(map[string]any)
}

const subDoc = `query($id: String!) { getSubscription(input: {subscriptionId: $id}) {
	subscriptionId status cancelReason cancellationDate effectiveEndDate trialEndDate currentBillingPeriodStart currentBillingPeriodEnd
	trialConfiguration { trialEndBehavior } plan { refId } } }`

func getSub(t *testing.T, s *apitest.Server, id string) map[string]any {
	t.Helper()
	return jsonPath(t, run(t, s, subDoc, map[string]any{"id": id}), "getSubscription").(map[string]any)
}

const customerSubsDoc = `query($id: String!) { getCustomerByRefId(input: {customerId: $id}) {
	hasActiveSubscription totalActiveSubscription
	subscriptions { subscriptionId status plan { refId } }
	allSubs: subscriptions(filter: {}) { subscriptionId status }
	trialedPlans { planRefId productRefId }
	eligibleForTrial { productRefId eligible }
	statistics { activeSubscriptionsByPricingType { pricingType totalCount } } } }`

// customerView returns what the customer query shows.
func customerView(t *testing.T, s *apitest.Server, id string) map[string]any {
	t.Helper()
	return jsonPath(t, run(t, s, customerSubsDoc, map[string]any{"id": id}), "getCustomerByRefId").(map[string]any)
}

func statuses(t *testing.T, list any) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, x := range list.([]any) {
		out[jsonPath(t, x, "subscriptionId").(string)] = jsonPath(t, x, "status").(string)
	}
	return out
}

// countByStatus runs the customerSubscriptions connection with a status
// filter: the SQL form of the status must agree with the field.
func countByStatus(t *testing.T, s *apitest.Server, status string) int {
	t.Helper()
	d := run(t, s, `query($st: SubscriptionStatus!) { customerSubscriptions(filter: {status: {eq: $st}}) { totalCount edges { node { status } } } }`,
		map[string]any{"st": status})
	for _, e := range jsonPath(t, d, "customerSubscriptions", "edges").([]any) {
		eq(t, "filtered status", jsonPath(t, e, "node", "status"), status)
	}
	return int(jsonPath(t, d, "customerSubscriptions", "totalCount").(float64))
}

func TestTrialStartsAndEndsByTheClock(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		provision(t, s, s.Key, map[string]any{"customerId": "c1"})
		// Basic has a 14-day trial that converts to paid.
		sub := provisionSub(t, s, map[string]any{"customerId": "c1", "planId": "plan-revvenu-basic"})
		id := sub["subscriptionId"].(string)
		eq(t, "status", sub["status"], "IN_TRIAL")
		eq(t, "trialEndDate", sub["trialEndDate"], "2026-01-15T12:00:00.000Z")
		got := getSub(t, s, id)
		eq(t, "trial behaviour", jsonPath(t, got, "trialConfiguration", "trialEndBehavior"), "CONVERT_TO_PAID")
		eq(t, "period end during trial", got["currentBillingPeriodEnd"], "2026-01-15T12:00:00.000Z")
		v := customerView(t, s, "c1")
		eq(t, "active", v["hasActiveSubscription"], true)
		eq(t, "trialed plan", jsonPath(t, v, "trialedPlans", 0, "planRefId"), "plan-revvenu-basic")
		eq(t, "IN_TRIAL count", countByStatus(t, s, "IN_TRIAL"), 1)

		s.Clock.Advance(14*day - time.Second)
		eq(t, "status just before the end", getSub(t, s, id)["status"], "IN_TRIAL")
		s.Clock.Advance(time.Second)
		got = getSub(t, s, id)
		eq(t, "status at trial end", got["status"], "ACTIVE")
		eq(t, "first paid period", got["currentBillingPeriodStart"], "2026-01-15T12:00:00.000Z")
		eq(t, "first paid period end", got["currentBillingPeriodEnd"], "2026-02-15T12:00:00.000Z")
		eq(t, "IN_TRIAL count after", countByStatus(t, s, "IN_TRIAL"), 0)
		eq(t, "ACTIVE count after", countByStatus(t, s, "ACTIVE"), 1)
		v = customerView(t, s, "c1")
		eq(t, "default filter keeps it", statuses(t, v["subscriptions"])[id], "ACTIVE")

		// Growth's trial cancels the subscription when it ends: it expires.
		g := provisionSub(t, s, map[string]any{"customerId": "c1", "planId": "plan-insights-growth"})
		gid := g["subscriptionId"].(string)
		eq(t, "growth status", g["status"], "IN_TRIAL")
		eq(t, "growth ends with its trial", g["effectiveEndDate"], g["trialEndDate"])
		eq(t, "two active", customerView(t, s, "c1")["totalActiveSubscription"], 2.0)
		s.Clock.Advance(31 * day)
		eq(t, "growth after trial", getSub(t, s, gid)["status"], "EXPIRED")
		v = customerView(t, s, "c1")
		eq(t, "one active", v["totalActiveSubscription"], 1.0)
		if _, ok := statuses(t, v["subscriptions"])[gid]; ok {
			t.Fatalf("expired subscription in the default (active) list: %v", v["subscriptions"])
		}
		eq(t, "expired kept in the full list", statuses(t, v["allSubs"])[gid], "EXPIRED")
		eq(t, "EXPIRED count", countByStatus(t, s, "EXPIRED"), 1)
	})
}

func TestTrialEligibility(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		provision(t, s, s.Key, map[string]any{"customerId": "c1"})
		first := provisionSub(t, s, map[string]any{"customerId": "c1", "planId": "plan-revvenu-basic"})
		eq(t, "first trial", first["status"], "IN_TRIAL")
		elig := func() map[string]bool {
			out := map[string]bool{}
			for _, e := range customerView(t, s, "c1")["eligibleForTrial"].([]any) {
				out[jsonPath(t, e, "productRefId").(string)] = jsonPath(t, e, "eligible").(bool)
			}
			return out
		}
		if e := elig(); e["product-revvenu"] || !e["product-insights"] {
			t.Fatalf("after a Revvenu trial: %v", e)
		}
		// A second subscription to the same product gets no second trial.
		second := provisionSub(t, s, map[string]any{"customerId": "c1", "planId": "plan-revvenu-basic"})
		eq(t, "no second trial", second["status"], "ACTIVE")
		// skipTrial skips an available trial.
		provision(t, s, s.Key, map[string]any{"customerId": "c2"})
		eq(t, "skipTrial", provisionSub(t, s, map[string]any{"customerId": "c2", "planId": "plan-revvenu-basic", "skipTrial": true})["status"], "ACTIVE")
		// Having paid for the product ends eligibility too.
		if e := func() map[string]bool {
			out := map[string]bool{}
			for _, e := range customerView(t, s, "c2")["eligibleForTrial"].([]any) {
				out[jsonPath(t, e, "productRefId").(string)] = jsonPath(t, e, "eligible").(bool)
			}
			return out
		}(); e["product-revvenu"] {
			t.Fatalf("a paying customer is not eligible: %v", e)
		}
		// A trial can be forced by override.
		provision(t, s, s.Key, map[string]any{"customerId": "c3"})
		forced := provisionSub(t, s, map[string]any{"customerId": "c3", "planId": "plan-revvenu-pro",
			"trialOverrideConfiguration": map[string]any{"isTrial": true, "trialEndDate": "2026-01-08T12:00:00Z"}})
		eq(t, "forced trial", forced["status"], "IN_TRIAL")
		eq(t, "forced trial end", forced["trialEndDate"], "2026-01-08T12:00:00.000Z")
	})
}

func TestReplacementOnNewPlan(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		provision(t, s, s.Key, map[string]any{"customerId": "c1"})
		free := provisionSub(t, s, map[string]any{"customerId": "c1", "planId": "plan-revvenu-free"})["subscriptionId"].(string)
		s.Clock.Advance(day)
		pro := provisionSub(t, s, map[string]any{"customerId": "c1", "planId": "plan-revvenu-pro"})["subscriptionId"].(string)
		old := getSub(t, s, free)
		eq(t, "old status", old["status"], "CANCELED")
		eq(t, "old reason", old["cancelReason"], "UpgradeOrDowngrade")
		eq(t, "old ended now", old["effectiveEndDate"], "2026-01-02T12:00:00.000Z")
		eq(t, "new", getSub(t, s, pro)["status"], "ACTIVE")
		// Another product, or another resource, is not replaced.
		ins := provisionSub(t, s, map[string]any{"customerId": "c1", "planId": "plan-insights-starter"})["subscriptionId"].(string)
		res := provisionSub(t, s, map[string]any{"customerId": "c1", "planId": "plan-revvenu-free", "resourceId": "site-2"})["subscriptionId"].(string)
		v := customerView(t, s, "c1")
		active := statuses(t, v["subscriptions"])
		if len(active) != 3 || active[pro] != "ACTIVE" || active[ins] != "ACTIVE" || active[res] != "ACTIVE" {
			t.Fatalf("active subscriptions: %v", active)
		}
		eq(t, "statistics FREE", jsonPath(t, v, "statistics", "activeSubscriptionsByPricingType", 1, "totalCount"), 2.0)
		eq(t, "statistics PAID", jsonPath(t, v, "statistics", "activeSubscriptionsByPricingType", 2, "pricingType"), "PAID")
		eq(t, "statistics PAID count", jsonPath(t, v, "statistics", "activeSubscriptionsByPricingType", 2, "totalCount"), 1.0)
	})
}

func TestScheduledStartAndCancellation(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		provision(t, s, s.Key, map[string]any{"customerId": "c1"})
		cur := provisionSub(t, s, map[string]any{"customerId": "c1", "planId": "plan-revvenu-pro"})["subscriptionId"].(string)
		// A subscription starting in ten days is NOT_STARTED until then and
		// replaces the current one from then on.
		next := provisionSub(t, s, map[string]any{"customerId": "c1", "planId": "plan-revvenu-basic", "startDate": "2026-01-11T12:00:00Z", "skipTrial": true})
		nid := next["subscriptionId"].(string)
		eq(t, "scheduled", next["status"], "NOT_STARTED")
		eq(t, "current until then", getSub(t, s, cur)["status"], "ACTIVE")
		eq(t, "current ends at the start", getSub(t, s, cur)["effectiveEndDate"], "2026-01-11T12:00:00.000Z")
		eq(t, "NOT_STARTED count", countByStatus(t, s, "NOT_STARTED"), 1)
		eq(t, "one active", customerView(t, s, "c1")["totalActiveSubscription"], 1.0)
		s.Clock.Advance(10 * day)
		eq(t, "started", getSub(t, s, nid)["status"], "ACTIVE")
		eq(t, "replaced", getSub(t, s, cur)["status"], "CANCELED")

		// Cancel at the end of the billing period: active until then.
		cancel := `mutation($in: SubscriptionCancellationInput!) { cancelSubscription(input: $in) { status cancelReason cancellationDate effectiveEndDate endDate } }`
		d := run(t, s, cancel, map[string]any{"in": map[string]any{"subscriptionRefId": nid, "subscriptionCancellationTime": "END_OF_BILLING_PERIOD"}})
		c := jsonPath(t, d, "cancelSubscription")
		eq(t, "still active", jsonPath(t, c, "status"), "ACTIVE")
		eq(t, "ends at period end", jsonPath(t, c, "effectiveEndDate"), "2026-02-11T12:00:00.000Z")
		eq(t, "cancelled now", jsonPath(t, c, "cancellationDate"), "2026-01-11T12:00:00.000Z")
		eq(t, "reason", jsonPath(t, c, "cancelReason"), "ScheduledCancellation")
		s.Clock.Advance(31 * day)
		eq(t, "cancelled at period end", getSub(t, s, nid)["status"], "CANCELED")
		// Revvenu downgrades to its free plan when a subscription ends.
		active := customerView(t, s, "c1")["subscriptions"].([]any)
		if len(active) != 1 || jsonPath(t, active[0], "plan", "refId") != "plan-revvenu-free" {
			t.Fatalf("after the paid plan ended: %v", active)
		}
		s.Fail("SubscriptionAlreadyCanceledOrExpired", cancel, map[string]any{"in": map[string]any{"subscriptionRefId": nid}})

		// Immediate and specific-date cancellations.
		a := provisionSub(t, s, map[string]any{"customerId": "c1", "planId": "plan-insights-starter"})["subscriptionId"].(string)
		d = run(t, s, cancel, map[string]any{"in": map[string]any{"subscriptionRefId": a, "subscriptionCancellationTime": "IMMEDIATE"}})
		eq(t, "immediate", jsonPath(t, d, "cancelSubscription", "status"), "CANCELED")
		eq(t, "immediate reason", jsonPath(t, d, "cancelSubscription", "cancelReason"), "Immediate")
		b := provisionSub(t, s, map[string]any{"customerId": "c1", "planId": "plan-insights-starter"})["subscriptionId"].(string)
		d = run(t, s, cancel, map[string]any{"in": map[string]any{"subscriptionRefId": b, "subscriptionCancellationTime": "SPECIFIC_DATE", "endDate": "2026-03-01T00:00:00Z"}})
		eq(t, "specific date", jsonPath(t, d, "cancelSubscription", "effectiveEndDate"), "2026-03-01T00:00:00.000Z")
		s.Fail("BadUserInput", cancel, map[string]any{"in": map[string]any{"subscriptionRefId": b, "subscriptionCancellationTime": "SPECIFIC_DATE", "endDate": "2020-01-01T00:00:00Z"}})
		s.Fail("SubscriptionNotFound", cancel, map[string]any{"in": map[string]any{"subscriptionRefId": "nope"}})
	})
}

func TestEndDateExpires(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		provision(t, s, s.Key, map[string]any{"customerId": "c1"})
		d := run(t, s, `mutation { createSubscription(subscription: {customerId: "c1", planId: "plan-revvenu-free", endDate: "2026-01-05T12:00:00Z"}) { subscriptionId status endDate } }`, nil)
		id := jsonPath(t, d, "createSubscription", "subscriptionId").(string)
		eq(t, "created", jsonPath(t, d, "createSubscription", "status"), "ACTIVE")
		s.Clock.Advance(4 * day)
		eq(t, "expired", getSub(t, s, id)["status"], "EXPIRED")
		d = run(t, s, `{ getActiveSubscriptions(input: {customerId: "c1"}) { subscriptionId } }`, nil)
		eq(t, "no active", len(jsonPath(t, d, "getActiveSubscriptions").([]any)), 0)
	})
}

func TestUpdateSubscription(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		provision(t, s, s.Key, map[string]any{"customerId": "c1"})
		id := provisionSub(t, s, map[string]any{"customerId": "c1", "planId": "plan-revvenu-pro"})["subscriptionId"].(string)
		update := `mutation($in: UpdateSubscriptionInput!) { updateOneSubscription(input: $in) {
			billingPeriod additionalMetaData addons { quantity addon { refId } } prices { usageLimit price { billingPeriod } }
			totalPrice { subTotal { amount } addonsTotal { amount } } } }`
		d := run(t, s, update, map[string]any{"in": map[string]any{"subscriptionId": id,
			"addons":             []any{map[string]any{"addonId": "addon-extra-seats", "quantity": 3}},
			"billableFeatures":   []any{map[string]any{"featureId": "feature-seats", "quantity": 10}},
			"additionalMetaData": map[string]any{"team": "sales"}}})
		u := jsonPath(t, d, "updateOneSubscription")
		eq(t, "addon quantity", jsonPath(t, u, "addons", 0, "quantity"), 3.0)
		eq(t, "seats", jsonPath(t, u, "prices", 1, "usageLimit"), 10.0)
		eq(t, "metadata", jsonPath(t, u, "additionalMetaData", "team"), "sales")
		eq(t, "subTotal", jsonPath(t, u, "totalPrice", "subTotal", "amount"), 79.0+120+60)
		eq(t, "addonsTotal", jsonPath(t, u, "totalPrice", "addonsTotal", "amount"), 60.0)
		// Annual billing keeps the seat count.
		d = run(t, s, update, map[string]any{"in": map[string]any{"subscriptionId": id, "billingPeriod": "ANNUALLY"}})
		u = jsonPath(t, d, "updateOneSubscription")
		eq(t, "period", jsonPath(t, u, "billingPeriod"), "ANNUALLY")
		eq(t, "annual price", jsonPath(t, u, "prices", 0, "price", "billingPeriod"), "ANNUALLY")
		eq(t, "seats kept", jsonPath(t, u, "prices", 1, "usageLimit"), 10.0)
		eq(t, "annual subTotal", jsonPath(t, u, "totalPrice", "subTotal", "amount"), 790.0+1200+600)
		// Errors leave it unchanged.
		s.Fail("AddonNotFound", update, map[string]any{"in": map[string]any{"subscriptionId": id,
			"addons": []any{map[string]any{"addonId": "addon-extra-seats"}, map[string]any{"addonId": "addon-nope"}}}})
		s.Fail("AddonQuantityExceedsLimitError", update, map[string]any{"in": map[string]any{"subscriptionId": id,
			"addons": []any{map[string]any{"addonId": "addon-extra-seats", "quantity": 21}}}})
		s.Fail("AddonDependencyMissingError", update, map[string]any{"in": map[string]any{"subscriptionId": id,
			"addons": []any{map[string]any{"addonId": "addon-priority-support"}}}})
		s.Fail("InvalidQuantity", update, map[string]any{"in": map[string]any{"subscriptionId": id,
			"billableFeatures": []any{map[string]any{"featureId": "feature-seats", "quantity": 501}}}})
		d = run(t, s, `query($id: String!) { getSubscription(input: {subscriptionId: $id}) { addons { quantity } prices { usageLimit } } }`, map[string]any{"id": id})
		eq(t, "addons unchanged", jsonPath(t, d, "getSubscription", "addons", 0, "quantity"), 3.0)
		eq(t, "seats unchanged", jsonPath(t, d, "getSubscription", "prices", 1, "usageLimit"), 10.0)
	})
}

func TestSubscriptionErrorsWriteNothing(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		provision(t, s, s.Key, map[string]any{"customerId": "c1"})
		provision(t, s, s.Key, map[string]any{"customerId": "gone"})
		run(t, s, `mutation { archiveCustomer(input: {customerId: "gone"}) { id } }`, nil)
		doc := `mutation($in: ProvisionSubscriptionInput!) { provisionSubscriptionV2(input: $in) { status } }`
		cases := []struct {
			name string
			in   map[string]any
			code string
		}{
			{"unknown plan", map[string]any{"customerId": "c1", "planId": "plan-nope"}, "PlanNotFound"},
			{"unknown addon", map[string]any{"customerId": "c1", "planId": "plan-revvenu-pro", "addons": []any{map[string]any{"addonId": "addon-nope"}}}, "AddonNotFound"},
			{"incompatible addon", map[string]any{"customerId": "c1", "planId": "plan-revvenu-basic", "addons": []any{map[string]any{"addonId": "addon-priority-support"}}}, "IncompatibleSubscriptionAddon"},
			{"unknown feature", map[string]any{"customerId": "c1", "planId": "plan-revvenu-pro", "billableFeatures": []any{map[string]any{"featureId": "feature-nope", "quantity": 2}}}, "FeatureNotFound"},
			{"unknown coupon", map[string]any{"customerId": "c1", "planId": "plan-revvenu-pro", "appliedCoupon": map[string]any{"couponId": "coupon-nope"}}, "CouponNotFound"},
			{"archived customer", map[string]any{"customerId": "gone", "planId": "plan-revvenu-pro"}, "CustomerIsArchived"},
			{"unknown customer", map[string]any{"customerId": "nobody", "planId": "plan-revvenu-pro"}, "CustomerNotFound"},
			{"no such period", map[string]any{"customerId": "c1", "planId": "plan-insights-growth", "billingPeriod": "ANNUALLY"}, "BillingPeriodMissingError"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				s.Fail(tc.code, doc, map[string]any{"in": tc.in})
			})
		}
		d := run(t, s, `{ customerSubscriptions { totalCount } }`, nil)
		eq(t, "nothing written", jsonPath(t, d, "customerSubscriptions", "totalCount"), 0.0)

		// A failed replacement leaves the current subscription alone.
		cur := provisionSub(t, s, map[string]any{"customerId": "c1", "planId": "plan-revvenu-free"})["subscriptionId"].(string)
		s.Fail("AddonNotFound", doc, map[string]any{"in": map[string]any{"customerId": "c1", "planId": "plan-revvenu-pro",
			"addons": []any{map[string]any{"addonId": "addon-nope"}}}})
		eq(t, "current untouched", getSub(t, s, cur)["status"], "ACTIVE")
		s.Fail("SubscriptionNotFound", `{ getSubscription(input: {subscriptionId: "nope"}) { id } }`, nil)
	})
}

func TestCustomerCoupons(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		c := provision(t, s, s.Key, map[string]any{"customerId": "c1", "couponRefId": "coupon-10-off"})
		var coupons struct {
			Coupons struct {
				Edges []struct {
					Node struct {
						ID, RefID string
						Customers []struct{ CustomerID string }
					}
				}
			}
		}
		s.Query(`{ coupons(sorting: [{field: refId, direction: ASC}]) { edges { node { id refId customers { customerId } } } } }`, nil, &coupons)
		ten, welcome := coupons.Coupons.Edges[0].Node, coupons.Coupons.Edges[1].Node
		eq(t, "coupon order", ten.RefID, "coupon-10-off")
		eq(t, "coupon customers", len(ten.Customers), 1)
		set := `mutation($c: UUID!, $k: UUID!) { setCouponOnCustomer(input: {id: $c, relationId: $k}) { coupon { refId } } }`
		d := run(t, s, set, map[string]any{"c": c.ID, "k": welcome.ID})
		eq(t, "set", jsonPath(t, d, "setCouponOnCustomer", "coupon", "refId"), "coupon-welcome-20")
		remove := `mutation($c: UUID!, $k: UUID!) { removeCouponFromCustomer(input: {id: $c, relationId: $k}) { coupon { refId } } }`
		s.Fail("CouponNotFound", remove, map[string]any{"c": c.ID, "k": ten.ID})
		d = run(t, s, remove, map[string]any{"c": c.ID, "k": welcome.ID})
		eq(t, "removed", jsonPath(t, d, "removeCouponFromCustomer", "coupon"), nil)
		d = run(t, s, `mutation { updateOneCustomer(input: {customerId: "c1", couponRefId: "coupon-10-off"}) { coupon { refId } } }`, nil)
		eq(t, "update sets", jsonPath(t, d, "updateOneCustomer", "coupon", "refId"), "coupon-10-off")
		d = run(t, s, `mutation { updateOneCustomer(input: {customerId: "c1", couponRefId: null}) { coupon { refId } } }`, nil)
		eq(t, "update clears", jsonPath(t, d, "updateOneCustomer", "coupon"), nil)
		s.Fail("CouponNotFound", `mutation { updateOneCustomer(input: {customerId: "c1", couponRefId: "nope"}) { id } }`, nil)
		// provisionCustomer with a subscription, in one go.
		d = run(t, s, `mutation { provisionCustomer(input: {customerId: "c2", subscriptionParams: {planId: "plan-revvenu-basic"}}) {
			subscriptionDecisionStrategy subscription { status plan { refId } } customer { hasActiveSubscription } } }`, nil)
		eq(t, "decision", jsonPath(t, d, "provisionCustomer", "subscriptionDecisionStrategy"), "REQUESTED_PLAN")
		eq(t, "subscription", jsonPath(t, d, "provisionCustomer", "subscription", "status"), "IN_TRIAL")
		eq(t, "active", jsonPath(t, d, "provisionCustomer", "customer", "hasActiveSubscription"), true)
	})
}

func TestCatalogConnections(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		d := run(t, s, `{
			plans(filter: {productId: {eq: "product-revvenu"}, pricingType: {eq: PAID}}, sorting: [{field: refId, direction: ASC}]) {
				totalCount edges { node { refId versionNumber status isParent defaultTrialConfig { duration units } } } }
			first: features(paging: {first: 2}, sorting: [{field: refId, direction: ASC}]) { pageInfo { hasNextPage endCursor } edges { node { refId featureType } } }
			addons(filter: {refId: {like: "addon-%"}}) { totalCount edges { node { refId maxQuantity dependencies { refId } prices { price { amount } } } } }
			products(filter: {refId: {eq: "product-insights"}}) { edges { node { plans { refId } addons { refId } } } }
			enums: features(filter: {featureType: {eq: ENUM}}) { edges { node { refId enumConfiguration { value displayName } } } }
		}`, nil)
		eq(t, "paid revvenu plans", jsonPath(t, d, "plans", "totalCount"), 2.0)
		eq(t, "basic first", jsonPath(t, d, "plans", "edges", 0, "node", "refId"), "plan-revvenu-basic")
		eq(t, "basic is parent", jsonPath(t, d, "plans", "edges", 0, "node", "isParent"), true)
		eq(t, "trial", jsonPath(t, d, "plans", "edges", 0, "node", "defaultTrialConfig", "duration"), 14.0)
		eq(t, "more features", jsonPath(t, d, "first", "pageInfo", "hasNextPage"), true)
		cursor := jsonPath(t, d, "first", "pageInfo", "endCursor").(string)
		eq(t, "addons", jsonPath(t, d, "addons", "totalCount"), 2.0)
		eq(t, "insights plans", len(jsonPath(t, d, "products", "edges", 0, "node", "plans").([]any)), 2)
		eq(t, "enum values", len(jsonPath(t, d, "enums", "edges", 0, "node", "enumConfiguration").([]any)), 3)
		d = run(t, s, fmt.Sprintf(`{ features(paging: {first: 2, after: %q}, sorting: [{field: refId, direction: ASC}]) { edges { node { refId } } } }`, cursor), nil)
		eq(t, "next page", jsonPath(t, d, "features", "edges", 0, "node", "refId"), "feature-dashboards")
		s.Fail("BadUserInput", `{ plans(filter: {offer: {id: {eq: "x"}}}) { totalCount } }`, nil)
	})
}

func TestArchivingCustomerEndsSubscriptions(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		provision(t, s, s.Key, map[string]any{"customerId": "c1"})
		id := provisionSub(t, s, map[string]any{"customerId": "c1", "planId": "plan-revvenu-pro"})["subscriptionId"].(string)
		run(t, s, `mutation { archiveCustomer(input: {customerId: "c1"}) { id } }`, nil)
		got := getSub(t, s, id)
		eq(t, "status", got["status"], "CANCELED")
		eq(t, "reason", got["cancelReason"], "CustomerArchived")
		s.Fail("CustomerIsArchived", provisionDoc, map[string]any{"in": map[string]any{"customerId": "c1", "planId": "plan-revvenu-pro"}})
	})
}

// TestCancelFallsBackToDowngradePlan: a product with a downgrade plan
// (productSettings.subscriptionEndSetup DOWNGRADE_TO_FREE) puts the customer
// on that plan from the moment a cancelled subscription ends.
func TestCancelFallsBackToDowngradePlan(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		provision(t, s, s.Key, map[string]any{"customerId": "down"})
		sub := provisionSub(t, s, map[string]any{"customerId": "down", "planId": "plan-revvenu-basic", "skipTrial": true})
		id := sub["subscriptionId"].(string)
		run(t, s, `mutation($id: String!) { cancelSubscription(input: {subscriptionRefId: $id, subscriptionCancellationTime: END_OF_BILLING_PERIOD}) { status } }`, map[string]any{"id": id})
		view := customerView(t, s, "down")
		eq(t, "still one active before the period ends", fmt.Sprint(view["totalActiveSubscription"]), "1")
		all := statuses(t, view["allSubs"])
		if len(all) != 2 {
			t.Fatalf("want the paid subscription and a scheduled free one, got %v", all)
		}
		eq(t, "paid keeps its reason", getSub(t, s, id)["cancelReason"], "ScheduledCancellation")
		s.Clock.Advance(40 * day)
		view = customerView(t, s, "down")
		subs := view["subscriptions"].([]any)
		if len(subs) != 1 || jsonPath(t, subs[0], "plan", "refId") != "plan-revvenu-free" {
			t.Fatalf("after the period: active %v", subs)
		}
		eq(t, "paid one ended", getSub(t, s, id)["status"], "CANCELED")
	})
}
