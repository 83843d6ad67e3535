package graph

import (
	"context"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/syncstate"
	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/billing"
)

// waitForBillingSync is updateOneCustomer's shouldWaitSync: it waits
// (bounded) for the billing sync of c and returns c as it then is, with its
// billingId. A sync still pending at the deadline is not an error: the
// answer then shows the PENDING sync state.
func (r *Resolver) waitForBillingSync(ctx context.Context, c *ent.Customer) (*ent.Customer, error) {
	if _, err := billing.WaitForSync(ctx, c.EnvironmentID, c.ID); err != nil {
		return nil, err
	}
	return r.Client.Customer.Get(ctx, c.ID)
}

// subscriptionSyncStates loads the sync states of each subscription.
func (r *Resolver) subscriptionSyncStates(ctx context.Context, id uuid.UUID) ([]*model.SyncState, error) {
	return r.syncStates(ctx, id, syncstate.EntityTypeSUBSCRIPTION)
}
