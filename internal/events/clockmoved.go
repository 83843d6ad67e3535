package events

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/promotionalentitlement"
)

// ClockMoved publishes, after the server's test clock (--test-clock) moved
// forward from from, a KindEntitlements event for every customer (and
// resource) whose entitlements may have changed with the time: those with a
// subscription whose stored status is live (ACTIVE, IN_TRIAL, NOT_STARTED:
// a usage period may have rolled over, a trial ended, the subscription
// started or ended) and those with a promotional grant still running at
// from (it may have expired). It returns how many events it published.
//
// Stigg publishes nothing when time alone passes: its SDKs roll a cached
// usage period over and drop an expired entitlement (validUntil) by their
// own clock. Against a test clock their clock is behind the server's, so
// the server tells them: entitlementsUpdated carries the entitlements, with
// their usage, as the moved clock computes them. A customer whose
// entitlements did not change gets the same entitlements again, which the
// SDKs just store.
func (b *Bus) ClockMoved(ctx context.Context, client *ent.Client, from time.Time) (int, error) {
	var subs []struct {
		EnvironmentID uuid.UUID `json:"environment_id"`
		CustomerID    uuid.UUID `json:"customer_id"`
		ResourceID    *string   `json:"resource_id"`
	}
	err := client.CustomerSubscription.Query().
		Where(customersubscription.StatusIn(customersubscription.StatusACTIVE, customersubscription.StatusIN_TRIAL, customersubscription.StatusNOT_STARTED)).
		Unique(true).
		Select(customersubscription.FieldEnvironmentID, customersubscription.FieldCustomerID, customersubscription.FieldResourceID).
		Scan(ctx, &subs)
	if err != nil {
		return 0, err
	}
	var grants []struct {
		EnvironmentID uuid.UUID `json:"environment_id"`
		CustomerID    uuid.UUID `json:"customer_id"`
	}
	err = client.PromotionalEntitlement.Query().
		Where(promotionalentitlement.Or(promotionalentitlement.EndDateIsNil(), promotionalentitlement.EndDateGT(from))).
		Unique(true).
		Select(promotionalentitlement.FieldEnvironmentID, promotionalentitlement.FieldCustomerID).
		Scan(ctx, &grants)
	if err != nil {
		return 0, err
	}
	var out []Event
	seen := map[[2]uuid.UUID]map[string]bool{} // (env, customer) -> resources ("" global)
	add := func(e entitled) {
		k, r := [2]uuid.UUID{e.env, e.customer}, ""
		if e.resource != nil {
			r = "/" + *e.resource
		}
		if seen[k] == nil {
			seen[k] = map[string]bool{}
		}
		if !seen[k][r] {
			seen[k][r] = true
			out = append(out, e.event())
		}
	}
	for _, s := range subs {
		add(entitled{s.EnvironmentID, s.CustomerID, s.ResourceID})
	}
	for _, g := range grants {
		add(entitled{env: g.EnvironmentID, customer: g.CustomerID})
	}
	return len(out), b.publishNow(ctx, out)
}
