package subscription

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/plan"
	"github.com/stigg-selfhost/stiggql/ent/price"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionaddon"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionprice"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/billing"
	"github.com/stigg-selfhost/stiggql/internal/store"
)

// Patch changes a subscription (updateOneSubscription). Nil fields are kept.
type Patch struct {
	Addons           *[]AddonQuantity
	BillableFeatures []FeatureQuantity
	UnitQuantity     *float64
	BillingPeriod    *string
	Metadata         map[string]any
	TrialEndDate     *time.Time
	CouponRefID      *string
	// Schedule is when the change takes effect (Stigg's ScheduleStrategy):
	// nil or IMMEDIATE now, END_OF_BILLING_PERIOD or END_OF_BILLING_MONTH
	// recorded as scheduled updates (schedule.go).
	Schedule *string
	// Entitlements and PriceOverrides replace the subscription's own
	// entitlements and prices when set (an empty list removes them).
	Entitlements   *[]EntitlementOverride
	PriceOverrides *[]PriceOverride
	// CancellationDate schedules the cancellation (cancelSubscription's
	// SPECIFIC_DATE); AnchorNow restarts the billing periods now.
	CancellationDate *time.Time
	AnchorNow        bool
}

// Update changes the add-ons (the list replaces the current one), the
// per-unit quantities, the billing period (the plan's prices for it replace
// the current ones, quantities kept), the metadata, the trial end (during a
// trial) and the coupon of a live subscription.
func (s *Service) Update(ctx context.Context, env uuid.UUID, refID string, p Patch) (*ent.CustomerSubscription, error) {
	var items []AddonQuantity
	if p.Addons != nil {
		items = *p.Addons
	}
	if err := validateQuantities(items, p.BillableFeatures, p.UnitQuantity); err != nil {
		return nil, err
	}
	if p.BillingPeriod != nil && *p.BillingPeriod != "MONTHLY" && *p.BillingPeriod != "ANNUALLY" {
		return nil, apperr.BadInput("billingPeriod", "billingPeriod must be MONTHLY or ANNUALLY")
	}
	var out *ent.CustomerSubscription
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		sub, err := getForUpdate(ctx, tx, env, refID)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if err := refuseEnded(sub, now, "subscription %s is %s and cannot be updated"); err != nil {
			return err
		}
		if p.Schedule != nil && *p.Schedule != StrategyImmediate {
			if p.Entitlements != nil || p.PriceOverrides != nil || p.CancellationDate != nil || p.AnchorNow {
				return apperr.BadInput("scheduleStrategy", "entitlements, price overrides, cancellationDate and billingCycleAnchor take effect immediately: leave scheduleStrategy out")
			}
			out = sub
			return s.scheduleTx(ctx, tx, env, sub, p, now)
		}
		out, err = s.applyPatch(ctx, tx, env, sub, p, items, now)
		return err
	})
	return out, err
}

// applyPatch writes p onto sub (locked by the caller) at now.
func (s *Service) applyPatch(ctx context.Context, tx *ent.Tx, env uuid.UUID, sub *ent.CustomerSubscription, p Patch, items []AddonQuantity, now time.Time) (*ent.CustomerSubscription, error) {
	pl, err := tx.Plan.Query().Where(plan.ID(sub.PlanID)).WithProduct().WithCompatibleAddons().
		WithPrices(func(q *ent.PriceQuery) { q.Where(price.Archived(false)).Order(ent.Asc(price.FieldPosition)) }).Only(ctx)
	if err != nil {
		return nil, err
	}
	u := tx.CustomerSubscription.UpdateOne(sub).SetUpdatedAt(now)
	if p.Addons != nil {
		addons, err := resolveAddons(ctx, tx, env, pl, items)
		if err != nil {
			return nil, err
		}
		if _, err := tx.SubscriptionAddon.Delete().Where(subscriptionaddon.SubscriptionID(sub.ID)).Exec(ctx); err != nil {
			return nil, err
		}
		if err := writeItems(ctx, tx, sub, nil, nil, addons, items, now); err != nil {
			return nil, err
		}
	}
	if p.BillingPeriod != nil || p.BillableFeatures != nil || p.UnitQuantity != nil {
		period := sub.BillingPeriod
		if p.BillingPeriod != nil {
			if period, err = choosePeriod(pl, p.BillingPeriod); err != nil {
				return nil, err
			}
		}
		current, err := tx.SubscriptionPrice.Query().Where(subscriptionprice.SubscriptionID(sub.ID)).WithPrice().All(ctx)
		if err != nil {
			return nil, err
		}
		keep := map[uuid.UUID]float64{}
		for _, sp := range current {
			if sp.UsageLimit != nil && sp.Edges.Price.FeatureID != nil {
				keep[*sp.Edges.Price.FeatureID] = *sp.UsageLimit
			}
		}
		prices := periodPrices(pl.Edges.Prices, period, nil)
		qty, err := quantities(ctx, tx, env, prices, p.BillableFeatures, p.UnitQuantity, keep)
		if err != nil {
			return nil, err
		}
		if _, err := tx.SubscriptionPrice.Delete().Where(subscriptionprice.SubscriptionID(sub.ID)).Exec(ctx); err != nil {
			return nil, err
		}
		if err := writeItems(ctx, tx, sub, prices, qty, nil, nil, now); err != nil {
			return nil, err
		}
		u.SetNillableBillingPeriod(period)
	}
	if p.Metadata != nil {
		u.SetAdditionalMetaData(p.Metadata)
	}
	if p.TrialEndDate != nil {
		if EffectiveStatus(sub, now) != InTrial {
			return nil, apperr.BadInput("trialEndDate", "only a subscription in trial can change its trial end")
		}
		if !p.TrialEndDate.After(now) {
			return nil, apperr.BadInput("trialEndDate", "trialEndDate must be in the future")
		}
		u.SetTrialEndDate(*p.TrialEndDate)
		if sub.TrialEndBehavior != nil && *sub.TrialEndBehavior == customersubscription.TrialEndBehaviorCANCEL_SUBSCRIPTION {
			u.SetEffectiveEndDate(*p.TrialEndDate).SetEndDate(*p.TrialEndDate)
		}
	}
	if p.CouponRefID != nil {
		c, err := loadCoupon(ctx, tx, env, *p.CouponRefID)
		if err != nil {
			return nil, err
		}
		u.SetCouponID(c.ID)
	}
	if p.AnchorNow {
		if EffectiveStatus(sub, now) == InTrial {
			return nil, apperr.BadInput("billingCycleAnchor", "billingCycleAnchor NOW is for a subscription past its trial")
		}
		moved := *sub
		moved.BillingCycleAnchor = &now
		start, end := CurrentPeriod(&moved, now)
		u.SetBillingCycleAnchor(now).SetCurrentBillingPeriodStart(start).SetCurrentBillingPeriodEnd(end)
	}
	if err := s.patchOverrides(ctx, tx, env, sub, p, now); err != nil {
		return nil, err
	}
	out, err := u.Save(ctx)
	if err != nil {
		return nil, err
	}
	if p.CancellationDate != nil {
		if out, err = s.cancelOn(ctx, tx, env, out, now, *p.CancellationDate); err != nil {
			return nil, err
		}
	}
	return out, billing.EnqueueSubscription(ctx, tx, out)
}
