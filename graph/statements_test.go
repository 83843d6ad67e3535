package graph_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/stigg-selfhost/stiggql/internal/apitest"
)

// nestedPage asks for a page of customers with everything a customer page
// of a frontend shows: subscriptions, their plans with entitlements
// (own and inherited) and features, compatible add-ons, prices, add-ons,
// coupon and totals.
const nestedPage = `query($n: Int!) { customers(paging: {first: $n}) { edges { node {
	customerId hasActiveSubscription totalActiveSubscription
	coupon { refId }
	eligibleForTrial { productRefId eligible }
	trialedPlans { planRefId }
	statistics { activeSubscriptionsByPricingType { pricingType totalCount } }
	subscriptions {
		subscriptionId status currentBillingPeriodEnd
		customer { customerId }
		plan {
			refId basePlan { refId }
			product { refId productSettings { downgradePlan { refId } } }
			entitlements { usageLimit feature { refId featureType } }
			inheritedEntitlements { usageLimit feature { refId } }
			compatibleAddons { refId entitlements { feature { refId } } prices { price { amount } } }
			prices { billingModel price { amount } feature { refId } }
		}
		addons { quantity addon { refId dependencies { refId } entitlements { usageLimit feature { refId } } } price { price { amount } } }
		prices { usageLimit price { price { amount } feature { refId } } }
		coupon { refId }
		totalPrice { subTotal { amount } total { amount } }
	}
} } } }`

// addCustomers provisions customers from..to-1, each with a coupon, a Pro
// subscription with an add-on and an Insights trial.
func addCustomers(t *testing.T, s *apitest.Server, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		id := fmt.Sprintf("c%03d", i)
		provision(t, s, s.Key, map[string]any{"customerId": id, "couponRefId": "coupon-welcome-20"})
		provisionSub(t, s, map[string]any{"customerId": id, "planId": "plan-revvenu-pro",
			"addons": []any{map[string]any{"addonId": "addon-extra-seats", "quantity": 2}}})
		provisionSub(t, s, map[string]any{"customerId": id, "planId": "plan-insights-growth"})
	}
}

// statementsFor returns the statements one nestedPage query of n
// customers runs.
func statementsFor(t *testing.T, s *apitest.Server, n int) int64 {
	t.Helper()
	s.Statements.Reset()
	s.Statements.Record()
	defer func() {
		recorded := s.Statements.Stop()
		if os.Getenv("LOG_STATEMENTS") != "" {
			seen := map[string]int{}
			for _, st := range recorded {
				q := st.Query
				if len(q) > 400 {
					q = q[:400]
				}
				seen[q]++
			}
			for q, c := range seen {
				t.Logf("n=%d %4d %s", n, c, q)
			}
		}
	}()
	d := run(t, s, nestedPage, map[string]any{"n": n})
	edges := jsonPath(t, d, "customers", "edges").([]any)
	eq(t, "customers on the page", len(edges), n)
	eq(t, "subscriptions of a customer", len(jsonPath(t, edges[0], "node", "subscriptions").([]any)), 2)
	return s.Statements.Count()
}

// TestNoNPlusOne shows that the statements a nested customer page runs do
// not depend on its size: the same for 5 customers as for 50, with the
// caches cold (the catalog is read) and warm.
func TestNoNPlusOne(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		// coldAndWarm measures a page of n with fresh caches, then again.
		coldAndWarm := func(n int) [2]int64 {
			s.Resolver.EnableCaches(s.Store.Dialect)
			return [2]int64{statementsFor(t, s, n), statementsFor(t, s, n)}
		}
		addCustomers(t, s, 0, 5)
		small := coldAndWarm(5)
		addCustomers(t, s, 5, 50)
		large := coldAndWarm(50)
		t.Logf("statements (cold, warm): %v for 5 customers, %v for 50", small, large)
		if small != large {
			t.Fatalf("statement count grows with the page: %v for 5 customers, %v for 50", small, large)
		}
		if small[1] >= small[0] {
			t.Fatalf("a warm catalog costs statements: %v", small)
		}
		if small[0] > 60 {
			t.Fatalf("%d statements for one page is more than the query's shape needs", small[0])
		}
	})
}
