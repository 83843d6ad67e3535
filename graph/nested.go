package graph

import (
	"context"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/predicate"
	"github.com/stigg-selfhost/stiggql/ent/promotionalentitlement"
	"github.com/stigg-selfhost/stiggql/ent/syncstate"
	"github.com/stigg-selfhost/stiggql/graph/model"
)

// activeStatuses are the subscription statuses that count as active.
var activeStatuses = []customersubscription.Status{customersubscription.StatusACTIVE, customersubscription.StatusIN_TRIAL}

// activeSubscriptions loads each customer's active subscriptions, newest first.
func (r *Resolver) activeSubscriptions(ctx context.Context, id uuid.UUID) ([]*ent.CustomerSubscription, error) {
	return load(ctx, id, "activeSubscriptions", func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*ent.CustomerSubscription, error) {
		rows, err := r.Client.CustomerSubscription.Query().
			Where(customersubscription.CustomerIDIn(ids...), customersubscription.StatusIn(activeStatuses...)).
			Order(ent.Desc(customersubscription.FieldCreatedAt), ent.Asc(customersubscription.FieldID)).
			All(ctx)
		return groupBy(rows, func(s *ent.CustomerSubscription) uuid.UUID { return s.CustomerID }), err
	})
}

// promotionalActive is the SQL form of a grant's Active status at now:
// no end date (lifetime) or an end date still ahead.
func promotionalActive(now time.Time) func(*sql.Selector) {
	return sql.OrPredicates(
		sql.FieldIsNull(promotionalentitlement.FieldEndDate),
		sql.FieldGT(promotionalentitlement.FieldEndDate, now),
	)
}

// activePromotionalEntitlements loads each customer's grants that are active
// now, oldest first.
func (r *Resolver) activePromotionalEntitlements(ctx context.Context, id uuid.UUID) ([]*ent.PromotionalEntitlement, error) {
	now := r.Clock.Now()
	return load(ctx, id, "activePromotionalEntitlements", func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*ent.PromotionalEntitlement, error) {
		rows, err := r.Client.PromotionalEntitlement.Query().
			Where(promotionalentitlement.CustomerIDIn(ids...), predicate.PromotionalEntitlement(promotionalActive(now))).
			Order(ent.Asc(promotionalentitlement.FieldCreatedAt), ent.Asc(promotionalentitlement.FieldID)).
			All(ctx)
		return groupBy(rows, func(p *ent.PromotionalEntitlement) uuid.UUID { return p.CustomerID }), err
	})
}

// customerSyncStates loads the sync states of each customer itself (not of
// its subscriptions).
func (r *Resolver) customerSyncStates(ctx context.Context, id uuid.UUID) ([]*model.SyncState, error) {
	return load(ctx, id, "customerSyncStates", func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*model.SyncState, error) {
		rows, err := r.Client.SyncState.Query().
			Where(syncstate.EntityIDIn(ids...), syncstate.EntityTypeEQ(syncstate.EntityTypeCUSTOMER)).
			Order(ent.Asc(syncstate.FieldVendorIdentifier)).
			All(ctx)
		if err != nil {
			return nil, err
		}
		out := make(map[uuid.UUID][]*model.SyncState, len(ids))
		for _, s := range rows {
			out[s.EntityID] = append(out[s.EntityID], syncStateModel(s))
		}
		return out, nil
	})
}

func syncStateModel(s *ent.SyncState) *model.SyncState {
	vendor := model.VendorIdentifier(s.VendorIdentifier)
	return &model.SyncState{
		Status:           model.SyncStatus(s.Status),
		Error:            s.Error,
		SyncedEntityID:   s.SyncedEntityID,
		VendorIdentifier: vendor,
		Integration: &model.Integration{
			// The integration is configured per server, not stored: its id is
			// derived from the environment and vendor so it is stable.
			ID:                    uuid.NewSHA1(s.EnvironmentID, []byte(s.VendorIdentifier)),
			EnvironmentID:         s.EnvironmentID,
			VendorIdentifier:      vendor,
			VendorType:            model.VendorTypeBilling,
			SupportsPaymentMethod: true,
		},
	}
}

func groupBy[T any](rows []T, key func(T) uuid.UUID) map[uuid.UUID][]T {
	out := make(map[uuid.UUID][]T)
	for _, r := range rows {
		k := key(r)
		out[k] = append(out[k], r)
	}
	return out
}

func enumPtr[E ~string](s *string) *E {
	if s == nil {
		return nil
	}
	e := E(*s)
	return &e
}

// customerStatistics counts the customer's active subscriptions by pricing
// type, listing every pricing type (zeros included) in a stable order.
func customerStatistics(subs []*ent.CustomerSubscription) *model.CustomerStatistics {
	counts := map[model.PricingType]float64{}
	for _, s := range subs {
		counts[model.PricingType(s.PricingType)]++
	}
	stats := make([]*model.SubscriptionPricingTypeStatistics, 0, len(model.AllPricingType))
	for _, pt := range model.AllPricingType {
		stats = append(stats, &model.SubscriptionPricingTypeStatistics{PricingType: pt, TotalCount: counts[pt]})
	}
	return &model.CustomerStatistics{ActiveSubscriptionsByPricingType: stats}
}
