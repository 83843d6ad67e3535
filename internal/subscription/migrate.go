package subscription

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/plan"
	"github.com/stigg-selfhost/stiggql/ent/price"
	"github.com/stigg-selfhost/stiggql/ent/schema"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionprice"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionschedule"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/billing"
	"github.com/stigg-selfhost/stiggql/internal/store"
)

// Migration times (Stigg's SubscriptionMigrationTime).
const (
	MigrateImmediate   = "IMMEDIATE"
	MigrateEndOfPeriod = "END_OF_BILLING_PERIOD"
)

// MigrateToLatest moves a subscription to the latest version of its plan
// (migrateSubscriptionToLatest): now (IMMEDIATE, the default), or at the
// end of its current billing period (END_OF_BILLING_PERIOD), recorded as a
// MigrateToLatest scheduled update that the scheduler runs then (ApplyDue).
// A subscription already on the latest version, or with a migration
// already scheduled, is refused with Stigg's codes for those cases.
func (s *Service) MigrateToLatest(ctx context.Context, env uuid.UUID, refID, when string) (*ent.CustomerSubscription, error) {
	if when == "" {
		when = MigrateImmediate
	}
	if when != MigrateImmediate && when != MigrateEndOfPeriod {
		return nil, apperr.BadInput("subscriptionMigrationTime", "unknown subscription migration time %q", when)
	}
	var out *ent.CustomerSubscription
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		sub, err := getForUpdate(ctx, tx, env, refID)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if err := refuseEnded(sub, now, "subscription %s is %s and cannot be migrated"); err != nil {
			return err
		}
		latest, err := latestVersion(ctx, tx, sub)
		if err != nil {
			return err
		}
		if latest.ID == sub.PlanID {
			return apperr.New(apperr.SubscriptionAlreadyOnLatestPlan, "subscription %s is already on the latest version of plan %s (version %d)",
				refID, latest.RefID, latest.VersionNumber)
		}
		if when == MigrateImmediate {
			out, err = s.migrateTx(ctx, tx, sub, latest, now)
			return err
		}
		pending, err := tx.SubscriptionSchedule.Query().Where(subscriptionschedule.SubscriptionID(sub.ID),
			subscriptionschedule.StatusEQ(ScheduleScheduled), subscriptionschedule.ScheduleTypeEQ(subscriptionschedule.ScheduleTypeMigrateToLatest)).Exist(ctx)
		if err != nil {
			return err
		}
		if pending {
			return apperr.New(apperr.ScheduledMigrationAlreadyExists, "subscription %s already has a migration to the latest version scheduled", refID)
		}
		at, err := executionTime(sub, StrategyEndOfPeriod, now)
		if err != nil {
			return err
		}
		if sub.EffectiveEndDate != nil && sub.EffectiveEndDate.Before(at) {
			return apperr.BadInput("subscriptionMigrationTime", "subscription %s ends on %s, before the end of its billing period",
				refID, sub.EffectiveEndDate.Format(time.RFC3339))
		}
		out = sub
		return s.recordSchedules(ctx, tx, sub, []subscriptionschedule.ScheduleType{subscriptionschedule.ScheduleTypeMigrateToLatest},
			[]schema.ScheduledChange{{PlanRefID: latest.RefID}}, at, now)
	})
	return out, err
}

// latestVersion is the latest version of sub's plan, with what migrating
// to it needs (prices, compatible add-ons, product).
func latestVersion(ctx context.Context, tx *ent.Tx, sub *ent.CustomerSubscription) (*ent.Plan, error) {
	current, err := tx.Plan.Get(ctx, sub.PlanID)
	if err != nil {
		return nil, err
	}
	latest, err := tx.Plan.Query().Where(plan.EnvironmentID(sub.EnvironmentID), plan.RefID(current.RefID), plan.IsLatest(true)).
		WithProduct().WithCompatibleAddons().
		WithPrices(func(q *ent.PriceQuery) { q.Where(price.Archived(false)).Order(ent.Asc(price.FieldPosition)) }).
		Only(ctx)
	if ent.IsNotFound(err) {
		return nil, &apperr.Error{Code: apperr.PlanNotFound, Field: "subscriptionId", Message: "plan " + current.RefID + " has no latest version"}
	}
	if err != nil {
		return nil, err
	}
	if latest.Status != plan.StatusPUBLISHED {
		return nil, &apperr.Error{Code: apperr.PlanNotFound, Field: "subscriptionId", Message: "plan " + current.RefID + " is archived"}
	}
	return latest, nil
}

// migrateTx moves sub (locked by the caller) onto the plan version latest
// at now: its prices become the new version's for the same billing period
// (and billing country), keeping the per-unit quantities it has, and its
// add-ons must be compatible with the new version. Entitlements follow
// from the plan row (internal/entitlements), so they change with it.
func (s *Service) migrateTx(ctx context.Context, tx *ent.Tx, sub *ent.CustomerSubscription, latest *ent.Plan, now time.Time) (*ent.CustomerSubscription, error) {
	items, err := addonQuantities(ctx, tx, sub.ID)
	if err != nil {
		return nil, err
	}
	list := make([]AddonQuantity, 0, len(items))
	for ref, q := range items {
		list = append(list, AddonQuantity{RefID: ref, Quantity: q})
	}
	if _, err := resolveAddons(ctx, tx, sub.EnvironmentID, latest, list); err != nil {
		return nil, err
	}
	current, err := tx.SubscriptionPrice.Query().Where(subscriptionprice.SubscriptionID(sub.ID)).WithPrice().All(ctx)
	if err != nil {
		return nil, err
	}
	keep := map[uuid.UUID]float64{}
	var country *string
	for _, sp := range current {
		pr := sp.Edges.Price
		if sp.UsageLimit != nil && pr.FeatureID != nil {
			keep[*pr.FeatureID] = *sp.UsageLimit
		}
		if pr.BillingCountryCode != nil {
			country = pr.BillingCountryCode
		}
	}
	period, err := choosePeriod(latest, sub.BillingPeriod)
	if err != nil {
		return nil, err
	}
	prices := periodPrices(latest.Edges.Prices, period, country)
	qty, err := quantities(ctx, tx, sub.EnvironmentID, prices, nil, nil, keep)
	if err != nil {
		return nil, err
	}
	if _, err := tx.SubscriptionPrice.Delete().Where(subscriptionprice.SubscriptionID(sub.ID)).Exec(ctx); err != nil {
		return nil, err
	}
	if err := writeItems(ctx, tx, sub, prices, qty, nil, nil, now); err != nil {
		return nil, err
	}
	// A migration scheduled for later has nothing left to do.
	if err := tx.SubscriptionSchedule.Update().Where(subscriptionschedule.SubscriptionID(sub.ID),
		subscriptionschedule.StatusEQ(ScheduleScheduled), subscriptionschedule.ScheduleTypeEQ(subscriptionschedule.ScheduleTypeMigrateToLatest)).
		SetStatus(ScheduleCanceled).SetUpdatedAt(now).Exec(ctx); err != nil {
		return nil, err
	}
	out, err := tx.CustomerSubscription.UpdateOne(sub).SetPlanID(latest.ID).
		SetPricingType(customersubscription.PricingType(latest.PricingType)).SetNillableBillingPeriod(period).SetUpdatedAt(now).Save(ctx)
	if err != nil {
		return nil, err
	}
	return out, billing.EnqueueSubscription(ctx, tx, out)
}

// runScheduledMigration is a due MigrateToLatest scheduled update: sub
// (locked by the caller) moves to the version latest now, which may be
// newer than when it was scheduled; nothing to do when it is on it already.
func (s *Service) runScheduledMigration(ctx context.Context, tx *ent.Tx, sub *ent.CustomerSubscription, now time.Time) error {
	latest, err := latestVersion(ctx, tx, sub)
	if err != nil || latest.ID == sub.PlanID {
		return err
	}
	_, err = s.migrateTx(ctx, tx, sub, latest, now)
	return err
}
