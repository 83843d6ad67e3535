package billing

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/google/uuid"
	"github.com/stripe/stripe-go/v82"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/outboxevent"
	"github.com/stigg-selfhost/stiggql/ent/syncstate"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/store"
)

// ProviderError is this server's code for a request Stripe refused or
// could not answer while a checkout was being prepared (Stripe's message
// is passed on); nothing was written here.
const ProviderError apperr.Code = "BillingProviderError"

// Metadata keys a checkout session carries, so that whoever completes it
// (a checkout.session.completed webhook) knows what was bought.
const (
	metaPlanID        = "stigg_plan_id"
	metaBillingPeriod = "stigg_billing_period"
	metaResourceID    = "stigg_resource_id"
	metaAddons        = "stigg_addons"
)

// CheckoutLine is one line item of a checkout: a catalog price and how
// many of it are bought.
type CheckoutLine struct {
	// StripePriceID is the price's billingId in the catalog: when set, the
	// line is that Stripe price and the amounts below are not sent.
	StripePriceID string
	// Name is what the customer sees for a line without a Stripe price.
	Name string
	// Currency (ISO 4217), UnitAmount (in the currency's main unit) and
	// Period ("MONTHLY" or "ANNUALLY") price a line without a Stripe price.
	Currency   string
	UnitAmount float64
	Period     string
	// Quantity is the number of units; Metered lines (usage-based Stripe
	// prices) are sent without one, as Stripe requires.
	Quantity int64
	Metered  bool
}

// CheckoutRequest is a hosted Stripe Checkout for a new subscription.
type CheckoutRequest struct {
	CustomerID     uuid.UUID // the customer Stripe bills (the paying customer when there is one)
	SubscriptionID string    // the refId the subscription gets once paid
	PlanID         string
	BillingPeriod  string
	ResourceID     string
	Addons         []string // "refId:quantity"
	// SubscriberID is the customer the subscription is for, when another
	// (CustomerID) pays; BillableFeatures are "featureRefId:quantity" of
	// its per-unit prices. Both go in the metadata for the webhook.
	SubscriberID     uuid.UUID
	BillableFeatures []string
	Lines            []CheckoutLine

	SuccessURL, CancelURL string
	ReferenceID           string
	AllowPromoCodes       bool
	AllowTaxIDCollection  bool
	CollectBillingAddress bool
	CollectPhoneNumber    bool
}

// CheckoutSession is a created Stripe Checkout Session.
type CheckoutSession struct {
	ID  string // cs_...
	URL string // the page the customer pays on
}

// CreateCheckout creates a Stripe Checkout Session (mode subscription) for
// req, for the customer's Stripe customer (synced first when it has none).
// Stripe creates the subscription when the customer pays.
func (s *Syncer) CreateCheckout(ctx context.Context, req CheckoutRequest) (*CheckoutSession, error) {
	if len(req.Lines) == 0 {
		return nil, apperr.New(apperr.BadUserInput, "plan %q has no price for this billing period: nothing to pay at checkout", req.PlanID)
	}
	cus, err := s.CustomerBillingID(ctx, req.CustomerID)
	if err != nil {
		return nil, err
	}
	meta := map[string]string{
		metaEnvironmentID:  s.cfg.EnvironmentID.String(),
		metaSubscriptionID: req.SubscriptionID,
		metaPlanID:         req.PlanID,
		metaBillingPeriod:  req.BillingPeriod,
	}
	if req.ResourceID != "" {
		meta[metaResourceID] = req.ResourceID
	}
	if len(req.Addons) > 0 {
		meta[metaAddons] = strings.Join(req.Addons, ",")
	}
	checkoutMetadata(meta, req)
	p := &stripe.CheckoutSessionCreateParams{
		Mode:             stripe.String(string(stripe.CheckoutSessionModeSubscription)),
		Customer:         stripe.String(cus),
		SuccessURL:       stripe.String(req.SuccessURL),
		CancelURL:        stripe.String(req.CancelURL),
		Metadata:         meta,
		SubscriptionData: &stripe.CheckoutSessionCreateSubscriptionDataParams{Metadata: meta},
	}
	for _, l := range req.Lines {
		p.LineItems = append(p.LineItems, lineItem(l))
	}
	if req.ReferenceID != "" {
		p.ClientReferenceID = stripe.String(req.ReferenceID)
	}
	if req.AllowPromoCodes {
		p.AllowPromotionCodes = stripe.Bool(true)
	}
	if req.AllowTaxIDCollection {
		p.TaxIDCollection = &stripe.CheckoutSessionCreateTaxIDCollectionParams{Enabled: stripe.Bool(true)}
		// Stripe saves a collected tax id on the customer only when it may
		// update the customer's name and address.
		p.CustomerUpdate = &stripe.CheckoutSessionCreateCustomerUpdateParams{Name: stripe.String("auto"), Address: stripe.String("auto")}
	}
	if req.CollectBillingAddress {
		p.BillingAddressCollection = stripe.String(string(stripe.CheckoutSessionBillingAddressCollectionRequired))
	}
	if req.CollectPhoneNumber {
		p.PhoneNumberCollection = &stripe.CheckoutSessionCreatePhoneNumberCollectionParams{Enabled: stripe.Bool(true)}
	}
	sess, err := s.stripe.V1CheckoutSessions.Create(ctx, p)
	if err != nil {
		return nil, apperr.New(ProviderError, "Stripe did not create the checkout session: %s", stripeMessage(err))
	}
	return &CheckoutSession{ID: sess.ID, URL: sess.URL}, nil
}

// lineItem maps a checkout line onto Stripe's: its Stripe price, or
// price_data built from the catalog price (amount in the currency's
// smallest unit, recurring every month or year).
func lineItem(l CheckoutLine) *stripe.CheckoutSessionCreateLineItemParams {
	item := &stripe.CheckoutSessionCreateLineItemParams{}
	if !l.Metered {
		item.Quantity = stripe.Int64(max(l.Quantity, 1))
	}
	if l.StripePriceID != "" {
		item.Price = stripe.String(l.StripePriceID)
		return item
	}
	interval := "month"
	if l.Period == "ANNUALLY" {
		interval = "year"
	}
	item.PriceData = &stripe.CheckoutSessionCreateLineItemPriceDataParams{
		Currency:    stripe.String(strings.ToLower(l.Currency)),
		UnitAmount:  stripe.Int64(minorUnits(l.UnitAmount, l.Currency)),
		Recurring:   &stripe.CheckoutSessionCreateLineItemPriceDataRecurringParams{Interval: stripe.String(interval)},
		ProductData: &stripe.CheckoutSessionCreateLineItemPriceDataProductDataParams{Name: stripe.String(l.Name)},
	}
	return item
}

// zeroDecimal are the currencies Stripe counts in whole units.
var zeroDecimal = map[string]bool{"BIF": true, "CLP": true, "DJF": true, "GNF": true, "JPY": true, "KMF": true, "KRW": true,
	"MGA": true, "PYG": true, "RWF": true, "UGX": true, "VND": true, "VUV": true, "XAF": true, "XOF": true, "XPF": true}

// minorUnits is amount in the currency's smallest unit, as Stripe counts.
func minorUnits(amount float64, currency string) int64 {
	if zeroDecimal[strings.ToUpper(currency)] {
		return int64(math.Round(amount))
	}
	return int64(math.Round(amount * 100))
}

// SetupIntent creates a Stripe SetupIntent for the customer's Stripe
// customer (synced first when it has none) and returns its client secret:
// what a checkout page passes to Stripe.js to collect a payment method,
// whose id then goes to applySubscription.
func (s *Syncer) SetupIntent(ctx context.Context, customerID uuid.UUID) (string, error) {
	cus, err := s.CustomerBillingID(ctx, customerID)
	if err != nil {
		return "", err
	}
	p := &stripe.SetupIntentCreateParams{
		Customer: stripe.String(cus),
		Usage:    stripe.String(string(stripe.SetupIntentUsageOffSession)),
		Metadata: map[string]string{metaEnvironmentID: s.cfg.EnvironmentID.String()},
	}
	si, err := s.stripe.V1SetupIntents.Create(ctx, p)
	if err != nil {
		return "", apperr.New(ProviderError, "Stripe did not create the setup intent: %s", stripeMessage(err))
	}
	return si.ClientSecret, nil
}

// PublishableKey is the Stripe publishable key configured for checkout
// pages, "" when none.
func (s *Syncer) PublishableKey() string { return s.cfg.PublishableKey }

// CustomerBillingID returns the Stripe customer id of the customer, first
// syncing the customer through the outbox when it has none: its row is
// queued (unless one is), then delivered by this request when no other
// worker holds it, or waited for (at most WaitTimeout) when one does. So a
// customer is created in Stripe once, by the same path as every sync.
func (s *Syncer) CustomerBillingID(ctx context.Context, customerID uuid.UUID) (string, error) {
	c, err := s.client.Customer.Get(ctx, customerID)
	if err != nil {
		return "", err
	}
	if c.BillingID != nil && *c.BillingID != "" {
		return *c.BillingID, nil
	}
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		queued, err := tx.OutboxEvent.Query().Where(outboxevent.EntityID(c.ID), outboxevent.VendorIdentifier(VendorStripe),
			outboxevent.DeliveredAtIsNil()).Exist(ctx)
		if err != nil || queued {
			return err
		}
		return s.EnqueueCustomer(ctx, tx, c)
	})
	if err != nil {
		return "", err
	}
	cl, err := s.claimWhere(ctx, s.clock.Now(), outboxevent.EntityID(c.ID))
	if err != nil {
		return "", err
	}
	if cl != nil {
		if err := s.process(ctx, cl); err != nil {
			return "", err
		}
	} else if _, err := WaitForSync(ctx, c.EnvironmentID, c.ID); err != nil {
		return "", err
	}
	if c, err = s.client.Customer.Get(ctx, customerID); err != nil {
		return "", err
	}
	if c.BillingID != nil && *c.BillingID != "" {
		return *c.BillingID, nil
	}
	why := "its sync has not finished"
	if st, err := s.client.SyncState.Query().Where(syncstate.EntityID(c.ID), syncstate.VendorIdentifier(VendorStripe)).Only(ctx); err == nil && st.Error != nil {
		why = *st.Error
	} else if err != nil && !ent.IsNotFound(err) {
		return "", err
	}
	return "", apperr.New(ProviderError, "customer %q is not in Stripe yet (%s); try again", c.CustomerID, why)
}

// AddonLine is how a checkout names an add-on and its quantity in the
// session's metadata.
func AddonLine(refID string, quantity float64) string {
	return fmt.Sprintf("%s:%g", refID, quantity)
}
