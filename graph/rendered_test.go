package graph_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stigg-selfhost/stiggql/internal/apitest"
	"github.com/stigg-selfhost/stiggql/internal/customers"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// TestRenderedStatementsAnswerAsEnt: a customer's subscriptions and grants
// read from reused SQL text (internal/customers/rendered.go) answer as ent's own
// queries do, the first time (rendered then run), the next (reused), and
// with the cache off; a filter whose values are arguments runs through ent.
func TestRenderedStatementsAnswerAsEnt(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		s := apitest.New(t, st)
		s.LoadDemoCatalog()
		for _, c := range []string{"r1", "r2"} {
			provision(t, s, s.Key, map[string]any{"customerId": c, "name": c})
			provisionSub(t, s, map[string]any{"customerId": c, "planId": "plan-revvenu-basic"})
			grant(t, s, c, map[string]any{"featureId": "feature-seats", "period": "ONE_MONTH", "usageLimit": 7},
				map[string]any{"featureId": "feature-sso", "period": "LIFETIME"})
		}
		provisionSub(t, s, map[string]any{"customerId": "r2", "planId": "plan-insights-growth"})
		queries := []string{
			`{ getCustomerByRefId(input: {customerId: "r2"}) { subscriptions(filter: {}) { id status plan { refId } }
				promotionalEntitlements { id feature { refId } status endDate usageLimit } } }`,
			`{ customers(paging: {first: 10}) { edges { node { refId subscriptions(filter: {}) { id subscriptionId startDate }
				promotionalEntitlements { id status } syncStates { vendorIdentifier status error } } } } }`,
			`{ customers { edges { node { refId subscriptions(filter: {billingId: {is: null}}) { id } } } } }`,
			`{ customers { edges { node { refId subscriptions(filter: {createdAt: {lt: "2100-01-01T00:00:00Z"}}) { id } } } } }`,
		}
		answer := func(q string) string {
			t.Helper()
			var out map[string]any
			s.Query(q, nil, &out)
			b, err := json.Marshal(out)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		for _, q := range queries {
			first, again := answer(q), answer(q)
			ent := withoutReuse(s, func() string { return answer(q) })
			if !strings.Contains(ent, `"id"`) {
				t.Errorf("%s: nothing listed: %s", q, ent)
			}
			if first != ent || again != ent {
				t.Errorf("%s\nfirst:  %s\nagain:  %s\nby ent: %s", q, first, again, ent)
			}
		}
		// A missing customer is CustomerNotFound, reused text or not.
		const missing = `{ getCustomerByRefId(input: {customerId: "nobody"}) { id name } }`
		s.Fail("CustomerNotFound", missing, nil)
		withoutReuse(s, func() string { s.Fail("CustomerNotFound", missing, nil); return "" })
		reused, viaEnt := s.Resolver.CustomerReads.ReusedShapes()
		if reused < 8 {
			t.Errorf("%d statements reused, want the customer of two selections, subscriptions and grants of two shapes, sync states, and billingId IS NULL", reused)
		}
		if viaEnt < 1 {
			t.Errorf("no statement left to ent: the createdAt filter's value is an argument the key does not give")
		}
	})
}

// withoutReuse runs f with s's reads rendering every statement through ent.
func withoutReuse(s *apitest.Server, f func() string) string {
	saved := s.Resolver.CustomerReads
	s.Resolver.CustomerReads = customers.NewReads(s.Resolver.Client)
	defer func() { s.Resolver.CustomerReads = saved }()
	return f()
}
