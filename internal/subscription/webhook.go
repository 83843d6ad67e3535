package subscription

import (
	"context"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/billing"
	"github.com/stigg-selfhost/stiggql/internal/store"
)

// CompleteCheckout provisions the subscription a paid Stripe Checkout
// Session (ProvisionOrCheckout) bought, as its metadata names it, through
// the normal provision path, with the Stripe subscription the session
// created as its billingId (so the sync updates that one and creates no
// other). The session's refId is the idempotency key: when a subscription
// with it exists (a redelivered or concurrent event got there first), it
// returns that one and created false and writes nothing. The customer's row
// is locked before the check, so concurrent deliveries provision once.
func (s *Service) CompleteCheckout(ctx context.Context, cc *billing.CompletedCheckout) (sub *ent.CustomerSubscription, created bool, err error) {
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c, err := tx.Customer.Query().Where(customer.ID(cc.CustomerUUID), customer.EnvironmentID(cc.EnvironmentID)).Only(ctx)
		if ent.IsNotFound(err) {
			return apperr.New(apperr.CustomerNotFound, "the customer of checkout session %s was not found", cc.SessionID)
		}
		if err != nil {
			return err
		}
		// Locks the customer's row (as every subscription change does).
		if c, err = liveCustomer(ctx, tx, cc.EnvironmentID, c.CustomerID, "customerId", true); err != nil {
			return err
		}
		if sub, err = existing(ctx, tx.CustomerSubscription, cc); sub != nil || err != nil {
			return err
		}
		in, err := checkoutInput(ctx, tx, c, cc)
		if err != nil {
			return err
		}
		res, err := s.ProvisionTx(ctx, tx, cc.EnvironmentID, c, in)
		if err != nil {
			return err
		}
		sub, created = res.Subscription, true
		return nil
	})
	if err != nil && (ent.IsConstraintError(err) || apperr.CodeOf(err) == apperr.DuplicatedEntityNotAllowed) {
		// Another delivery inserted the refId between our check and insert
		// (not expected under the customer's lock; kept as a backstop).
		created = false
		if sub, err = existing(ctx, s.client.CustomerSubscription, cc); err == nil && sub == nil {
			err = apperr.New(apperr.DuplicatedEntityNotAllowed, "subscription %q could not be provisioned", cc.SubscriptionID)
		}
	}
	return sub, created, err
}

// existing is the subscription with the checkout's refId, nil when none.
func existing(ctx context.Context, subs *ent.CustomerSubscriptionClient, cc *billing.CompletedCheckout) (*ent.CustomerSubscription, error) {
	sub, err := subs.Query().Where(customersubscription.EnvironmentID(cc.EnvironmentID), customersubscription.RefID(cc.SubscriptionID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return sub, err
}

// checkoutInput is the provision input the checkout was priced from. The
// session was only created for a subscription paid from its start, so no
// trial is started now.
func checkoutInput(ctx context.Context, tx *ent.Tx, c *ent.Customer, cc *billing.CompletedCheckout) (Input, error) {
	ref := cc.SubscriptionID
	in := Input{CustomerID: c.CustomerID, PlanID: cc.PlanID, RefID: &ref, SkipTrial: true}
	if cc.BillingPeriod != "" {
		in.BillingPeriod = &cc.BillingPeriod
	}
	if cc.ResourceID != "" {
		in.ResourceID = &cc.ResourceID
	}
	if cc.StripeSubscriptionID != "" {
		in.BillingID = &cc.StripeSubscriptionID
	}
	for _, a := range cc.Addons {
		in.Addons = append(in.Addons, AddonQuantity{RefID: a.RefID, Quantity: a.Quantity})
	}
	for _, f := range cc.BillableFeatures {
		in.BillableFeatures = append(in.BillableFeatures, FeatureQuantity{FeatureRefID: f.RefID, Quantity: f.Quantity})
	}
	if cc.PayingCustomerID != uuid.Nil {
		pc, err := tx.Customer.Query().Where(customer.ID(cc.PayingCustomerID), customer.EnvironmentID(cc.EnvironmentID)).Only(ctx)
		if ent.IsNotFound(err) {
			return in, apperr.New(apperr.CustomerNotFound, "the paying customer of checkout session %s was not found", cc.SessionID)
		}
		if err != nil {
			return in, err
		}
		in.PayingCustomerID = &pc.CustomerID
	}
	return in, nil
}
