package graph_test

import (
	"testing"

	"github.com/stigg-selfhost/stiggql/internal/apitest"
)

const schedDoc = `query($id: String!) { getSubscription(input: {subscriptionId: $id}) {
	addons { addonId quantity }
	customer { customerId } payingCustomer { customerId } resourceId
	scheduledUpdates { subscriptionScheduleType scheduleStatus scheduledExecutionTime
		scheduleVariables { ... on AddonChangeVariables { addonRefId newQuantity } } }
	futureUpdates { subscriptionScheduleType } } }`

// TestSubscriptionOperationsOverHTTP runs the estimate, preview, schedule,
// transfer, delegation, group and import operations as a client sends
// them, checking each effect on a refetch. Amounts are computed by hand
// from the demo catalog (Basic 29/month, Extra seats 20, Pro 79 + 12 a seat).
func TestSubscriptionOperationsOverHTTP(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		provision(t, s, s.Key, map[string]any{"customerId": "c1"})
		provision(t, s, s.Key, map[string]any{"customerId": "c2"})
		sub := provisionSub(t, s, map[string]any{"customerId": "c1", "planId": "plan-revvenu-basic", "skipTrial": true,
			"subscriptionId": "s1", "addons": []any{map[string]any{"addonId": "addon-extra-seats", "quantity": 1}}})
		eq(t, "status", sub["status"], "ACTIVE")

		// A new Pro with 3 seats: 79 + 3 x 12 = 115.
		d := run(t, s, `mutation { estimateSubscription(input: {customerId: "c2", planId: "plan-revvenu-pro", unitQuantity: 3}) {
			total { amount currency } subTotal { amount } billingPeriodRange { start end } proration { netAmount { amount } } } }`, nil)
		eq(t, "estimate total", jsonPath(t, d, "estimateSubscription", "total", "amount"), 115.0)
		eq(t, "estimate currency", jsonPath(t, d, "estimateSubscription", "total", "currency"), "USD")
		eq(t, "estimate period start", jsonPath(t, d, "estimateSubscription", "billingPeriodRange", "start"), "2026-01-01T12:00:00.000Z")
		eq(t, "estimate period end", jsonPath(t, d, "estimateSubscription", "billingPeriodRange", "end"), "2026-02-01T12:00:00.000Z")

		if r := s.Raw(s.Key, `mutation { estimateSubscription(input: {customerId: "c2", planId: "plan-revvenu-pro", promotionCode: "SUMMER"}) { total { amount } } }`, nil); len(r.Codes()) != 1 || r.Codes()[0] != "PromotionCodeNotFound" {
			t.Fatalf("promotion code: %v", r.Codes())
		}

		// Remove the add-on at the end of the period: scheduled, not applied.
		run(t, s, `mutation { updateOneSubscription(input: {subscriptionId: "s1", addons: [], scheduleStrategy: END_OF_BILLING_PERIOD}) { subscriptionId } }`, nil)
		got := jsonPath(t, run(t, s, schedDoc, map[string]any{"id": "s1"}), "getSubscription")
		eq(t, "add-on kept until then", len(jsonPath(t, got, "addons").([]any)), 1)
		eq(t, "scheduled type", jsonPath(t, got, "scheduledUpdates", 0, "subscriptionScheduleType"), "Addon")
		eq(t, "scheduled status", jsonPath(t, got, "scheduledUpdates", 0, "scheduleStatus"), "Scheduled")
		eq(t, "scheduled at", jsonPath(t, got, "scheduledUpdates", 0, "scheduledExecutionTime"), "2026-02-01T12:00:00.000Z")
		eq(t, "variables", jsonPath(t, got, "scheduledUpdates", 0, "scheduleVariables", "newQuantity"), 0.0)
		eq(t, "future updates", jsonPath(t, got, "futureUpdates", 0, "subscriptionScheduleType"), "Addon")
		// The February invoice leaves the add-on out: 29.
		d = run(t, s, `mutation { previewNextInvoice(input: {subscriptionId: "s1"}) { total { amount } lines { amount { amount } quantity period { start } } } }`, nil)
		eq(t, "next invoice", jsonPath(t, d, "previewNextInvoice", "total", "amount"), 29.0)
		eq(t, "next invoice period", jsonPath(t, d, "previewNextInvoice", "lines", 0, "period", "start"), "2026-02-01T12:00:00.000Z")
		d = run(t, s, `mutation { cancelSchedule(input: {subscriptionId: "s1"}) }`, nil)
		eq(t, "cancelSchedule", jsonPath(t, d, "cancelSchedule"), "s1")
		got = jsonPath(t, run(t, s, schedDoc, map[string]any{"id": "s1"}), "getSubscription")
		eq(t, "nothing scheduled", len(jsonPath(t, got, "scheduledUpdates").([]any)), 0)

		// Day 10 (January 10) of a 31-day period, 22 days left: 2 add-ons
		// instead of 1. Credit 29x22/31 = 20.58 + 20x22/31 = 14.19: 34.77;
		// debit 20.58 + 40x22/31 = 28.39: 48.97; net 14.20.
		s.Clock.Set(apitest.Epoch.AddDate(0, 0, 9))
		d = run(t, s, `mutation { estimateSubscriptionUpdate(input: {subscriptionId: "s1", addons: [{addonId: "addon-extra-seats", quantity: 2}]}) {
			total { amount } proration { credit { amount } debit { amount } netAmount { amount } } subscription { total { amount } } } }`, nil)
		eq(t, "credit", jsonPath(t, d, "estimateSubscriptionUpdate", "proration", "credit", "amount"), 34.77)
		eq(t, "debit", jsonPath(t, d, "estimateSubscriptionUpdate", "proration", "debit", "amount"), 48.97)
		eq(t, "net", jsonPath(t, d, "estimateSubscriptionUpdate", "proration", "netAmount", "amount"), 14.2)
		eq(t, "recurring", jsonPath(t, d, "estimateSubscriptionUpdate", "subscription", "total", "amount"), 69.0)
		d = run(t, s, `mutation { previewSubscription(input: {customerId: "c1", planId: "plan-revvenu-pro", unitQuantity: 1}) {
			immediateInvoice { total { amount } proration { netAmount { amount } } } recurringInvoice { total { amount } } isPlanDowngrade } }`, nil)
		// Basic + add-on (49) to Pro with a seat (91): 34.77 back,
		// 79x22/31 = 56.06 + 12x22/31 = 8.52 due: 29.81 now.
		eq(t, "preview now", jsonPath(t, d, "previewSubscription", "immediateInvoice", "total", "amount"), 29.81)
		eq(t, "preview recurring", jsonPath(t, d, "previewSubscription", "recurringInvoice", "total", "amount"), 91.0)

		// Transfers and delegation.
		run(t, s, `mutation { transferSubscriptionToResource(input: {subscriptionId: "s1", destinationResourceId: "site-1"}) { subscriptionId } }`, nil)
		run(t, s, `mutation { transferSubscription(input: {customerId: "c1", sourceResourceId: "site-1", destinationResourceId: "site-2"}) { subscriptionId } }`, nil)
		run(t, s, `mutation { delegateSubscriptionToCustomer(input: {subscriptionId: "s1", destinationCustomerId: "c2"}) { subscriptionId } }`, nil)
		got = jsonPath(t, run(t, s, schedDoc, map[string]any{"id": "s1"}), "getSubscription")
		eq(t, "resource", jsonPath(t, got, "resourceId"), "site-2")
		eq(t, "delegate", jsonPath(t, got, "customer", "customerId"), "c2")
		eq(t, "payer", jsonPath(t, got, "payingCustomer", "customerId"), "c1")
		if r := s.Raw(s.Key, `mutation { transferSubscription(input: {customerId: "c1", sourceResourceId: "site-9", destinationResourceId: "x"}) { subscriptionId } }`, nil); len(r.Codes()) != 1 || r.Codes()[0] != "CustomerResourceNotFound" {
			t.Fatalf("codes %v", r.Codes())
		}

		// Promotional entitlement groups.
		d = run(t, s, `mutation { grantPromotionalEntitlementsGroup(input: {customerId: "c1", featureGroupId: "deal-1",
			promotionalEntitlements: [{featureId: "feature-sso", period: LIFETIME}, {featureId: "feature-custom-domain", period: ONE_MONTH}]}) { featureId featureGroupIds } }`, nil)
		eq(t, "granted", len(jsonPath(t, d, "grantPromotionalEntitlementsGroup").([]any)), 2)
		eq(t, "group ids", jsonPath(t, d, "grantPromotionalEntitlementsGroup", 0, "featureGroupIds", 0), "deal-1")
		d = run(t, s, `mutation { revokePromotionalEntitlementsGroup(input: {customerId: "c1", featureGroupId: "deal-1"}) { featureId } }`, nil)
		eq(t, "revoked", len(jsonPath(t, d, "revokePromotionalEntitlementsGroup").([]any)), 2)
		d = run(t, s, `query { getCustomerByRefId(input: {customerId: "c1"}) { promotionalEntitlements { featureId } } }`, nil)
		eq(t, "grants left", len(jsonPath(t, d, "getCustomerByRefId", "promotionalEntitlements").([]any)), 0)

		// Bulk import: all or nothing.
		if r := s.Raw(s.Key, `mutation { importSubscriptionsBulk(input: {subscriptions: [{customerId: "c1", planId: "plan-insights-starter", subscriptionId: "i1"},
			{customerId: "nobody", planId: "plan-insights-starter"}]}) }`, nil); len(r.Codes()) != 1 || r.Codes()[0] != "CustomerNotFound" {
			t.Fatalf("codes %v", r.Codes())
		}
		if r := s.Raw(s.Key, `query { getSubscription(input: {subscriptionId: "i1"}) { subscriptionId } }`, nil); len(r.Codes()) != 1 || r.Codes()[0] != "SubscriptionNotFound" {
			t.Fatalf("a failed import kept i1: %v", r.Codes())
		}
		run(t, s, `mutation { importSubscriptionsBulk(input: {subscriptions: [{customerId: "c1", planId: "plan-insights-starter", subscriptionId: "i1"},
			{customerId: "c2", planId: "plan-insights-growth", subscriptionId: "i2"}]}) }`, nil)
		eq(t, "imported", getSub(t, s, "i2")["status"], "ACTIVE")
	})
}
