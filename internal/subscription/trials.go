package subscription

import (
	"math"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
)

// Trial rules read on a customer: which plans it had a trial of, and which
// products' trials it may still start. Both are decided from its
// subscriptions that consumed a trial (TrialConsumed) and their plans.

// TrialedPlans are the distinct plans of consumed that were in trial, in
// the order of consumed (oldest first). plans maps plan ids to plans; a
// plan missing from it is skipped.
func TrialedPlans(consumed []*ent.CustomerSubscription, plans map[uuid.UUID]*ent.Plan) []*ent.Plan {
	out := []*ent.Plan{}
	seen := map[uuid.UUID]bool{}
	for _, s := range consumed {
		p := plans[s.PlanID]
		if !s.WasInTrial || p == nil || seen[p.ID] {
			continue
		}
		seen[p.ID] = true
		out = append(out, p)
	}
	return out
}

// TrialEligible tells, for each product with a trial, whether a customer
// whose trial-consuming subscriptions are on consumedPlans may still start
// its trial: a product's trial is consumed by any of them.
func TrialEligible(products []*ent.Product, consumedPlans map[uuid.UUID]*ent.Plan) map[uuid.UUID]bool {
	consumed := map[uuid.UUID]bool{}
	for _, p := range consumedPlans {
		if p != nil {
			consumed[p.ProductID] = true
		}
	}
	out := make(map[uuid.UUID]bool, len(products))
	for _, p := range products {
		out[p.ID] = !consumed[p.ID]
	}
	return out
}

// TrialRemainingDays is how many days (started days count whole) are left
// of s's trial at now, as the customer portal shows them; false when s is
// not in trial.
func TrialRemainingDays(s *ent.CustomerSubscription, now time.Time) (int, bool) {
	if s.TrialEndDate == nil || EffectiveStatus(s, now) != InTrial {
		return 0, false
	}
	return int(math.Ceil(s.TrialEndDate.Sub(now).Hours() / 24)), true
}
