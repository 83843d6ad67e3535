package graph_test

import (
	"testing"

	"github.com/stigg-selfhost/stiggql/internal/apitest"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// TestEntitlementCheckAcrossReplicas: two servers share one database (on
// PostgreSQL, replicas; on SQLite, two processes on one file). Server B's
// entitlements cache holds the customer, warm; every write through server
// A (a subscription, usage, a promotional grant, a cancellation, an
// archive) is seen by the next check through B, which otherwise costs one
// statement.
func TestEntitlementCheckAcrossReplicas(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		a := apitest.New(t, st)
		b := apitest.New(t, testdb.Reopen(t, st))
		a.LoadDemoCatalog()
		provision(t, a, a.Key, map[string]any{"customerId": "rep"})
		check := func(feature string) map[string]any {
			t.Helper()
			q := map[string]any{"query": map[string]any{"customerId": "rep", "featureId": feature}}
			run(t, b, getEntitlementDoc, q) // fills B's cache when the write emptied it
			before := b.Statements.Count()
			e := run(t, b, getEntitlementDoc, q)["entitlement"].(map[string]any)
			if n := b.Statements.Count() - before; n != 1 {
				t.Fatalf("a cached check of %s cost %d statements, want 1", feature, n)
			}
			return e
		}
		// first is B's first check after a write: it must see the write.
		first := func(feature string) map[string]any {
			t.Helper()
			q := map[string]any{"query": map[string]any{"customerId": "rep", "featureId": feature}}
			return run(t, b, getEntitlementDoc, q)["entitlement"].(map[string]any)
		}
		eq(t, "no subscription", check("feature-api-calls")["accessDeniedReason"], "NoActiveSubscription")

		sub := provisionSub(t, a, map[string]any{"customerId": "rep", "planId": "plan-revvenu-basic", "skipTrial": true})
		eq(t, "subscribed", first("feature-api-calls")["isGranted"], true)
		eq(t, "usage", check("feature-api-calls")["currentUsage"], 0.0)
		eq(t, "limit", check("feature-api-calls")["usageLimit"], 10000.0)

		run(t, a, reportUsageDoc, map[string]any{"input": map[string]any{"customerId": "rep", "featureId": "feature-api-calls", "value": 7}})
		eq(t, "usage reported through A", first("feature-api-calls")["currentUsage"], 7.0)
		eq(t, "usage, cached", check("feature-api-calls")["currentUsage"], 7.0)

		eq(t, "not granted yet", check("feature-sso")["isGranted"], false)
		run(t, a, `mutation { grantPromotionalEntitlements(input: {customerId: "rep", promotionalEntitlements: [{featureId: "feature-sso", period: ONE_MONTH}]}) { id } }`, nil)
		eq(t, "granted through A", first("feature-sso")["isGranted"], true)

		check("feature-api-calls")
		run(t, a, `mutation($in: SubscriptionCancellationInput!) { cancelSubscription(input: $in) { status } }`,
			map[string]any{"in": map[string]any{"subscriptionRefId": sub["subscriptionId"], "subscriptionCancellationTime": "IMMEDIATE"}})
		// The demo catalog's default plan takes over, with a lower limit.
		eq(t, "cancelled through A", first("feature-api-calls")["usageLimit"], 1000.0)

		check("feature-sso")
		run(t, a, `mutation { archiveCustomer(input: {customerId: "rep"}) { customerId } }`, nil)
		eq(t, "archived through A", first("feature-sso")["accessDeniedReason"], "CustomerIsArchived")
	})
}
