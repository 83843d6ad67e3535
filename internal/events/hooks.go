package events

import (
	"context"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/hook"
	"github.com/stigg-selfhost/stiggql/ent/promotionalentitlement"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionaddon"
)

// RegisterHooks makes b publish, from the write itself, every change to what
// customers may use: ent hooks on subscriptions, their add-ons and
// promotional grants queue a KindEntitlements event for each customer (and
// resource) they touch, and hooks on plans and add-ons a KindPackage event
// when one is created or its version changes. Being ent hooks, they see
// every write, whichever service makes it (provision, update, cancel,
// archive, grant, revoke, catalog load, ...). Inside a transaction the
// events go out only if it commits, as customer events do.
//
// Time alone changes nothing here: a trial that ends or a grant that
// expires by the clock publishes no event (Stigg's SDKs see it through the
// entitlements' validUntil), except when a test clock moves (ClockMoved).
//
// Register them on the client that loads the catalog before it loads it, so
// that a replica starting with a changed catalog tells the others. Calling
// RegisterHooks again for the same client does nothing.
func (b *Bus) RegisterHooks(client *ent.Client) {
	b.mu.Lock()
	if b.hooked == nil {
		b.hooked = map[*ent.Client]bool{}
	}
	done := b.hooked[client]
	b.hooked[client] = true
	b.mu.Unlock()
	if done {
		return
	}
	client.CustomerSubscription.Use(b.subscriptionHook)
	client.SubscriptionAddon.Use(b.subscriptionAddonHook)
	client.PromotionalEntitlement.Use(b.grantHook)
	client.Plan.Use(b.planHook)
	client.Addon.Use(b.addonHook)
}

// entitled is a customer (and resource) whose entitlements a write changed.
type entitled struct {
	env, customer uuid.UUID
	resource      *string
}

func (e entitled) event() Event {
	return Event{Kind: KindEntitlements, EnvironmentID: e.env, ID: e.customer, ResourceID: e.resource}
}

// emit queues events on the mutation's transaction, or publishes them at
// once when the write ran outside one.
//
// The *ent.Tx a mutation gives (m.Tx) is a new handle on the transaction
// each time, not the one its service commits, so events cannot be queued by
// handle as Publish does: on PostgreSQL they are NOTIFYed at once, inside
// the transaction (PostgreSQL delivers notifications only on commit, and
// identical ones of a transaction once); in process, each write adds a
// commit hook that queues its events under the transaction being committed,
// and the outermost hook publishes them, each once, after the commit.
func (b *Bus) emit(ctx context.Context, tx *ent.Tx, txErr error, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	if txErr != nil || tx == nil {
		return b.publishNow(ctx, events)
	}
	if b.pool != nil {
		return notify(ctx, tx, events)
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, committing *ent.Tx) error {
			b.mu.Lock()
			queued, inner := b.pending[committing]
			for _, e := range events {
				if !queuedAlready(queued, e) {
					queued = append(queued, e)
				}
			}
			b.pending[committing] = queued
			b.mu.Unlock()
			err := next.Commit(ctx, committing)
			if inner {
				return err // an outer hook publishes
			}
			published := b.take(committing)
			if err == nil {
				for _, e := range published {
					b.broker.Publish(e)
				}
			}
			return err
		})
	})
	return nil
}

// publishNow publishes events of a write already committed on its own:
// NOTIFY on PostgreSQL, the broker in process.
func (b *Bus) publishNow(ctx context.Context, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	if b.pool != nil {
		return notifyNow(ctx, b.pool, events)
	}
	for _, e := range events {
		b.broker.Publish(e)
	}
	return nil
}

func entitlementEvents(refs []entitled) []Event {
	out := make([]Event, 0, len(refs))
	for _, r := range refs {
		out = append(out, r.event())
	}
	return out
}

// subscriptionsEntitled reads the customers and resources of subscriptions.
func subscriptionsEntitled(ctx context.Context, client *ent.Client, ids []uuid.UUID) ([]entitled, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	subs, err := client.CustomerSubscription.Query().Where(customersubscription.IDIn(ids...)).
		Select(customersubscription.FieldEnvironmentID, customersubscription.FieldCustomerID, customersubscription.FieldResourceID).
		All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]entitled, len(subs))
	for i, s := range subs {
		out[i] = entitled{s.EnvironmentID, s.CustomerID, s.ResourceID}
	}
	return out, nil
}

func (b *Bus) subscriptionHook(next ent.Mutator) ent.Mutator {
	return hook.CustomerSubscriptionFunc(func(ctx context.Context, m *ent.CustomerSubscriptionMutation) (ent.Value, error) {
		tx, txErr := m.Tx()
		var before []entitled
		if !m.Op().Is(ent.OpCreate) {
			// Read before the write too: an update may move a subscription
			// to another customer or resource, a delete leaves nothing.
			ids, err := m.IDs(ctx)
			if err != nil {
				return nil, err
			}
			if before, err = subscriptionsEntitled(ctx, m.Client(), ids); err != nil {
				return nil, err
			}
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return v, err
			}
			after := []entitled{}
			if !m.Op().Is(ent.OpDelete | ent.OpDeleteOne) {
				if after, err = subscriptionsEntitled(ctx, m.Client(), ids); err != nil {
					return nil, err
				}
			}
			return v, b.emit(ctx, tx, txErr, entitlementEvents(append(before, after...)))
		}
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return v, err
		}
		s, ok := v.(*ent.CustomerSubscription)
		if !ok {
			return v, nil
		}
		return v, b.emit(ctx, tx, txErr, []Event{entitled{s.EnvironmentID, s.CustomerID, s.ResourceID}.event()})
	})
}

func (b *Bus) subscriptionAddonHook(next ent.Mutator) ent.Mutator {
	return hook.SubscriptionAddonFunc(func(ctx context.Context, m *ent.SubscriptionAddonMutation) (ent.Value, error) {
		tx, txErr := m.Tx()
		var subIDs []uuid.UUID
		if id, ok := m.SubscriptionID(); ok {
			subIDs = append(subIDs, id)
		}
		if !m.Op().Is(ent.OpCreate) {
			ids, err := m.IDs(ctx)
			if err != nil {
				return nil, err
			}
			if len(ids) > 0 {
				owners, err := m.Client().SubscriptionAddon.Query().Where(subscriptionaddon.IDIn(ids...)).
					Select(subscriptionaddon.FieldSubscriptionID).All(ctx)
				if err != nil {
					return nil, err
				}
				for _, o := range owners {
					subIDs = append(subIDs, o.SubscriptionID)
				}
			}
		}
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return v, err
		}
		refs, err := subscriptionsEntitled(ctx, m.Client(), subIDs)
		if err != nil {
			return nil, err
		}
		return v, b.emit(ctx, tx, txErr, entitlementEvents(refs))
	})
}

func (b *Bus) grantHook(next ent.Mutator) ent.Mutator {
	return hook.PromotionalEntitlementFunc(func(ctx context.Context, m *ent.PromotionalEntitlementMutation) (ent.Value, error) {
		tx, txErr := m.Tx()
		var refs []entitled
		if !m.Op().Is(ent.OpCreate) {
			ids, err := m.IDs(ctx)
			if err != nil {
				return nil, err
			}
			if len(ids) > 0 {
				grants, err := m.Client().PromotionalEntitlement.Query().Where(promotionalentitlement.IDIn(ids...)).
					Select(promotionalentitlement.FieldEnvironmentID, promotionalentitlement.FieldCustomerID).All(ctx)
				if err != nil {
					return nil, err
				}
				for _, g := range grants {
					refs = append(refs, entitled{env: g.EnvironmentID, customer: g.CustomerID})
				}
			}
		}
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return v, err
		}
		if g, ok := v.(*ent.PromotionalEntitlement); ok && m.Op().Is(ent.OpCreate) {
			refs = append(refs, entitled{env: g.EnvironmentID, customer: g.CustomerID})
		}
		return v, b.emit(ctx, tx, txErr, entitlementEvents(refs))
	})
}

// packageEvent is the KindPackage event of a created package, or of one
// whose version changed (reaching its existing subscriptions).
func packageEvent(op ent.Op, versionSet bool, env, id uuid.UUID, typ, refID string, version int) (Event, bool) {
	switch {
	case op.Is(ent.OpCreate):
		return Event{Kind: KindPackage, EnvironmentID: env, ID: id, Package: &Package{Type: typ, RefID: refID, Version: version}}, true
	case versionSet:
		return Event{Kind: KindPackage, EnvironmentID: env, ID: id, Package: &Package{Type: typ, RefID: refID, Version: version, AllCustomers: true}}, true
	}
	return Event{}, false
}

func (b *Bus) planHook(next ent.Mutator) ent.Mutator {
	return hook.PlanFunc(func(ctx context.Context, m *ent.PlanMutation) (ent.Value, error) {
		tx, txErr := m.Tx()
		_, versionSet := m.VersionNumber()
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return v, err
		}
		p, ok := v.(*ent.Plan)
		if !ok {
			return v, nil
		}
		if e, ok := packageEvent(m.Op(), versionSet, p.EnvironmentID, p.ID, "PLAN", p.RefID, p.VersionNumber); ok {
			return v, b.emit(ctx, tx, txErr, []Event{e})
		}
		return v, nil
	})
}

func (b *Bus) addonHook(next ent.Mutator) ent.Mutator {
	return hook.AddonFunc(func(ctx context.Context, m *ent.AddonMutation) (ent.Value, error) {
		tx, txErr := m.Tx()
		_, versionSet := m.VersionNumber()
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return v, err
		}
		a, ok := v.(*ent.Addon)
		if !ok {
			return v, nil
		}
		if e, ok := packageEvent(m.Op(), versionSet, a.EnvironmentID, a.ID, "ADDON", a.RefID, a.VersionNumber); ok {
			return v, b.emit(ctx, tx, txErr, []Event{e})
		}
		return v, nil
	})
}

// UsageChanged queues, on tx, a KindUsage event for a usage report of the
// customer (row id) to the feature (refId) and resource: what usageUpdated
// sends once tx commits. The usage metering service calls it from its
// write transaction (its UsageHook).
func (b *Bus) UsageChanged(tx *ent.Tx, env, customer uuid.UUID, featureRefID string, resourceID *string) {
	b.Publish(tx, Event{Kind: KindUsage, EnvironmentID: env, ID: customer, FeatureID: featureRefID, ResourceID: resourceID})
}
