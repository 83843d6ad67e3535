package subscription

import (
	"context"
	"errors"
	"math"
	"sort"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/price"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionaddon"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionprice"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/billing"
	"github.com/stigg-selfhost/stiggql/internal/store"
)

// CheckoutOptions are provisionSubscription's checkoutOptions: where the
// hosted checkout page sends the customer back, and what it collects.
type CheckoutOptions struct {
	SuccessURL, CancelURL string
	ReferenceID           string
	AllowPromoCodes       bool
	AllowTaxIDCollection  bool
	CollectBillingAddress bool
	CollectPhoneNumber    bool
}

// Checkout is a subscription waiting for its first payment on Stripe's
// hosted checkout page.
type Checkout struct {
	// SubscriptionID is the refId the subscription will have.
	SubscriptionID string
	// SessionID (cs_...) and URL are the Stripe Checkout Session's.
	SessionID, URL string
}

// PaidNow reports whether a new subscription is charged from its start: a
// paid plan outside a trial.
func PaidNow(s *ent.CustomerSubscription) bool {
	return s.PricingType == customersubscription.PricingTypePAID && s.TrialEndDate == nil
}

// errDryRun rolls back the provision a checkout was priced from.
var errDryRun = errors.New("subscription: checkout dry run")

// ProvisionOrCheckout is Provision, except for a subscription that would be
// paid from its start when opts is given and the environment has a Stripe
// integration: then nothing is written here and a Stripe Checkout Session
// is created for it, priced from the catalog as the subscription would be
// (the provision runs and is rolled back, so the input gets every check
// Provision makes). The customer's current subscription stays until the
// checkout is paid; Stripe creates the subscription then, with the
// session's metadata naming the plan, period, add-ons and refId.
func (s *Service) ProvisionOrCheckout(ctx context.Context, env uuid.UUID, in Input, opts *CheckoutOptions) (*Result, *Checkout, error) {
	syncer := billing.For(env)
	if opts == nil || syncer == nil {
		res, err := s.Provision(ctx, env, in)
		return res, nil, err
	}
	if opts.SuccessURL == "" || opts.CancelURL == "" {
		return nil, nil, apperr.BadInput("checkoutOptions", "checkoutOptions needs a successUrl and a cancelUrl")
	}
	if err := validateInput(&in); err != nil {
		return nil, nil, err
	}
	var res *Result
	var req billing.CheckoutRequest
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		var err error
		if res, err = s.ProvisionTx(ctx, tx, env, nil, in); err != nil || !PaidNow(res.Subscription) {
			return err
		}
		if req, err = checkoutRequest(ctx, tx, res.Subscription); err != nil {
			return err
		}
		return errDryRun
	})
	if err == nil {
		return res, nil, nil
	}
	if !errors.Is(err, errDryRun) {
		return nil, nil, err
	}
	req.SuccessURL, req.CancelURL, req.ReferenceID = opts.SuccessURL, opts.CancelURL, opts.ReferenceID
	req.AllowPromoCodes, req.AllowTaxIDCollection = opts.AllowPromoCodes, opts.AllowTaxIDCollection
	req.CollectBillingAddress, req.CollectPhoneNumber = opts.CollectBillingAddress, opts.CollectPhoneNumber
	sess, err := syncer.CreateCheckout(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	return nil, &Checkout{SubscriptionID: req.SubscriptionID, SessionID: sess.ID, URL: sess.URL}, nil
}

// checkoutRequest prices the subscription sub (written in tx, about to be
// rolled back) as checkout lines: its plan prices with their quantities,
// then its add-ons at their price for the subscription's period.
func checkoutRequest(ctx context.Context, tx *ent.Tx, sub *ent.CustomerSubscription) (billing.CheckoutRequest, error) {
	req := billing.CheckoutRequest{CustomerID: sub.CustomerID, SubscriberID: sub.CustomerID, SubscriptionID: sub.RefID}
	if sub.PayingCustomerID != nil {
		req.CustomerID = *sub.PayingCustomerID
	}
	if sub.BillingPeriod != nil {
		req.BillingPeriod = *sub.BillingPeriod
	}
	if sub.ResourceID != nil {
		req.ResourceID = *sub.ResourceID
	}
	p, err := tx.Plan.Get(ctx, sub.PlanID)
	if err != nil {
		return req, err
	}
	req.PlanID = p.RefID
	sps, err := tx.SubscriptionPrice.Query().Where(subscriptionprice.SubscriptionID(sub.ID)).
		WithPrice(func(q *ent.PriceQuery) { q.WithFeature() }).All(ctx)
	if err != nil {
		return req, err
	}
	// In the catalog's order of the plan's prices.
	sort.Slice(sps, func(i, j int) bool { return sps[i].Edges.Price.Position < sps[j].Edges.Price.Position })
	for _, sp := range sps {
		name := p.DisplayName
		if f := sp.Edges.Price.Edges.Feature; f != nil {
			name += " (" + f.DisplayName + ")"
		}
		qty := 1.0
		if sp.UsageLimit != nil {
			qty = *sp.UsageLimit
		}
		line, err := checkoutLine(sp.Edges.Price, name, qty)
		if err != nil {
			return req, err
		}
		req.Lines = append(req.Lines, line)
		if f := sp.Edges.Price.Edges.Feature; f != nil && sp.UsageLimit != nil && sp.Edges.Price.BillingModel == price.BillingModelPER_UNIT {
			req.BillableFeatures = append(req.BillableFeatures, billing.AddonLine(f.RefID, *sp.UsageLimit))
		}
	}
	sas, err := tx.SubscriptionAddon.Query().Where(subscriptionaddon.SubscriptionID(sub.ID)).
		WithAddon(func(q *ent.AddonQuery) { q.WithPrices() }).All(ctx)
	if err != nil {
		return req, err
	}
	sort.Slice(sas, func(i, j int) bool { return sas[i].Edges.Addon.RefID < sas[j].Edges.Addon.RefID })
	for _, sa := range sas {
		a := sa.Edges.Addon
		req.Addons = append(req.Addons, billing.AddonLine(a.RefID, sa.Quantity))
		pr := AddonPrice(a.Edges.Prices, sub.BillingPeriod)
		if pr == nil {
			continue // a free add-on
		}
		line, err := checkoutLine(pr, a.DisplayName, sa.Quantity)
		if err != nil {
			return req, err
		}
		req.Lines = append(req.Lines, line)
	}
	return req, nil
}

// checkoutLine is one catalog price as a checkout line. A price Stripe
// cannot be given inline (tiers, usage-based billing) must name its Stripe
// price in the catalog (billingId).
func checkoutLine(pr *ent.Price, name string, qty float64) (billing.CheckoutLine, error) {
	l := billing.CheckoutLine{Name: name, Currency: pr.Currency, Period: string(pr.BillingPeriod),
		Quantity: int64(math.Ceil(qty)), Metered: pr.BillingModel == price.BillingModelUSAGE_BASED}
	if pr.BillingID != nil && *pr.BillingID != "" {
		l.StripePriceID = *pr.BillingID
		return l, nil
	}
	if l.Metered || len(pr.Tiers) > 0 {
		return l, apperr.New(apperr.BadUserInput,
			"a price of %q is usage-based or tiered and has no billingId: give it its Stripe price's id in the catalog to sell it through checkout", name)
	}
	if pr.Amount != nil {
		l.UnitAmount = *pr.Amount
	}
	return l, nil
}
