package billing

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/syncstate"
)

// waitRecheck is how often a waiter re-reads the sync state when no
// delivery of this process told it to: the row may be delivered by another
// replica.
const waitRecheck = 200 * time.Millisecond

// WaitForSync waits until the entity's Stripe sync is no longer PENDING
// (it succeeded, failed, or needed nothing), for at most the configured
// WaitTimeout, and reports whether it finished. It is what
// updateOneCustomer(shouldWaitSync: true) does after its commit; without an
// integration for env there is nothing to wait for. Only ctx ending is an
// error: a sync still pending at the deadline is the caller's answer.
func WaitForSync(ctx context.Context, env, entity uuid.UUID) (bool, error) {
	s := For(env)
	if s == nil {
		return true, nil
	}
	s.Wake()
	deadline := time.NewTimer(s.cfg.WaitTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(waitRecheck)
	defer tick.Stop()
	for {
		// Taken before the read, so a delivery finishing in between is not missed.
		changed := s.changedChan()
		st, err := s.client.SyncState.Query().
			Where(syncstate.EntityID(entity), syncstate.VendorIdentifier(VendorStripe)).
			Only(ctx)
		switch {
		case ent.IsNotFound(err):
			return true, nil
		case err != nil:
			return false, err
		case st.Status != syncstate.StatusPENDING:
			return true, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-deadline.C:
			return false, nil
		case <-changed:
		case <-tick.C:
		}
	}
}
