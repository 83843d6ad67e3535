package graph_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stigg-selfhost/stiggql/ent/promotionalentitlement"
	"github.com/stigg-selfhost/stiggql/internal/apitest"
)

// raceRaw sends n copies of one request at once and returns the responses.
func raceRaw(s *apitest.Server, n int, query string, vars map[string]any) []*apitest.Response {
	out := make([]*apitest.Response, n)
	var start, done sync.WaitGroup
	start.Add(1)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			start.Wait()
			out[i] = s.Raw(s.Key, query, vars)
		}()
	}
	start.Done()
	done.Wait()
	return out
}

// TestConcurrentCancelSucceedsOnce: of 20 concurrent cancellations of one
// subscription exactly one succeeds; the others are told it is already
// cancelled (issue 12: read-modify-writes of a subscription lock it).
func TestConcurrentCancelSucceedsOnce(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		provision(t, s, s.Key, map[string]any{"customerId": "c1"})
		sub := provisionSub(t, s, map[string]any{"customerId": "c1", "planId": "plan-revvenu-basic"})
		cancel := `mutation($in: SubscriptionCancellationInput!) { cancelSubscription(input: $in) { status } }`
		ok := 0
		for _, r := range raceRaw(s, 20, cancel, map[string]any{"in": map[string]any{"subscriptionRefId": sub["subscriptionId"]}}) {
			switch {
			case len(r.Errors) == 0:
				ok++
			case r.Errors[0].Code() != "SubscriptionAlreadyCanceledOrExpired":
				t.Errorf("unexpected error: %v", r.Errors)
			}
		}
		if ok != 1 {
			t.Fatalf("%d of 20 concurrent cancellations succeeded, want 1", ok)
		}
	})
}

// TestConcurrentGrantsLeaveOneGrant: concurrent grants of one feature to
// one customer each replace the previous grant; all succeed and exactly
// one grant remains.
func TestConcurrentGrantsLeaveOneGrant(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		s.LoadDemoCatalog()
		provision(t, s, s.Key, map[string]any{"customerId": "promo"})
		in := map[string]any{"customerId": "promo", "promotionalEntitlements": []any{
			map[string]any{"featureId": "feature-seats", "period": "ONE_WEEK", "usageLimit": 10},
		}}
		for _, r := range raceRaw(s, 20, grantMutation, map[string]any{"in": in}) {
			if len(r.Errors) != 0 {
				t.Errorf("grant failed: %v", r.Errors)
			}
		}
		n, err := s.Store.Client.PromotionalEntitlement.Query().
			Where(promotionalentitlement.FeatureRefID("feature-seats")).Count(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("%d grants of feature-seats after 20 concurrent grants, want 1", n)
		}
	})
}
