// Package subscription is the subscription lifecycle: provision (with trial,
// scheduled start and replacement of the product's current subscription),
// update, cancel, and the reads of a subscription's status, billing period
// and price. Status is computed on read from the dates (status.go), so trials
// end and subscriptions expire by the clock, with no background job.
//
// Every write runs in one transaction and validates before it writes: an
// unknown plan, add-on, feature or coupon, an incompatible add-on or a bad
// quantity leaves the store as it was.
package subscription

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"time"

	entplan "github.com/stigg-selfhost/stiggql/ent/plan"

	"github.com/stigg-selfhost/stiggql/internal/billing"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/addon"
	"github.com/stigg-selfhost/stiggql/ent/coupon"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/feature"
	"github.com/stigg-selfhost/stiggql/ent/plan"
	"github.com/stigg-selfhost/stiggql/ent/predicate"
	"github.com/stigg-selfhost/stiggql/ent/price"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionaddon"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionprice"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/store"
)

// Cancel reasons this package writes (Stigg's SubscriptionCancelReason).
const (
	ReasonUpgradeOrDowngrade    = "UpgradeOrDowngrade"
	ReasonImmediate             = "Immediate"
	ReasonScheduledCancellation = "ScheduledCancellation"
)

// Service runs subscription operations against the store.
type Service struct {
	client *ent.Client
	clock  clock.Clock
	// tax is the tax rate of invoices and estimates; nil: no tax.
	tax *Tax
}

// New returns a Service.
func New(client *ent.Client, clk clock.Clock) *Service { return &Service{client: client, clock: clk} }

// AddonQuantity is an add-on to put on a subscription.
type AddonQuantity struct {
	RefID    string
	Quantity float64
}

// FeatureQuantity is the purchased quantity of a per-unit priced feature.
type FeatureQuantity struct {
	FeatureRefID string
	Quantity     float64
}

// TrialOverride replaces the plan's default trial decision.
type TrialOverride struct {
	IsTrial     bool
	EndDate     *time.Time
	EndBehavior *string
}

// Input provisions a subscription (provisionSubscription, createSubscription,
// provisionCustomer's subscriptionParams). Ids are refIds.
type Input struct {
	CustomerID         string
	PayingCustomerID   *string
	PlanID             string
	RefID              *string
	ResourceID         *string
	BillingPeriod      *string
	BillingCountryCode *string
	StartDate          *time.Time
	EndDate            *time.Time
	SkipTrial          bool
	Trial              *TrialOverride
	Addons             []AddonQuantity
	BillableFeatures   []FeatureQuantity
	UnitQuantity       *float64
	CouponRefID        *string
	Metadata           map[string]any
	BillingID          *string
	SalesforceID       *string
	CrmID              *string
}

// Entitlement is what a subscription grants of one feature: its plan's
// entitlement (own or inherited) and its add-ons' combined.
type Entitlement struct {
	Feature     *ent.Feature
	UsageLimit  *float64
	Unlimited   bool
	SoftLimit   bool
	ResetPeriod *string
	EnumValues  []string
}

// Result is a provisioned subscription.
type Result struct {
	Subscription *ent.CustomerSubscription
	// Replaced are the subscriptions it replaced (cancelled as UpgradeOrDowngrade).
	Replaced     []*ent.CustomerSubscription
	Entitlements []Entitlement
}

func validateInput(in *Input) error {
	if in.CustomerID == "" {
		return apperr.BadInput("customerId", "customerId is required")
	}
	if in.PlanID == "" {
		return apperr.BadInput("planId", "planId is required")
	}
	if in.RefID != nil && (*in.RefID == "" || len(*in.RefID) > 255) {
		return apperr.BadInput("subscriptionId", "subscriptionId must be 1 to 255 characters")
	}
	if in.StartDate != nil && in.EndDate != nil && !in.EndDate.After(*in.StartDate) {
		return apperr.BadInput("endDate", "endDate must be after startDate")
	}
	if in.BillingPeriod != nil && *in.BillingPeriod != "MONTHLY" && *in.BillingPeriod != "ANNUALLY" {
		return apperr.BadInput("billingPeriod", "billingPeriod must be MONTHLY or ANNUALLY")
	}
	return validateQuantities(in.Addons, in.BillableFeatures, in.UnitQuantity)
}

func validateQuantities(addons []AddonQuantity, features []FeatureQuantity, unit *float64) error {
	for _, a := range addons {
		if a.Quantity < 1 || a.Quantity != float64(int64(a.Quantity)) {
			return &apperr.Error{Code: apperr.InvalidQuantity, Field: "addons", Message: "add-on " + a.RefID + ": quantity must be a whole number of at least 1"}
		}
	}
	for _, f := range features {
		if f.Quantity < 0 {
			return &apperr.Error{Code: apperr.InvalidQuantity, Field: "billableFeatures", Message: "feature " + f.FeatureRefID + ": quantity must not be negative"}
		}
	}
	if unit != nil && *unit < 0 {
		return &apperr.Error{Code: apperr.InvalidQuantity, Field: "unitQuantity", Message: "unitQuantity must not be negative"}
	}
	return nil
}

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

// liveCustomer returns the live customer with the slug: CustomerIsArchived
// when only an archived one has it, CustomerNotFound when none.
//
// The rows are locked for the rest of tx (store.LockRows) when lock is set:
// a subscription change holds its customer's row, so changes to one
// customer's subscriptions, and an archive of the customer, run one after
// the other on PostgreSQL as they do on SQLite. Locks are taken customer
// first, then subscription, everywhere.
func liveCustomer(ctx context.Context, tx *ent.Tx, env uuid.UUID, slug, field string, lock bool) (*ent.Customer, error) {
	q := tx.Customer.Query().Where(customer.EnvironmentID(env), customer.CustomerID(slug))
	if lock {
		q = store.ForUpdate(q)
	}
	rows, err := q.All(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range rows {
		if c.DeletedAt == nil {
			return c, nil
		}
	}
	if len(rows) > 0 {
		return nil, &apperr.Error{Code: apperr.CustomerIsArchived, Field: field, Message: "customer " + slug + " is archived"}
	}
	return nil, &apperr.Error{Code: apperr.CustomerNotFound, Field: field, Message: "customer " + slug + " was not found"}
}

// TrialConsumed is the rule of trial eligibility, as a predicate on a
// customer's subscriptions to one product: a customer is eligible for a
// product's trial unless one of them was a trial, or was paid for.
func TrialConsumed() predicate.CustomerSubscription {
	return customersubscription.Or(customersubscription.WasInTrial(true), customersubscription.PricingTypeEQ(customersubscription.PricingTypePAID))
}

// loadPlan returns the latest version of the published plan with the
// refId, with its product, prices and compatible add-ons.
func loadPlan(ctx context.Context, tx *ent.Tx, env uuid.UUID, refID string) (*ent.Plan, error) {
	p, err := tx.Plan.Query().Where(plan.EnvironmentID(env), plan.RefID(refID), plan.IsLatest(true)).
		WithProduct().WithCompatibleAddons().
		WithPrices(func(q *ent.PriceQuery) { q.Where(price.Archived(false)).Order(ent.Asc(price.FieldPosition)) }).
		Only(ctx)
	if ent.IsNotFound(err) {
		return nil, &apperr.Error{Code: apperr.PlanNotFound, Field: "planId", Message: "plan " + refID + " was not found"}
	}
	if err != nil {
		return nil, err
	}
	if p.Status != plan.StatusPUBLISHED {
		return nil, &apperr.Error{Code: apperr.PlanNotFound, Field: "planId", Message: "plan " + refID + " is archived"}
	}
	return p, nil
}

// resolveAddons checks the requested add-ons against the plan: they exist,
// are compatible with it, come at most once, within their max quantity,
// with their dependencies.
func resolveAddons(ctx context.Context, tx *ent.Tx, env uuid.UUID, p *ent.Plan, items []AddonQuantity) ([]*ent.Addon, error) {
	if len(items) == 0 {
		return nil, nil
	}
	refs := make([]string, len(items))
	for i, a := range items {
		if slices.Contains(refs[:i], a.RefID) {
			return nil, &apperr.Error{Code: apperr.DuplicateAddonProvisioned, Field: "addons", Message: "add-on " + a.RefID + " is listed twice"}
		}
		refs[i] = a.RefID
	}
	rows, err := tx.Addon.Query().Where(addon.EnvironmentID(env), addon.RefIDIn(refs...), addon.StatusEQ(addon.StatusPUBLISHED)).
		WithDependencies().
		WithPrices(func(q *ent.PriceQuery) { q.Where(price.Archived(false)).Order(ent.Asc(price.FieldPosition)) }).
		All(ctx)
	if err != nil {
		return nil, err
	}
	byRef := map[string]*ent.Addon{}
	for _, a := range rows {
		byRef[a.RefID] = a
	}
	return checkAddons(p, items, byRef)
}

// checkAddons is resolveAddons' rules over add-ons already loaded (by
// refId, published, with dependencies and prices).
func checkAddons(p *ent.Plan, items []AddonQuantity, byRef map[string]*ent.Addon) ([]*ent.Addon, error) {
	refs := make([]string, len(items))
	for i, a := range items {
		if slices.Contains(refs[:i], a.RefID) {
			return nil, &apperr.Error{Code: apperr.DuplicateAddonProvisioned, Field: "addons", Message: "add-on " + a.RefID + " is listed twice"}
		}
		refs[i] = a.RefID
	}
	out := make([]*ent.Addon, len(items))
	for i, it := range items {
		a := byRef[it.RefID]
		if a == nil {
			return nil, &apperr.Error{Code: apperr.AddonNotFound, Field: "addons", Message: "add-on " + it.RefID + " was not found"}
		}
		if !slices.ContainsFunc(p.Edges.CompatibleAddons, func(c *ent.Addon) bool { return c.ID == a.ID }) {
			return nil, &apperr.Error{Code: apperr.IncompatibleSubscriptionAddon, Field: "addons",
				Message: "add-on " + it.RefID + " is not compatible with plan " + p.RefID}
		}
		max := 1.0
		if a.MaxQuantity != nil {
			max = *a.MaxQuantity
		}
		if it.Quantity > max {
			return nil, &apperr.Error{Code: apperr.AddonQuantityExceedsLimit, Field: "addons",
				Message: "add-on " + it.RefID + ": quantity exceeds its limit"}
		}
		for _, d := range a.Edges.Dependencies {
			if !slices.Contains(refs, d.RefID) {
				return nil, &apperr.Error{Code: apperr.AddonDependencyMissing, Field: "addons",
					Message: "add-on " + it.RefID + " requires add-on " + d.RefID}
			}
		}
		out[i] = a
	}
	return out, nil
}

// choosePeriod picks the billing period: the one asked for (which a priced
// plan must have prices for), else monthly when the plan has monthly
// prices, else annual; nil for a plan without prices.
func choosePeriod(p *ent.Plan, asked *string) (*string, error) {
	has := map[string]bool{}
	for _, pr := range p.Edges.Prices {
		has[string(pr.BillingPeriod)] = true
	}
	if asked != nil {
		if len(has) > 0 && !has[*asked] {
			return nil, &apperr.Error{Code: apperr.BillingPeriodMissing, Field: "billingPeriod",
				Message: "plan " + p.RefID + " has no " + *asked + " prices"}
		}
		return asked, nil
	}
	for _, bp := range []string{"MONTHLY", "ANNUALLY"} {
		if has[bp] {
			return &bp, nil
		}
	}
	return nil, nil
}

// periodPrices are the prices of a package billed in period, for the
// country when it has prices of its own.
func periodPrices(prices []*ent.Price, period *string, country *string) []*ent.Price {
	if period == nil {
		return nil
	}
	var out []*ent.Price
	local := false
	if country != nil {
		for _, pr := range prices {
			local = local || string(pr.BillingPeriod) == *period && pr.BillingCountryCode != nil && *pr.BillingCountryCode == *country
		}
	}
	for _, pr := range prices {
		if string(pr.BillingPeriod) != *period {
			continue
		}
		if local && (pr.BillingCountryCode == nil || *pr.BillingCountryCode != *country) || !local && pr.BillingCountryCode != nil {
			continue
		}
		out = append(out, pr)
	}
	return out
}

// quantities decides the quantity of each per-unit price: the billable
// feature quantity given for its feature, else unitQuantity (when the plan
// has one per-unit price), else the price's minimum (or 1). keep holds the
// current quantities by feature id, used on update when nothing is given.
func quantities(ctx context.Context, tx *ent.Tx, env uuid.UUID, prices []*ent.Price, given []FeatureQuantity, unit *float64, keep map[uuid.UUID]float64) (map[uuid.UUID]float64, error) {
	features := map[string]*ent.Feature{}
	if len(given) > 0 {
		refs := make([]string, len(given))
		for i, g := range given {
			refs[i] = g.FeatureRefID
		}
		rows, err := tx.Feature.Query().Where(feature.EnvironmentID(env), feature.RefIDIn(refs...)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, f := range rows {
			features[f.RefID] = f
		}
	}
	return quantitiesOf(prices, given, unit, keep, features)
}

// quantitiesOf is quantities' rules over the given features already loaded
// (by refId).
func quantitiesOf(prices []*ent.Price, given []FeatureQuantity, unit *float64, keep map[uuid.UUID]float64, features map[string]*ent.Feature) (map[uuid.UUID]float64, error) {
	byFeature := map[uuid.UUID]float64{}
	if len(given) > 0 {
		for _, g := range given {
			f := features[g.FeatureRefID]
			if f == nil {
				return nil, &apperr.Error{Code: apperr.FeatureNotFound, Field: "billableFeatures", Message: "feature " + g.FeatureRefID + " was not found"}
			}
			id := f.ID
			if !slices.ContainsFunc(prices, func(p *ent.Price) bool {
				return p.BillingModel == price.BillingModelPER_UNIT && p.FeatureID != nil && *p.FeatureID == id
			}) {
				return nil, apperr.BadInput("billableFeatures", "feature %s is not billed per unit on this plan and period", g.FeatureRefID)
			}
			byFeature[id] = g.Quantity
		}
	}
	perUnit := 0
	for _, p := range prices {
		if p.BillingModel == price.BillingModelPER_UNIT {
			perUnit++
		}
	}
	if unit != nil && perUnit != 1 {
		return nil, apperr.BadInput("unitQuantity", "unitQuantity needs exactly one per-unit price; use billableFeatures")
	}
	out := map[uuid.UUID]float64{}
	for _, p := range prices {
		if p.BillingModel != price.BillingModelPER_UNIT || p.FeatureID == nil {
			continue
		}
		q, ok := byFeature[*p.FeatureID]
		switch {
		case ok:
		case unit != nil:
			q = *unit
		case keep[*p.FeatureID] > 0:
			q = keep[*p.FeatureID]
		case p.MinUnitQuantity != nil:
			q = *p.MinUnitQuantity
		default:
			q = 1
		}
		if p.MinUnitQuantity != nil && q < *p.MinUnitQuantity || p.MaxUnitQuantity != nil && q > *p.MaxUnitQuantity {
			return nil, &apperr.Error{Code: apperr.InvalidQuantity, Field: "billableFeatures", Message: "quantity is outside the price's minimum and maximum"}
		}
		out[p.ID] = q
	}
	return out, nil
}

func loadCoupon(ctx context.Context, tx *ent.Tx, env uuid.UUID, refID string) (*ent.Coupon, error) {
	c, err := tx.Coupon.Query().Where(coupon.EnvironmentID(env), coupon.RefID(refID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, &apperr.Error{Code: apperr.CouponNotFound, Field: "couponId", Message: "coupon " + refID + " was not found"}
	}
	if err != nil {
		return nil, err
	}
	if c.Status != coupon.StatusACTIVE {
		return nil, &apperr.Error{Code: apperr.ArchivedCouponCantBeApplied, Field: "couponId", Message: "coupon " + refID + " is archived"}
	}
	return c, nil
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
	sub, err := tx.CustomerSubscription.Create().SetEnvironmentID(env).SetRefID(ref).SetCustomerID(c.ID).
		SetNillablePayingCustomerID(payer).SetPlanID(p.ID).SetNillableCouponID(couponID).SetNillableResourceID(in.ResourceID).
		SetStatus(status).SetPricingType(customersubscription.PricingType(p.PricingType)).SetNillableBillingPeriod(period).
		SetStartDate(start).SetNillableEndDate(end).SetNillableEffectiveEndDate(end).SetNillableTrialEndDate(trialEnd).
		SetWasInTrial(trialEnd != nil).SetNillableTrialEndBehavior(behavior).
		SetCurrentBillingPeriodStart(periodStart).SetCurrentBillingPeriodEnd(periodEnd).
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
	// The billing sync (when configured) learns of it in the same transaction.
	if err := billing.EnqueueSubscription(ctx, tx, sub); err != nil {
		return nil, err
	}
	ents, err := entitlements(ctx, tx, p, addons, in.Addons, prices, qty)
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

// PlanChain returns p's ancestors' ids, nearest first, following base plans.
func PlanChain(ctx context.Context, client *ent.PlanClient, p *ent.Plan) ([]uuid.UUID, error) {
	var chain []uuid.UUID
	next := p.BasePlanID
	for next != nil && len(chain) < 32 && !slices.Contains(chain, *next) {
		chain = append(chain, *next)
		b, err := client.Get(ctx, *next)
		if err != nil {
			return nil, err
		}
		next = b.BasePlanID
	}
	return chain, nil
}

// entitlements combines what a new subscription grants: the plan's own
// entitlements, those it inherits (nearest base plan first, a feature the
// plan sets itself is not inherited), add-on entitlements times their
// quantity added to number limits, and per-unit quantities as the limit of
// their feature.
func entitlements(ctx context.Context, tx *ent.Tx, p *ent.Plan, addons []*ent.Addon, items []AddonQuantity, prices []*ent.Price, qty map[uuid.UUID]float64) ([]Entitlement, error) {
	chain, err := PlanChain(ctx, tx.Plan, p)
	if err != nil {
		return nil, err
	}
	byFeature := map[uuid.UUID]*Entitlement{}
	var order []uuid.UUID
	add := func(pe *ent.PackageEntitlement, times float64, override bool) {
		e := byFeature[pe.FeatureID]
		if e == nil {
			e = &Entitlement{Feature: pe.Edges.Feature}
			byFeature[pe.FeatureID] = e
			order = append(order, pe.FeatureID)
		} else if !override {
			if pe.UsageLimit != nil && e.UsageLimit != nil {
				sum := *e.UsageLimit + *pe.UsageLimit*times
				e.UsageLimit = &sum
			}
			e.Unlimited = e.Unlimited || pe.HasUnlimitedUsage
			for _, v := range pe.EnumValues {
				if !slices.Contains(e.EnumValues, v) {
					e.EnumValues = append(e.EnumValues, v)
				}
			}
			return
		}
		if pe.UsageLimit != nil {
			l := *pe.UsageLimit * times
			e.UsageLimit = &l
		}
		e.Unlimited, e.SoftLimit = pe.HasUnlimitedUsage, pe.HasSoftLimit
		if pe.ResetPeriod != nil {
			r := string(*pe.ResetPeriod)
			e.ResetPeriod = &r
		}
		e.EnumValues = slices.Clone(pe.EnumValues)
	}
	withFeature := func(q *ent.PackageEntitlementQuery) *ent.PackageEntitlementQuery {
		return q.WithFeature().Order(ent.Asc("position"))
	}
	own, err := withFeature(p.QueryEntitlements()).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, pe := range own {
		add(pe, 1, true)
	}
	for _, id := range chain {
		inherited, err := withFeature(tx.Plan.Query().Where(plan.ID(id)).QueryEntitlements()).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, pe := range inherited {
			if byFeature[pe.FeatureID] == nil {
				add(pe, 1, true)
			}
		}
	}
	for i, a := range addons {
		rows, err := withFeature(tx.Addon.Query().Where(addon.ID(a.ID)).QueryEntitlements()).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, pe := range rows {
			add(pe, items[i].Quantity, pe.Behavior == "Override")
		}
	}
	for _, pr := range prices {
		if q, ok := qty[pr.ID]; ok && pr.FeatureID != nil {
			if e := byFeature[*pr.FeatureID]; e != nil && !e.Unlimited {
				e.UsageLimit = &q
			}
		}
	}
	out := make([]Entitlement, len(order))
	for i, id := range order {
		out[i] = *byFeature[id]
	}
	return out, nil
}

// cancelAt is what cancelling does, for every kind of cancellation (an
// explicit cancel now, at the end of the period or on a date, and the
// replacement by a new plan): the subscription ends at at, the time it was
// cancelled (now) and the reason are recorded. Ending now writes CANCELED;
// ending later leaves the status to the clock (EffectiveStatus turns it
// CANCELED at at).
func cancelAt(ctx context.Context, tx *ent.Tx, s *ent.CustomerSubscription, now, at time.Time, reason string) (*ent.CustomerSubscription, error) {
	u := tx.CustomerSubscription.UpdateOne(s).SetCancellationDate(now).SetEffectiveEndDate(at).SetEndDate(at).
		SetCancelReason(reason).SetUpdatedAt(now)
	if !at.After(now) {
		u.SetStatus(Canceled)
	}
	out, err := u.Save(ctx)
	if err != nil {
		return nil, err
	}
	return out, billing.EnqueueSubscription(ctx, tx, out)
}

// CancelInput cancels a subscription.
type CancelInput struct {
	RefID string
	// Time is IMMEDIATE (the default), END_OF_BILLING_PERIOD or SPECIFIC_DATE.
	Time    string
	EndDate *time.Time
}

// Get returns the subscription with the refId.
func (s *Service) Get(ctx context.Context, env uuid.UUID, refID string) (*ent.CustomerSubscription, error) {
	return get(ctx, s.client.CustomerSubscription.Query(), env, refID)
}

func get(ctx context.Context, q *ent.CustomerSubscriptionQuery, env uuid.UUID, refID string) (*ent.CustomerSubscription, error) {
	sub, err := q.Where(customersubscription.EnvironmentID(env), customersubscription.RefID(refID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, &apperr.Error{Code: apperr.SubscriptionNotFound, Field: "subscriptionId", Message: "subscription " + refID + " was not found"}
	}
	return sub, err
}

// getForUpdate is get for a read-modify-write in tx: it locks the
// subscription's customer and then the subscription (store.LockRows), in
// the order provisioning takes them, and returns the subscription as it is
// once no other transaction holds it.
func getForUpdate(ctx context.Context, tx *ent.Tx, env uuid.UUID, refID string) (*ent.CustomerSubscription, error) {
	sub, err := get(ctx, tx.CustomerSubscription.Query(), env, refID)
	if err != nil {
		return nil, err
	}
	if _, err := store.ForUpdate(tx.Customer.Query().Where(customer.ID(sub.CustomerID))).IDs(ctx); err != nil {
		return nil, err
	}
	return get(ctx, store.ForUpdate(tx.CustomerSubscription.Query()), env, refID)
}

// Cancel cancels a subscription now, at the end of its current billing
// period (the trial's end during a trial) or on a date. A subscription
// already cancelled or expired cannot be cancelled again.
func (s *Service) Cancel(ctx context.Context, env uuid.UUID, in CancelInput) (*ent.CustomerSubscription, error) {
	var out *ent.CustomerSubscription
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		sub, err := getForUpdate(ctx, tx, env, in.RefID)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if st := EffectiveStatus(sub, now); st == Canceled || st == Expired {
			return apperr.New(apperr.SubscriptionAlreadyCanceledOrExpired, "subscription %s is already %s", in.RefID, st)
		}
		at, reason := now, ReasonImmediate
		switch in.Time {
		case "", "IMMEDIATE":
		case "END_OF_BILLING_PERIOD":
			_, at = CurrentPeriod(sub, now)
			reason = ReasonScheduledCancellation
		case "SPECIFIC_DATE":
			if in.EndDate == nil || in.EndDate.Before(now) {
				return apperr.BadInput("endDate", "SPECIFIC_DATE needs an endDate that is not in the past")
			}
			at, reason = *in.EndDate, ReasonScheduledCancellation
		default:
			return apperr.BadInput("subscriptionCancellationTime", "unknown cancellation time %q", in.Time)
		}
		if sub.StartDate.After(now) && at.Before(sub.StartDate) {
			at = now // a subscription that has not started ends before it starts
		}
		if out, err = cancelAt(ctx, tx, sub, now, at, reason); err != nil {
			return err
		}
		return s.startDowngrade(ctx, tx, env, out, at, reason)
	})
	return out, err
}

// startDowngrade subscribes the customer to the product's downgrade plan
// (productSettings.downgradePlan) from the moment the cancelled
// subscription ends, so a customer who cancels a paid plan falls back to the
// free one, as the product's subscriptionEndSetup DOWNGRADE_TO_FREE says.
// Nothing happens for a product without a downgrade plan, or when the
// cancelled subscription is on that plan already.
func (s *Service) startDowngrade(ctx context.Context, tx *ent.Tx, env uuid.UUID, ended *ent.CustomerSubscription, at time.Time, reason string) error {
	plan, err := tx.Plan.Query().Where(entplan.ID(ended.PlanID)).WithProduct().Only(ctx)
	if err != nil {
		return err
	}
	prod := plan.Edges.Product
	if prod == nil || prod.DowngradePlanID == nil || *prod.DowngradePlanID == plan.ID {
		return nil
	}
	down, err := tx.Plan.Get(ctx, *prod.DowngradePlanID)
	if err != nil {
		return err
	}
	c, err := tx.Customer.Get(ctx, ended.CustomerID)
	if err != nil {
		return err
	}
	start := at
	if _, err := s.ProvisionTx(ctx, tx, env, c, Input{
		CustomerID: c.CustomerID, PlanID: down.RefID, ResourceID: ended.ResourceID, StartDate: &start, SkipTrial: true,
	}); err != nil {
		return err
	}
	// Provisioning treats the ending subscription as replaced; keep the
	// reason the caller cancelled it for.
	return tx.CustomerSubscription.UpdateOne(ended).SetCancelReason(reason).Exec(ctx)
}

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
		if st := EffectiveStatus(sub, now); st == Canceled || st == Expired {
			return apperr.New(apperr.SubscriptionAlreadyCanceledOrExpired, "subscription %s is %s and cannot be updated", refID, st)
		}
		if p.Schedule != nil && *p.Schedule != StrategyImmediate {
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
	out, err := u.Save(ctx)
	if err != nil {
		return nil, err
	}
	return out, billing.EnqueueSubscription(ctx, tx, out)
}

// Active returns the customer's active subscriptions (ACTIVE or IN_TRIAL
// now), newest first, optionally only those of the given resources.
func (s *Service) Active(ctx context.Context, env uuid.UUID, customerID string, resourceIDs []string) ([]*ent.CustomerSubscription, error) {
	c, err := s.client.Customer.Query().Where(customer.EnvironmentID(env), customer.CustomerID(customerID), customer.DeletedAtIsNil()).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, &apperr.Error{Code: apperr.CustomerNotFound, Field: "customerId", Message: "customer " + customerID + " was not found"}
	}
	if err != nil {
		return nil, err
	}
	q := s.client.CustomerSubscription.Query().Where(customersubscription.CustomerID(c.ID),
		predicate.CustomerSubscription(ActivePredicate(s.clock.Now()))).
		Order(ent.Desc(customersubscription.FieldCreatedAt), ent.Desc(customersubscription.FieldID))
	if len(resourceIDs) > 0 {
		q.Where(customersubscription.ResourceIDIn(resourceIDs...))
	}
	return q.All(ctx)
}

// ReasonCustomerArchived is the cancel reason of subscriptions ended by
// archiving their customer.
const ReasonCustomerArchived = "CustomerArchived"

// CancelForArchivedCustomer ends, inside the archive's transaction, every
// subscription of the customer that has not ended yet, as Stigg does: an
// archived customer keeps no live subscription. Registered as a
// customers.Hook for the archive operation.
func (s *Service) CancelForArchivedCustomer(ctx context.Context, tx *ent.Tx, c *ent.Customer) error {
	now := s.clock.Now()
	live, err := tx.CustomerSubscription.Query().Where(customersubscription.CustomerID(c.ID),
		customersubscription.StatusIn(liveStatuses...),
		customersubscription.Or(customersubscription.EffectiveEndDateIsNil(), customersubscription.EffectiveEndDateGT(now))).All(ctx)
	if err != nil {
		return err
	}
	for _, sub := range live {
		if _, err := cancelAt(ctx, tx, sub, now, now, ReasonCustomerArchived); err != nil {
			return err
		}
	}
	return nil
}
