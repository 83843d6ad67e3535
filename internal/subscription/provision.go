package subscription

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/plan"
	"github.com/stigg-selfhost/stiggql/ent/predicate"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/billing"
	"github.com/stigg-selfhost/stiggql/internal/store"
)

// Provision creates a subscription in its own transaction.
func (s *Service) Provision(ctx context.Context, env uuid.UUID, in Input) (*Result, error) {
	if err := validateInput(&in); err != nil {
		return nil, err
	}
	var out *Result
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		r, err := s.ProvisionTx(ctx, tx, env, nil, in)
		out = r
		return err
	})
	return out, err
}

// TrialConsumed is the rule of trial eligibility, as a predicate on a
// customer's subscriptions to one product: a customer is eligible for a
// product's trial unless one of them was a trial, or was paid for.
func TrialConsumed() predicate.CustomerSubscription {
	return customersubscription.Or(customersubscription.WasInTrial(true), customersubscription.PricingTypeEQ(customersubscription.PricingTypePAID))
}

func newRefID(planRef string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "subscription-" + planRef + "-" + hex.EncodeToString(b[:])
}

// ProvisionTx creates a subscription inside tx; c is the customer when the
// caller has it (provisionCustomer), nil to look it up by in.CustomerID.
//
// The subscription is NOT_STARTED when it starts in the future, IN_TRIAL
// when the plan has a trial the customer is eligible for (one trial per
// product, none after having paid for it) and skipTrial is not set, ACTIVE
// otherwise. The customer's live subscription to the same product (and
// resource) is replaced: cancelled with reason UpgradeOrDowngrade when the
// new one starts, unless the product allows multiple subscriptions.
func (s *Service) ProvisionTx(ctx context.Context, tx *ent.Tx, env uuid.UUID, c *ent.Customer, in Input) (*Result, error) {
	if err := validateInput(&in); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	var err error
	if c == nil {
		if c, err = liveCustomer(ctx, tx, env, in.CustomerID, "customerId", true); err != nil {
			return nil, err
		}
	}
	var payer *uuid.UUID
	if in.PayingCustomerID != nil {
		pc, err := liveCustomer(ctx, tx, env, *in.PayingCustomerID, "payingCustomerId", false)
		if err != nil {
			return nil, err
		}
		payer = &pc.ID
	}
	p, err := loadPlan(ctx, tx, env, in.PlanID)
	if err != nil {
		return nil, err
	}
	addons, err := resolveAddons(ctx, tx, env, p, in.Addons)
	if err != nil {
		return nil, err
	}
	period, err := choosePeriod(p, in.BillingPeriod)
	if err != nil {
		return nil, err
	}
	prices := periodPrices(p.Edges.Prices, period, in.BillingCountryCode)
	qty, err := quantities(ctx, tx, env, prices, in.BillableFeatures, in.UnitQuantity, nil)
	if err != nil {
		return nil, err
	}
	features, err := checkEntitlementOverrides(ctx, tx, env, in.Entitlements)
	if err != nil {
		return nil, err
	}
	priceOverrides, err := resolvePriceOverrides(ctx, tx, env, in.PriceOverrides, prices, addons, period)
	if err != nil {
		return nil, err
	}
	couponID := c.CouponID
	if in.CouponRefID != nil {
		cp, err := loadCoupon(ctx, tx, env, *in.CouponRefID)
		if err != nil {
			return nil, err
		}
		couponID = &cp.ID
	}

	start := now
	if in.StartDate != nil {
		start = *in.StartDate
	}
	trialEnd, behavior, err := decideTrial(ctx, tx, c, p, in, start)
	if err != nil {
		return nil, err
	}

	// Replace the product's live subscription for the same resource.
	var replaced []*ent.CustomerSubscription
	if !p.Edges.Product.MultipleSubscriptions {
		q := tx.CustomerSubscription.Query().Where(customersubscription.CustomerID(c.ID),
			customersubscription.HasPlanWith(plan.ProductID(p.ProductID)),
			predicate.CustomerSubscription(func(sel *sql.Selector) {
				sel.Where(sql.Or(StatusPredicate(Active, now)(sel), StatusPredicate(InTrial, now)(sel), StatusPredicate(NotStarted, now)(sel)))
			}),
			customersubscription.Or(customersubscription.EffectiveEndDateIsNil(), customersubscription.EffectiveEndDateGT(start)))
		if in.ResourceID != nil {
			q.Where(customersubscription.ResourceID(*in.ResourceID))
		} else {
			q.Where(customersubscription.ResourceIDIsNil())
		}
		olds, err := q.All(ctx)
		if err != nil {
			return nil, err
		}
		at := start
		if at.Before(now) {
			at = now
		}
		for _, old := range olds {
			o, err := cancelAt(ctx, tx, old, now, at, ReasonUpgradeOrDowngrade)
			if err != nil {
				return nil, err
			}
			replaced = append(replaced, o)
		}
	}

	ref := newRefID(p.RefID)
	if in.RefID != nil {
		ref = *in.RefID
		taken, err := tx.CustomerSubscription.Query().Where(customersubscription.EnvironmentID(env), customersubscription.RefID(ref)).Exist(ctx)
		if err != nil {
			return nil, err
		}
		if taken {
			return nil, apperr.New(apperr.DuplicatedEntityNotAllowed, "a subscription with id %q already exists", ref)
		}
	}
	end := in.EndDate
	if behavior != nil && *behavior == customersubscription.TrialEndBehaviorCANCEL_SUBSCRIPTION && (end == nil || trialEnd.Before(*end)) {
		end = trialEnd
	}
	row := &ent.CustomerSubscription{StartDate: start, TrialEndDate: trialEnd, EffectiveEndDate: end, BillingPeriod: period, Status: Active}
	status := EffectiveStatus(row, now)
	periodStart, periodEnd := firstPeriod(row)
	var anchor *time.Time
	if in.AnchorNow && start.Before(now) && (trialEnd == nil || !trialEnd.After(now)) {
		// billingCycleAnchor NOW on a backdated subscription: its periods
		// start now instead of at its start (or trial end).
		anchor, row.BillingCycleAnchor = &now, &now
		periodStart, periodEnd = CurrentPeriod(row, now)
	}
	sub, err := tx.CustomerSubscription.Create().SetEnvironmentID(env).SetRefID(ref).SetCustomerID(c.ID).
		SetNillablePayingCustomerID(payer).SetPlanID(p.ID).SetNillableCouponID(couponID).SetNillableResourceID(in.ResourceID).
		SetStatus(status).SetPricingType(customersubscription.PricingType(p.PricingType)).SetNillableBillingPeriod(period).
		SetStartDate(start).SetNillableEndDate(end).SetNillableEffectiveEndDate(end).SetNillableTrialEndDate(trialEnd).
		SetWasInTrial(trialEnd != nil).SetNillableTrialEndBehavior(behavior).
		SetCurrentBillingPeriodStart(periodStart).SetCurrentBillingPeriodEnd(periodEnd).SetNillableBillingCycleAnchor(anchor).
		SetNillableBillingID(in.BillingID).SetNillableSalesforceID(in.SalesforceID).SetNillableCrmID(in.CrmID).
		SetAdditionalMetaData(in.Metadata).SetCreatedAt(now).SetUpdatedAt(now).Save(ctx)
	if ent.IsConstraintError(err) {
		return nil, apperr.New(apperr.DuplicatedEntityNotAllowed, "a subscription with id %q already exists", ref)
	}
	if err != nil {
		return nil, err
	}
	if err := writeItems(ctx, tx, sub, prices, qty, addons, in.Addons, now); err != nil {
		return nil, err
	}
	if err := writeEntitlementOverrides(ctx, tx, sub, in.Entitlements, features, now); err != nil {
		return nil, err
	}
	if err := writePriceOverrides(ctx, tx, sub, priceOverrides, now); err != nil {
		return nil, err
	}
	if in.CancellationDate != nil {
		if sub, err = s.cancelOn(ctx, tx, env, sub, now, *in.CancellationDate); err != nil {
			return nil, err
		}
	}
	// The billing sync (when configured) learns of it in the same transaction.
	if err := billing.EnqueueSubscription(ctx, tx, sub); err != nil {
		return nil, err
	}
	ents, err := entitlements(ctx, tx, p, addons, in.Addons, prices, qty, in.Entitlements, features)
	if err != nil {
		return nil, err
	}
	return &Result{Subscription: sub, Replaced: replaced, Entitlements: ents}, nil
}

// decideTrial is the trial a new subscription to p starting at start gets:
// the override asked for, none when skipped or the plan has none, else the
// plan's default trial when the customer has not consumed the product's
// trial (TrialConsumed).
func decideTrial(ctx context.Context, tx *ent.Tx, c *ent.Customer, p *ent.Plan, in Input, start time.Time) (*time.Time, *customersubscription.TrialEndBehavior, error) {
	var trialEnd *time.Time
	var behavior *customersubscription.TrialEndBehavior
	setTrial := func(end time.Time, b *string) {
		trialEnd = &end
		tb := customersubscription.TrialEndBehaviorCONVERT_TO_PAID
		if b != nil {
			tb = customersubscription.TrialEndBehavior(*b)
		} else if p.TrialEndBehavior != nil {
			tb = customersubscription.TrialEndBehavior(*p.TrialEndBehavior)
		}
		behavior = &tb
	}
	defaultEnd := func() *time.Time {
		if p.TrialDuration == nil {
			return nil
		}
		if p.TrialUnits != nil && *p.TrialUnits == plan.TrialUnitsMONTH {
			e := start.AddDate(0, *p.TrialDuration, 0)
			return &e
		}
		e := start.AddDate(0, 0, *p.TrialDuration)
		return &e
	}
	switch {
	case in.Trial != nil && in.Trial.IsTrial:
		end := in.Trial.EndDate
		if end == nil {
			end = defaultEnd()
		}
		if end == nil || !end.After(start) {
			return nil, nil, apperr.BadInput("trialOverrideConfiguration.trialEndDate", "a trial needs an end date after the start (the plan has no default trial)")
		}
		setTrial(*end, in.Trial.EndBehavior)
	case in.Trial != nil, in.SkipTrial, p.TrialDuration == nil:
	default:
		consumed, err := tx.CustomerSubscription.Query().Where(customersubscription.CustomerID(c.ID),
			customersubscription.HasPlanWith(plan.ProductID(p.ProductID)), TrialConsumed()).Exist(ctx)
		if err != nil {
			return nil, nil, err
		}
		if !consumed {
			setTrial(*defaultEnd(), nil)
		}
	}
	return trialEnd, behavior, nil
}

// writeItems writes a subscription's price and add-on rows.
func writeItems(ctx context.Context, tx *ent.Tx, sub *ent.CustomerSubscription, prices []*ent.Price, qty map[uuid.UUID]float64, addons []*ent.Addon, items []AddonQuantity, now time.Time) error {
	creates := make([]*ent.SubscriptionPriceCreate, 0, len(prices))
	for _, pr := range prices {
		c := tx.SubscriptionPrice.Create().SetEnvironmentID(sub.EnvironmentID).SetSubscriptionID(sub.ID).SetPriceID(pr.ID).
			SetCreatedAt(now).SetUpdatedAt(now)
		if q, ok := qty[pr.ID]; ok {
			c.SetUsageLimit(q)
		}
		creates = append(creates, c)
	}
	if len(creates) > 0 {
		if err := tx.SubscriptionPrice.CreateBulk(creates...).Exec(ctx); err != nil {
			return err
		}
	}
	ac := make([]*ent.SubscriptionAddonCreate, len(addons))
	for i, a := range addons {
		ac[i] = tx.SubscriptionAddon.Create().SetEnvironmentID(sub.EnvironmentID).SetSubscriptionID(sub.ID).SetAddonID(a.ID).
			SetQuantity(items[i].Quantity).SetCreatedAt(now).SetUpdatedAt(now)
	}
	if len(ac) > 0 {
		return tx.SubscriptionAddon.CreateBulk(ac...).Exec(ctx)
	}
	return nil
}
