package billing

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/outboxevent"
	"github.com/stigg-selfhost/stiggql/ent/syncstate"
)

// CustomerChanged queues a customer's creation or update for Stripe, in the
// transaction of the change (wired as a customers.Hook by CustomerHook in
// the GraphQL layer). It does nothing for environments without an
// integration. Archiving and unarchiving are not passed here: the Stripe
// customer is kept as it was, with its invoices, and archiving clears the
// name and email here, which Stripe should not lose.
func CustomerChanged(ctx context.Context, tx *ent.Tx, c *ent.Customer) error {
	s := For(c.EnvironmentID)
	if s == nil {
		return nil
	}
	return s.EnqueueCustomer(ctx, tx, c)
}

// EnqueueSubscription queues a subscription for Stripe in tx, the
// transaction that created or changed it. The subscription lifecycle calls it
// after creating a subscription and after cancelling one (or any other change
// Stripe should see); it is a no-op for environments without an integration.
//
// Only paid subscriptions reach Stripe: for others the sync state says
// NO_SYNC_REQUIRED. A customer that has never been synced is queued too, so
// the subscription has a Stripe customer to belong to.
func EnqueueSubscription(ctx context.Context, tx *ent.Tx, sub *ent.CustomerSubscription) error {
	s := For(sub.EnvironmentID)
	if s == nil {
		return nil
	}
	return s.EnqueueSubscription(ctx, tx, sub)
}

// EnqueueCustomer queues c for Stripe in tx.
func (s *Syncer) EnqueueCustomer(ctx context.Context, tx *ent.Tx, c *ent.Customer) error {
	if c.EnvironmentID != s.cfg.EnvironmentID {
		return nil
	}
	return s.enqueue(ctx, tx, outboxevent.KindCUSTOMER, c.EnvironmentID, c.ID, c.ID)
}

// EnqueueSubscription queues sub for Stripe in tx; see the package-level
// EnqueueSubscription.
func (s *Syncer) EnqueueSubscription(ctx context.Context, tx *ent.Tx, sub *ent.CustomerSubscription) error {
	if sub.EnvironmentID != s.cfg.EnvironmentID {
		return nil
	}
	payer := billedCustomerID(sub)
	if !needsStripe(sub) {
		return s.setState(ctx, tx, syncstate.EntityTypeSUBSCRIPTION, sub.EnvironmentID, sub.ID, payer, syncstate.StatusNO_SYNC_REQUIRED)
	}
	c, err := tx.Customer.Get(ctx, payer)
	if err != nil {
		return fmt.Errorf("billing: subscription %s: load its customer: %w", sub.ID, err)
	}
	if c.BillingID == nil {
		known, err := tx.SyncState.Query().Where(syncstate.EntityID(c.ID), syncstate.VendorIdentifier(VendorStripe)).Exist(ctx)
		if err != nil {
			return err
		}
		if !known {
			if err := s.EnqueueCustomer(ctx, tx, c); err != nil {
				return err
			}
		}
	}
	return s.enqueue(ctx, tx, outboxevent.KindSUBSCRIPTION, sub.EnvironmentID, sub.ID, payer)
}

// needsStripe reports whether a subscription is Stripe's business: a paid
// one, or one that already is in Stripe (and may need cancelling).
func needsStripe(sub *ent.CustomerSubscription) bool {
	return sub.PricingType == customersubscription.PricingTypePAID || sub.BillingID != nil
}

// billedCustomerID is the customer Stripe bills for sub: the paying
// customer when there is one.
func billedCustomerID(sub *ent.CustomerSubscription) uuid.UUID {
	if sub.PayingCustomerID != nil {
		return *sub.PayingCustomerID
	}
	return sub.CustomerID
}

// idempotencyKey is the key of an outbox row: a function of its id alone,
// so it is the same in every attempt and after a restart.
func idempotencyKey(id uuid.UUID) string { return "stiggql-outbox-" + id.String() }

func (s *Syncer) enqueue(ctx context.Context, tx *ent.Tx, kind outboxevent.Kind, env, entity, customerID uuid.UUID) error {
	now := s.clock.Now()
	id := uuid.New()
	err := tx.OutboxEvent.Create().
		SetID(id).
		SetEnvironmentID(env).
		SetKind(kind).
		SetEntityID(entity).
		SetCustomerID(customerID).
		SetVendorIdentifier(VendorStripe).
		SetIdempotencyKey(idempotencyKey(id)).
		SetNextAttemptAt(now).
		SetCreatedAt(now).
		SetUpdatedAt(now).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("billing: enqueue %s %s: %w", kind, entity, err)
	}
	et := syncstate.EntityTypeCUSTOMER
	if kind == outboxevent.KindSUBSCRIPTION {
		et = syncstate.EntityTypeSUBSCRIPTION
	}
	if err := s.setState(ctx, tx, et, env, entity, customerID, syncstate.StatusPENDING); err != nil {
		return err
	}
	// Wake the worker once the row is visible, not before: a worker woken
	// inside the transaction would find nothing.
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			err := next.Commit(ctx, tx)
			if err == nil {
				s.Wake()
			}
			return err
		})
	})
	return nil
}

// setState creates or updates the entity's Stripe sync state to status,
// clearing the last error and keeping the Stripe id.
func (s *Syncer) setState(ctx context.Context, tx *ent.Tx, et syncstate.EntityType, env, entity, customerID uuid.UUID, status syncstate.Status) error {
	now := s.clock.Now()
	err := tx.SyncState.Create().
		SetEnvironmentID(env).
		SetEntityType(et).
		SetEntityID(entity).
		SetCustomerID(customerID).
		SetVendorIdentifier(VendorStripe).
		SetStatus(status).
		SetCreatedAt(now).
		SetUpdatedAt(now).
		OnConflictColumns(syncstate.FieldEntityID, syncstate.FieldVendorIdentifier).
		Update(func(u *ent.SyncStateUpsert) {
			u.SetStatus(status)
			u.ClearError()
			u.SetUpdatedAt(now)
		}).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("billing: sync state of %s %s: %w", et, entity, err)
	}
	return nil
}
