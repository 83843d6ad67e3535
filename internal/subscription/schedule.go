package subscription

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/addon"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/plan"
	"github.com/stigg-selfhost/stiggql/ent/price"
	"github.com/stigg-selfhost/stiggql/ent/schema"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionaddon"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionschedule"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/store"
)

// Schedule strategies (Stigg's ScheduleStrategy).
const (
	StrategyImmediate   = "IMMEDIATE"
	StrategyEndOfPeriod = "END_OF_BILLING_PERIOD"
	StrategyEndOfMonth  = "END_OF_BILLING_MONTH"
)

// Schedule statuses (Stigg's SubscriptionScheduleStatus).
const (
	ScheduleScheduled = subscriptionschedule.StatusScheduled
	ScheduleDone      = subscriptionschedule.StatusDone
	ScheduleCanceled  = subscriptionschedule.StatusCanceled
	ScheduleFailed    = subscriptionschedule.StatusFailed
)

// executionTime is when a change with the strategy takes effect: the end
// of the current billing period (the trial's end during a trial), or the
// end of the current billing month (a monthly step from the same anchor,
// so an annual subscription changes at its next monthly anniversary).
func executionTime(sub *ent.CustomerSubscription, strategy string, now time.Time) (time.Time, error) {
	switch strategy {
	case StrategyEndOfPeriod:
		_, end := CurrentPeriod(sub, now)
		return end, nil
	case StrategyEndOfMonth:
		monthly := *sub
		m := "MONTHLY"
		monthly.BillingPeriod = &m
		_, end := CurrentPeriod(&monthly, now)
		return end, nil
	}
	return time.Time{}, apperr.BadInput("scheduleStrategy", "unknown schedule strategy %q", strategy)
}

// scheduleTx records p as scheduled updates of sub (locked by the caller)
// instead of applying it: one per changed add-on, per unit quantity, for
// the billing period, the coupon and the metadata, each replacing a
// scheduled update of the same kind (and add-on or feature) not yet run.
// The change is validated now against the plan, so a bad one fails the
// request rather than the schedule.
func (s *Service) scheduleTx(ctx context.Context, tx *ent.Tx, env uuid.UUID, sub *ent.CustomerSubscription, p Patch, now time.Time) error {
	if p.TrialEndDate != nil {
		return apperr.BadInput("trialEndDate", "a trial end date change cannot be scheduled; send it with scheduleStrategy IMMEDIATE")
	}
	at, err := executionTime(sub, *p.Schedule, now)
	if err != nil {
		return err
	}
	if sub.EffectiveEndDate != nil && sub.EffectiveEndDate.Before(at) {
		return apperr.BadInput("scheduleStrategy", "subscription %s ends on %s, before the change would take effect", sub.RefID, sub.EffectiveEndDate.Format(time.RFC3339))
	}
	pl, err := tx.Plan.Query().Where(plan.ID(sub.PlanID)).WithProduct().WithCompatibleAddons().
		WithPrices(func(q *ent.PriceQuery) { q.Where(price.Archived(false)).Order(ent.Asc(price.FieldPosition)) }).Only(ctx)
	if err != nil {
		return err
	}
	var changes []schema.ScheduledChange
	var types []subscriptionschedule.ScheduleType
	add := func(t subscriptionschedule.ScheduleType, c schema.ScheduledChange) {
		types, changes = append(types, t), append(changes, c)
	}
	if p.Addons != nil {
		if _, err := resolveAddons(ctx, tx, env, pl, *p.Addons); err != nil {
			return err
		}
		current, err := addonQuantities(ctx, tx, sub.ID)
		if err != nil {
			return err
		}
		asked := map[string]float64{}
		for _, a := range *p.Addons {
			asked[a.RefID] = a.Quantity
		}
		refs := slices.Sorted(maps.Keys(current))
		for _, r := range slices.Sorted(maps.Keys(asked)) {
			if _, ok := current[r]; !ok {
				refs = append(refs, r)
			}
		}
		for _, r := range refs {
			if q := asked[r]; q != current[r] {
				add(subscriptionschedule.ScheduleTypeAddon, schema.ScheduledChange{AddonRefID: r, AddonQuantity: &q})
			}
		}
	}
	period := sub.BillingPeriod
	if p.BillingPeriod != nil {
		if period, err = choosePeriod(pl, p.BillingPeriod); err != nil {
			return err
		}
		if !samePeriod(period, sub.BillingPeriod) {
			add(subscriptionschedule.ScheduleTypeBillingPeriod, schema.ScheduledChange{BillingPeriod: *period})
		}
	}
	if p.BillableFeatures != nil || p.UnitQuantity != nil {
		prices := periodPrices(pl.Edges.Prices, period, nil)
		qty, err := quantities(ctx, tx, env, prices, p.BillableFeatures, p.UnitQuantity, nil)
		if err != nil {
			return err
		}
		given := map[string]float64{}
		for _, f := range p.BillableFeatures {
			given[f.FeatureRefID] = f.Quantity
		}
		if p.UnitQuantity != nil {
			// quantities() checked there is exactly one per-unit price.
			for _, pr := range prices {
				if _, ok := qty[pr.ID]; ok {
					f, err := tx.Feature.Get(ctx, *pr.FeatureID)
					if err != nil {
						return err
					}
					given[f.RefID] = *p.UnitQuantity
				}
			}
		}
		for _, r := range slices.Sorted(maps.Keys(given)) {
			q := given[r]
			add(subscriptionschedule.ScheduleTypeUnitAmount, schema.ScheduledChange{FeatureRefID: r, UnitQuantity: &q})
		}
	}
	if p.CouponRefID != nil {
		if _, err := loadCoupon(ctx, tx, env, *p.CouponRefID); err != nil {
			return err
		}
		add(subscriptionschedule.ScheduleTypeCoupon, schema.ScheduledChange{CouponRefID: *p.CouponRefID})
	}
	if p.Metadata != nil {
		add(subscriptionschedule.ScheduleTypeAdditionalMetaData, schema.ScheduledChange{Metadata: p.Metadata})
	}
	return s.recordSchedules(ctx, tx, sub, types, changes, at, now)
}

// recordSchedules writes scheduled changes of sub at at, cancelling the
// pending ones they replace (same type, and same add-on or feature).
func (s *Service) recordSchedules(ctx context.Context, tx *ent.Tx, sub *ent.CustomerSubscription, types []subscriptionschedule.ScheduleType, changes []schema.ScheduledChange, at, now time.Time) error {
	if len(changes) == 0 {
		return nil
	}
	pending, err := tx.SubscriptionSchedule.Query().Where(subscriptionschedule.SubscriptionID(sub.ID),
		subscriptionschedule.StatusEQ(ScheduleScheduled)).All(ctx)
	if err != nil {
		return err
	}
	var replaced []uuid.UUID
	creates := make([]*ent.SubscriptionScheduleCreate, len(changes))
	for i, c := range changes {
		for _, old := range pending {
			if old.ScheduleType == types[i] && old.Change.AddonRefID == c.AddonRefID && old.Change.FeatureRefID == c.FeatureRefID {
				replaced = append(replaced, old.ID)
			}
		}
		creates[i] = tx.SubscriptionSchedule.Create().SetEnvironmentID(sub.EnvironmentID).SetSubscriptionID(sub.ID).
			SetScheduleType(types[i]).SetExecuteAt(at).SetChange(c).SetCreatedAt(now).SetUpdatedAt(now)
	}
	if len(replaced) > 0 {
		if err := tx.SubscriptionSchedule.Update().Where(subscriptionschedule.IDIn(replaced...)).
			SetStatus(ScheduleCanceled).SetUpdatedAt(now).Exec(ctx); err != nil {
			return err
		}
	}
	return tx.SubscriptionSchedule.CreateBulk(creates...).Exec(ctx)
}

// addonQuantities are a subscription's add-ons, quantity by refId.
func addonQuantities(ctx context.Context, tx *ent.Tx, subID uuid.UUID) (map[string]float64, error) {
	rows, err := tx.SubscriptionAddon.Query().Where(subscriptionaddon.SubscriptionID(subID)).
		WithAddon(func(q *ent.AddonQuery) { q.Select(addon.FieldID, addon.FieldRefID) }).All(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, r := range rows {
		out[r.Edges.Addon.RefID] = r.Quantity
	}
	return out, nil
}

// patchOf folds scheduled changes (in order) into one Patch over sub's
// current add-ons.
func patchOf(ctx context.Context, tx *ent.Tx, sub *ent.CustomerSubscription, rows []*ent.SubscriptionSchedule) (Patch, error) {
	var p Patch
	var addons map[string]float64
	for _, r := range rows {
		c := r.Change
		switch r.ScheduleType {
		case subscriptionschedule.ScheduleTypeAddon:
			if addons == nil {
				var err error
				if addons, err = addonQuantities(ctx, tx, sub.ID); err != nil {
					return p, err
				}
			}
			if c.AddonQuantity == nil || *c.AddonQuantity == 0 {
				delete(addons, c.AddonRefID)
			} else {
				addons[c.AddonRefID] = *c.AddonQuantity
			}
		case subscriptionschedule.ScheduleTypeUnitAmount:
			if c.UnitQuantity != nil {
				p.BillableFeatures = append(p.BillableFeatures, FeatureQuantity{FeatureRefID: c.FeatureRefID, Quantity: *c.UnitQuantity})
			}
		case subscriptionschedule.ScheduleTypeBillingPeriod:
			bp := c.BillingPeriod
			p.BillingPeriod = &bp
		case subscriptionschedule.ScheduleTypeCoupon:
			ref := c.CouponRefID
			p.CouponRefID = &ref
		case subscriptionschedule.ScheduleTypeAdditionalMetaData:
			p.Metadata = c.Metadata
		}
	}
	if addons != nil {
		items := make([]AddonQuantity, 0, len(addons))
		for _, r := range slices.Sorted(maps.Keys(addons)) {
			items = append(items, AddonQuantity{RefID: r, Quantity: addons[r]})
		}
		p.Addons = &items
	}
	return p, nil
}

// pendingSchedules are sub's scheduled changes not yet run, due at or
// before until (all of them when until is zero), in the order they run.
func pendingSchedules(ctx context.Context, tx *ent.Tx, subID uuid.UUID, until time.Time) ([]*ent.SubscriptionSchedule, error) {
	q := tx.SubscriptionSchedule.Query().Where(subscriptionschedule.SubscriptionID(subID), subscriptionschedule.StatusEQ(ScheduleScheduled))
	if !until.IsZero() {
		q.Where(subscriptionschedule.ExecuteAtLTE(until))
	}
	return q.Order(ent.Asc(subscriptionschedule.FieldExecuteAt), ent.Asc(subscriptionschedule.FieldCreatedAt), ent.Asc(subscriptionschedule.FieldID)).All(ctx)
}

func (s *Service) hasScheduled(ctx context.Context, tx *ent.Tx, sub *ent.CustomerSubscription) (bool, error) {
	return tx.SubscriptionSchedule.Query().Where(subscriptionschedule.SubscriptionID(sub.ID), subscriptionschedule.StatusEQ(ScheduleScheduled)).Exist(ctx)
}

// chargesAt are the charges sub will be billed at at: its current ones
// with the scheduled changes due by then applied.
func (s *Service) chargesAt(ctx context.Context, tx *ent.Tx, env uuid.UUID, sub *ent.CustomerSubscription, at time.Time) ([]Charge, error) {
	rows, err := pendingSchedules(ctx, tx, sub.ID, at)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return chargesOf(ctx, tx, sub)
	}
	p, err := patchOf(ctx, tx, sub, rows)
	if err != nil {
		return nil, err
	}
	future := *sub
	if p.BillingPeriod != nil {
		future.BillingPeriod = p.BillingPeriod
	}
	return s.updatedCharges(ctx, tx, env, &future, p)
}

// ScheduledUpdates are the pending scheduled updates of the subscriptions,
// by subscription id, each list in the order they run (for the
// scheduledUpdates and futureUpdates fields).
func ScheduledUpdates(ctx context.Context, client *ent.Client, subIDs []uuid.UUID) (map[uuid.UUID][]*ent.SubscriptionSchedule, error) {
	rows, err := client.SubscriptionSchedule.Query().Where(subscriptionschedule.SubscriptionIDIn(subIDs...),
		subscriptionschedule.StatusEQ(ScheduleScheduled)).
		Order(ent.Asc(subscriptionschedule.FieldExecuteAt), ent.Asc(subscriptionschedule.FieldCreatedAt), ent.Asc(subscriptionschedule.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	out := map[uuid.UUID][]*ent.SubscriptionSchedule{}
	for _, r := range rows {
		out[r.SubscriptionID] = append(out[r.SubscriptionID], r)
	}
	return out, nil
}

// CancelSchedules cancels a subscription's scheduled updates in the status
// given (Scheduled when nil): cancelSchedule / CancelSubscriptionUpdates.
// It returns how many it cancelled.
func (s *Service) CancelSchedules(ctx context.Context, env uuid.UUID, refID string, status *subscriptionschedule.Status) (int, error) {
	st := ScheduleScheduled
	if status != nil {
		st = *status
	}
	if st != ScheduleScheduled && st != subscriptionschedule.StatusPendingPayment {
		return 0, apperr.BadInput("status", "only Scheduled or PendingPayment updates can be cancelled")
	}
	n := 0
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		sub, err := getForUpdate(ctx, tx, env, refID)
		if err != nil {
			return err
		}
		n, err = tx.SubscriptionSchedule.Update().Where(subscriptionschedule.SubscriptionID(sub.ID), subscriptionschedule.StatusEQ(st)).
			SetStatus(ScheduleCanceled).SetUpdatedAt(s.clock.Now()).Save(ctx)
		return err
	})
	return n, err
}

// ApplyDue runs every scheduled update due at now, oldest first, each in
// its own transaction, and returns how many it ran. Safe to run on several
// replicas at once: a run locks the subscription's customer and then the
// subscription (as every subscription write does) and re-reads the
// schedule under that lock, so a schedule another replica ran meanwhile is
// seen Done and skipped. A change that no longer applies (an add-on made
// incompatible, a subscription that ended) is marked Failed with the reason
// (Canceled when the subscription ended), and the next ones still run.
func (s *Service) ApplyDue(ctx context.Context, now time.Time) (int, error) {
	ran := 0
	for {
		due, err := s.client.SubscriptionSchedule.Query().Where(subscriptionschedule.StatusEQ(ScheduleScheduled), subscriptionschedule.ExecuteAtLTE(now)).
			Order(ent.Asc(subscriptionschedule.FieldExecuteAt), ent.Asc(subscriptionschedule.FieldCreatedAt), ent.Asc(subscriptionschedule.FieldID)).
			Limit(100).All(ctx)
		if err != nil || len(due) == 0 {
			return ran, err
		}
		progress := false
		for _, row := range due {
			ok, err := s.applyOne(ctx, row.ID)
			if err != nil {
				return ran, err
			}
			if ok {
				ran++
			}
			progress = true
		}
		if !progress {
			return ran, nil
		}
	}
}

// applyOne runs one scheduled update; false when it was no longer
// Scheduled (another replica ran or cancelled it).
func (s *Service) applyOne(ctx context.Context, id uuid.UUID) (bool, error) {
	var failure error
	applied := false
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		row, err := tx.SubscriptionSchedule.Get(ctx, id)
		if err != nil {
			return err
		}
		if _, err := store.ForUpdate(tx.Customer.Query().Where(customer.HasSubscriptionsWith(customersubscription.ID(row.SubscriptionID)))).IDs(ctx); err != nil {
			return err
		}
		sub, err := store.ForUpdate(tx.CustomerSubscription.Query().Where(customersubscription.ID(row.SubscriptionID))).Only(ctx)
		if err != nil {
			return err
		}
		if row, err = tx.SubscriptionSchedule.Get(ctx, id); err != nil || row.Status != ScheduleScheduled {
			return err
		}
		now := s.clock.Now()
		if !IsActive(sub, now) && EffectiveStatus(sub, now) != NotStarted {
			applied = true
			return tx.SubscriptionSchedule.UpdateOne(row).SetStatus(ScheduleCanceled).
				SetError("subscription " + sub.RefID + " ended before the update ran").SetUpdatedAt(now).Exec(ctx)
		}
		if row.ScheduleType == subscriptionschedule.ScheduleTypeMigrateToLatest {
			err = s.runScheduledMigration(ctx, tx, sub, now)
		} else {
			var p Patch
			p, err = patchOf(ctx, tx, sub, []*ent.SubscriptionSchedule{row})
			if err == nil {
				var items []AddonQuantity
				if p.Addons != nil {
					items = *p.Addons
				}
				_, err = s.applyPatch(ctx, tx, sub.EnvironmentID, sub, p, items, now)
			}
		}
		var ae *apperr.Error
		if errors.As(err, &ae) {
			failure = ae
			return ae // roll the change back, record the failure below
		}
		if err != nil {
			return err
		}
		applied = true
		return tx.SubscriptionSchedule.UpdateOne(row).SetStatus(ScheduleDone).SetUpdatedAt(now).Exec(ctx)
	})
	if failure != nil {
		msg := failure.Error()
		err = s.client.SubscriptionSchedule.Update().Where(subscriptionschedule.ID(id), subscriptionschedule.StatusEQ(ScheduleScheduled)).
			SetStatus(ScheduleFailed).SetError(msg).SetUpdatedAt(s.clock.Now()).Exec(ctx)
		return true, err
	}
	return applied, err
}

// RunScheduler applies due scheduled updates every interval until ctx
// ends (the worker a server runs; see ApplyDue for why several replicas
// may run it at once).
func (s *Service) RunScheduler(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := s.ApplyDue(ctx, s.clock.Now()); err != nil && ctx.Err() == nil {
			log.Error("scheduled subscription updates", "err", err)
		} else if n > 0 {
			log.Info("scheduled subscription updates applied", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
