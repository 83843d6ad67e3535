package subscription

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/addon"
	"github.com/stigg-selfhost/stiggql/ent/coupon"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/plan"
	"github.com/stigg-selfhost/stiggql/ent/price"
	"github.com/stigg-selfhost/stiggql/ent/schema"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionaddon"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionprice"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/store"
)

// Estimate is what a new subscription, or a change to one, costs: the
// invoice due now (the first period, a proration, or nothing during a
// trial) and the invoice of every following period.
type Estimate struct {
	// Start and End are the billing period the immediate invoice covers
	// (the trial during a trial).
	Start, End time.Time
	Immediate  Invoice
	// Recurring is one whole period at the new charges, billed from the
	// next renewal (the trial end during a trial).
	Recurring Invoice
	// Proration is set when the change replaces charges mid-period.
	Proration           *ProrationResult
	IsPlanDowngrade     bool
	HasScheduledUpdates bool
	TrialEnd            *time.Time
}

// InlineDiscount is a coupon given with the request instead of by id
// (appliedCoupon.discount).
type InlineDiscount struct {
	Name             string
	PercentOff       *float64
	AmountsOff       []schema.Money
	DurationInMonths *int
}

func (d *InlineDiscount) coupon() (*ent.Coupon, error) {
	c := &ent.Coupon{Name: d.Name, DurationInMonths: d.DurationInMonths, AmountsOff: d.AmountsOff}
	if c.Name == "" {
		c.Name = "Discount"
	}
	switch {
	case d.PercentOff != nil && len(d.AmountsOff) > 0:
		return nil, apperr.BadInput("appliedCoupon.discount", "give percentOff or amountsOff, not both")
	case d.PercentOff != nil:
		if *d.PercentOff <= 0 || *d.PercentOff > 100 {
			return nil, apperr.BadInput("appliedCoupon.discount.percentOff", "percentOff must be more than 0 and at most 100")
		}
		c.Type, c.PercentOff = coupon.TypePERCENTAGE, d.PercentOff
	case len(d.AmountsOff) > 0:
		c.Type = coupon.TypeFIXED
		for _, m := range d.AmountsOff {
			if m.Amount <= 0 {
				return nil, apperr.BadInput("appliedCoupon.discount.amountsOff", "amounts off must be positive")
			}
		}
	default:
		return nil, apperr.BadInput("appliedCoupon.discount", "a discount needs percentOff or amountsOff")
	}
	return c, nil
}

// SetTax configures the tax every invoice and estimate carries; nil (the
// default) means none: tax is zero.
func (s *Service) SetTax(t *Tax) { s.tax = t }

// periodEnd is the end of one billing period of months from start.
func periodEnd(start time.Time, period *string) time.Time {
	if period != nil && *period == "ANNUALLY" {
		return start.AddDate(1, 0, 0)
	}
	return start.AddDate(0, 1, 0)
}

// planCharges are the charges of a plan's prices and of add-ons, with the
// per-unit quantities decided by quantities() and the subscription's price
// overrides (by the catalog price they replace) applied.
func planCharges(p *ent.Plan, prices []*ent.Price, qty map[uuid.UUID]float64, addons []*ent.Addon, items []AddonQuantity, period, country *string, ovr map[uuid.UUID]*ent.SubscriptionPriceOverride) []Charge {
	var out []Charge
	for _, pr := range prices {
		q := 1.0
		if v, ok := qty[pr.ID]; ok {
			q = v
		}
		out = append(out, Charge{Line: Line{Price: Overridden(pr, ovr[pr.ID]), Quantity: q}, Description: p.DisplayName})
	}
	for i, a := range addons {
		for _, pr := range periodPrices(a.Edges.Prices, period, country) {
			out = append(out, Charge{Line: Line{Price: Overridden(pr, ovr[pr.ID]), Quantity: items[i].Quantity}, Description: a.DisplayName, Addon: true})
		}
	}
	return out
}

// chargesOf are the charges a subscription is billed now: its stored
// prices with their quantities and its add-ons' prices for its period.
func chargesOf(ctx context.Context, tx *ent.Tx, sub *ent.CustomerSubscription) ([]Charge, error) {
	pl, err := tx.Plan.Get(ctx, sub.PlanID)
	if err != nil {
		return nil, err
	}
	sps, err := tx.SubscriptionPrice.Query().Where(subscriptionprice.SubscriptionID(sub.ID)).WithPrice().
		Order(subscriptionprice.ByPriceField(price.FieldPosition), subscriptionprice.ByID()).All(ctx)
	if err != nil {
		return nil, err
	}
	ovr, err := PriceOverrides(ctx, tx.Client(), []uuid.UUID{sub.ID})
	if err != nil {
		return nil, err
	}
	var out []Charge
	for _, sp := range sps {
		q := 1.0
		if sp.UsageLimit != nil {
			q = *sp.UsageLimit
		}
		out = append(out, Charge{Line: Line{Price: Overridden(sp.Edges.Price, ovr[sub.ID][sp.PriceID]), Quantity: q}, Description: pl.DisplayName})
	}
	sas, err := tx.SubscriptionAddon.Query().Where(subscriptionaddon.SubscriptionID(sub.ID)).
		WithAddon(func(q *ent.AddonQuery) {
			q.WithPrices(func(q *ent.PriceQuery) { q.Where(price.Archived(false)).Order(ent.Asc(price.FieldPosition)) })
		}).Order(subscriptionaddon.ByID()).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, sa := range sas {
		a := sa.Edges.Addon
		for _, pr := range periodPrices(a.Edges.Prices, sub.BillingPeriod, nil) {
			out = append(out, Charge{Line: Line{Price: Overridden(pr, ovr[sub.ID][pr.ID]), Quantity: sa.Quantity}, Description: a.DisplayName, Addon: true})
		}
	}
	return out, nil
}

func sumCharges(cs []Charge) float64 {
	t := 0.0
	for _, c := range cs {
		t += c.Amount()
	}
	return cents(t)
}

// subscriptionCoupon is the coupon a subscription is billed with.
func subscriptionCoupon(ctx context.Context, tx *ent.Tx, sub *ent.CustomerSubscription) (*ent.Coupon, error) {
	if sub.CouponID == nil {
		return nil, nil
	}
	return tx.Coupon.Get(ctx, *sub.CouponID)
}

// readTx runs fn in a transaction that writes nothing (a consistent read).
func (s *Service) readTx(ctx context.Context, fn func(tx *ent.Tx) error) error {
	return store.WithTx(ctx, s.client, fn)
}

// EstimateNew prices provisioning in (estimateSubscription,
// previewSubscription) without writing anything: the same validation as
// Provision, then the first invoice and the recurring one. When the new
// subscription replaces the customer's live paid subscription to the
// product, the immediate invoice is the proration of the change within
// that subscription's billing period (same billing period) or a credit of
// its unused time against the new first period (another billing period).
// discount is an inline coupon (nil: in.CouponRefID, else the customer's).
func (s *Service) EstimateNew(ctx context.Context, env uuid.UUID, in Input, discount *InlineDiscount) (*Estimate, error) {
	if err := validateInput(&in); err != nil {
		return nil, err
	}
	var out *Estimate
	err := s.readTx(ctx, func(tx *ent.Tx) error {
		now := s.clock.Now()
		c, err := liveCustomer(ctx, tx, env, in.CustomerID, "customerId", false)
		if err != nil {
			return err
		}
		if in.PayingCustomerID != nil {
			if _, err := liveCustomer(ctx, tx, env, *in.PayingCustomerID, "payingCustomerId", false); err != nil {
				return err
			}
		}
		p, err := loadPlan(ctx, tx, env, in.PlanID)
		if err != nil {
			return err
		}
		addons, err := resolveAddons(ctx, tx, env, p, in.Addons)
		if err != nil {
			return err
		}
		period, err := choosePeriod(p, in.BillingPeriod)
		if err != nil {
			return err
		}
		prices := periodPrices(p.Edges.Prices, period, in.BillingCountryCode)
		qty, err := quantities(ctx, tx, env, prices, in.BillableFeatures, in.UnitQuantity, nil)
		if err != nil {
			return err
		}
		cp, err := s.estimateCoupon(ctx, tx, env, c.CouponID, in.CouponRefID, discount)
		if err != nil {
			return err
		}
		start := now
		if in.StartDate != nil {
			start = *in.StartDate
		}
		trialEnd, _, err := decideTrial(ctx, tx, c, p, in, start)
		if err != nil {
			return err
		}
		ovr, err := resolvePriceOverrides(ctx, tx, env, in.PriceOverrides, prices, addons, period)
		if err != nil {
			return err
		}
		charges := planCharges(p, prices, qty, addons, in.Addons, period, in.BillingCountryCode, overrideInputs(ovr))
		old, err := s.replaced(ctx, tx, c.ID, p.ProductID, in.ResourceID, now)
		if err != nil {
			return err
		}
		out, err = s.estimate(ctx, tx, estimateArgs{
			charges: charges, period: period, start: start, trialEnd: trialEnd, coupon: cp, couponSince: start, now: now, old: old,
		})
		return err
	})
	return out, err
}

// replaced is the customer's subscription to the product (and resource)
// that a new one would replace, when it is active now and not part of a
// product that allows several subscriptions.
func (s *Service) replaced(ctx context.Context, tx *ent.Tx, customerID, productID uuid.UUID, resource *string, now time.Time) (*ent.CustomerSubscription, error) {
	prod, err := tx.Product.Get(ctx, productID)
	if err != nil || prod.MultipleSubscriptions {
		return nil, err
	}
	q := tx.CustomerSubscription.Query().Where(customersubscription.CustomerID(customerID),
		customersubscription.HasPlanWith(plan.ProductID(productID)), ActivePredicate(now))
	if resource != nil {
		q.Where(customersubscription.ResourceID(*resource))
	} else {
		q.Where(customersubscription.ResourceIDIsNil())
	}
	old, err := q.Order(ent.Desc(customersubscription.FieldCreatedAt)).First(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return old, err
}

func (s *Service) estimateCoupon(ctx context.Context, tx *ent.Tx, env uuid.UUID, current *uuid.UUID, ref *string, d *InlineDiscount) (*ent.Coupon, error) {
	switch {
	case d != nil:
		return d.coupon()
	case ref != nil:
		return loadCoupon(ctx, tx, env, *ref)
	case current != nil:
		return tx.Coupon.Get(ctx, *current)
	}
	return nil, nil
}

type estimateArgs struct {
	charges     []Charge
	period      *string
	start       time.Time
	trialEnd    *time.Time
	coupon      *ent.Coupon
	couponSince time.Time
	now         time.Time
	// old is the subscription the charges replace (nil for none); keep
	// says it keeps its billing period (an update, not a new plan).
	old  *ent.CustomerSubscription
	keep bool
}

// estimate prices charges as a new subscription (a.old nil), as the
// replacement of a.old, or as an update of a.old (a.keep).
func (s *Service) estimate(ctx context.Context, tx *ent.Tx, a estimateArgs) (*Estimate, error) {
	currency := currencyOf(a.charges)
	e := &Estimate{TrialEnd: a.trialEnd}
	var oldCharges []Charge
	if a.old != nil {
		var err error
		if oldCharges, err = chargesOf(ctx, tx, a.old); err != nil {
			return nil, err
		}
		e.IsPlanDowngrade = sumCharges(a.charges) < sumCharges(oldCharges)
	}
	oldTrial := a.old != nil && EffectiveStatus(a.old, a.now) == InTrial
	switch {
	case a.trialEnd != nil || a.keep && oldTrial:
		// Nothing is billed during a trial; the first invoice comes at its end.
		e.Start, e.End = a.start, periodEnd(a.start, a.period)
		if a.trialEnd != nil {
			e.End = *a.trialEnd
		} else {
			_, e.End = CurrentPeriod(a.old, a.now)
		}
		e.Immediate = bill(currency, e.Start, e.End, nil, nil, nil, s.tax)
	case a.old != nil && !oldTrial && a.old.BillingPeriod != nil && (a.keep || samePeriod(a.old.BillingPeriod, a.period)):
		// Same billing period: the change is prorated within the current one.
		e.Start, e.End = CurrentPeriod(a.old, a.now)
		r := Prorate(oldCharges, a.charges, e.Start, e.End, a.now)
		e.Proration = &r
		ls := append(append([]InvoiceLine{}, r.CreditLines...), r.DebitLs...)
		e.Immediate = bill(currency, a.now, e.End, ls, discountFor(a.coupon, a.couponSince, a.now), a.coupon, s.tax)
	default:
		// A new first period, less the unused time of the replaced one.
		e.Start, e.End = a.start, periodEnd(a.start, a.period)
		ls := lines(a.charges, e.Start, e.End, 1)
		if a.old != nil && !oldTrial && a.old.BillingPeriod != nil {
			os, oe := CurrentPeriod(a.old, a.now)
			r := Prorate(oldCharges, nil, os, oe, a.now)
			r.Debit = sumLines(ls)
			r.DebitLs = ls
			r.Net = cents(r.Debit - r.Credit)
			e.Proration = &r
			ls = append(append([]InvoiceLine{}, r.CreditLines...), ls...)
		}
		e.Immediate = bill(currency, e.Start, e.End, ls, discountFor(a.coupon, a.couponSince, e.Start), a.coupon, s.tax)
	}
	next := e.End
	e.Recurring = bill(currency, next, periodEnd(next, a.period), lines(a.charges, next, periodEnd(next, a.period), 1),
		discountFor(a.coupon, a.couponSince, next), a.coupon, s.tax)
	return e, nil
}

func sumLines(ls []InvoiceLine) float64 {
	t := 0.0
	for _, l := range ls {
		t += l.Amount
	}
	return cents(t)
}

func samePeriod(a, b *string) bool {
	return a != nil && b != nil && *a == *b
}

// EstimateUpdate prices a change to a live subscription
// (estimateSubscriptionUpdate) without writing it: add-ons (the list
// replaces the current one), per-unit quantities and the coupon, prorated
// by days within the current billing period.
func (s *Service) EstimateUpdate(ctx context.Context, env uuid.UUID, refID string, p Patch, discount *InlineDiscount) (*Estimate, error) {
	var items []AddonQuantity
	if p.Addons != nil {
		items = *p.Addons
	}
	if err := validateQuantities(items, p.BillableFeatures, p.UnitQuantity); err != nil {
		return nil, err
	}
	var out *Estimate
	err := s.readTx(ctx, func(tx *ent.Tx) error {
		sub, err := get(ctx, tx.CustomerSubscription.Query(), env, refID)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if err := refuseEnded(sub, now, "subscription %s is %s and cannot be updated"); err != nil {
			return err
		}
		charges, err := s.updatedCharges(ctx, tx, env, sub, p)
		if err != nil {
			return err
		}
		cp, err := s.estimateCoupon(ctx, tx, env, sub.CouponID, p.CouponRefID, discount)
		if err != nil {
			return err
		}
		since := sub.StartDate
		if p.CouponRefID != nil || discount != nil {
			since = now
		}
		out, err = s.estimate(ctx, tx, estimateArgs{charges: charges, period: sub.BillingPeriod, start: now, coupon: cp,
			couponSince: since, now: now, old: sub, keep: true})
		if err != nil {
			return err
		}
		out.HasScheduledUpdates, err = s.hasScheduled(ctx, tx, sub)
		return err
	})
	return out, err
}

// updatedCharges are the charges sub would have after p (add-ons and
// quantities; the billing period and plan stay).
func (s *Service) updatedCharges(ctx context.Context, tx *ent.Tx, env uuid.UUID, sub *ent.CustomerSubscription, p Patch) ([]Charge, error) {
	pl, err := tx.Plan.Query().Where(plan.ID(sub.PlanID)).WithProduct().WithCompatibleAddons().
		WithPrices(func(q *ent.PriceQuery) { q.Where(price.Archived(false)).Order(ent.Asc(price.FieldPosition)) }).Only(ctx)
	if err != nil {
		return nil, err
	}
	var addons []*ent.Addon
	var items []AddonQuantity
	if p.Addons != nil {
		items = *p.Addons
		if addons, err = resolveAddons(ctx, tx, env, pl, items); err != nil {
			return nil, err
		}
	} else {
		sas, err := tx.SubscriptionAddon.Query().Where(subscriptionaddon.SubscriptionID(sub.ID)).Order(subscriptionaddon.ByID()).All(ctx)
		if err != nil {
			return nil, err
		}
		ids := make([]uuid.UUID, len(sas))
		for i, sa := range sas {
			ids[i] = sa.AddonID
		}
		rows, err := tx.Addon.Query().Where(addon.IDIn(ids...)).
			WithPrices(func(q *ent.PriceQuery) { q.Where(price.Archived(false)).Order(ent.Asc(price.FieldPosition)) }).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, sa := range sas {
			for _, a := range rows {
				if a.ID == sa.AddonID {
					addons = append(addons, a)
					items = append(items, AddonQuantity{RefID: a.RefID, Quantity: sa.Quantity})
				}
			}
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
	prices := periodPrices(pl.Edges.Prices, sub.BillingPeriod, nil)
	qty, err := quantities(ctx, tx, env, prices, p.BillableFeatures, p.UnitQuantity, keep)
	if err != nil {
		return nil, err
	}
	ovr, err := PriceOverrides(ctx, tx.Client(), []uuid.UUID{sub.ID})
	if err != nil {
		return nil, err
	}
	return planCharges(pl, prices, qty, addons, items, sub.BillingPeriod, nil, ovr[sub.ID]), nil
}

// PreviewNextInvoice is the invoice a live subscription gets at its next
// renewal: its charges for the next billing period, the coupon if it still
// runs then, the tax. A subscription that ends before then has none (an
// invoice without lines).
func (s *Service) PreviewNextInvoice(ctx context.Context, env uuid.UUID, refID string) (*Invoice, error) {
	var out *Invoice
	err := s.readTx(ctx, func(tx *ent.Tx) error {
		sub, err := get(ctx, tx.CustomerSubscription.Query(), env, refID)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if err := refuseEnded(sub, now, "subscription %s is %s: it has no next invoice"); err != nil {
			return err
		}
		_, next := CurrentPeriod(sub, now)
		if sub.StartDate.After(now) {
			next = sub.StartDate
		}
		end := periodEnd(next, sub.BillingPeriod)
		charges, err := s.chargesAt(ctx, tx, env, sub, next)
		if err != nil {
			return err
		}
		cp, err := subscriptionCoupon(ctx, tx, sub)
		if err != nil {
			return err
		}
		currency := currencyOf(charges)
		var ls []InvoiceLine
		if sub.EffectiveEndDate == nil || sub.EffectiveEndDate.After(next) {
			ls = lines(charges, next, end, 1)
		}
		inv := bill(currency, next, end, ls, discountFor(cp, sub.StartDate, next), cp, s.tax)
		out = &inv
		return nil
	})
	return out, err
}
