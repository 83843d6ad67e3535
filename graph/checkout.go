package graph

import (
	"context"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/billing"
	"github.com/stigg-selfhost/stiggql/internal/store"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
)

// applySubscription is the browser SDK's checkout call. A free plan, or a
// plan the customer starts a trial of, is provisioned as
// provisionSubscription does, in one transaction. A subscription that would
// be paid right away needs a payment: without a Stripe integration for the
// environment it is BillingIntegrationMissing, and with one it needs the
// paymentMethodId collected with checkoutState's setup secret; either way
// nothing is written.
func (r *Resolver) applySubscription(ctx context.Context, in model.ApplySubscriptionInput) (*model.ApplySubscription, error) {
	env, err := environmentOf(ctx, in.EnvironmentID)
	if err != nil {
		return nil, err
	}
	sin := applyInput(&in)
	if err := r.attachCheckoutPaymentMethod(ctx, env, *firstOf(in.PayingCustomerID, &in.CustomerID), in.PaymentMethodID); err != nil {
		return nil, err
	}
	var res *subscription.Result
	err = store.WithTx(ctx, r.Client, func(tx *ent.Tx) error {
		var err error
		if res, err = r.SubscriptionService.ProvisionTx(ctx, tx, env, nil, sin); err != nil {
			return err
		}
		if !subscription.PaidNow(res.Subscription) {
			return nil
		}
		if billing.For(env) == nil {
			return apperr.New(apperr.BillingIntegrationMissing,
				"plan %q is paid and this environment has no billing integration (start the server with --stripe-secret-key); free plans and trials need none", in.PlanID)
		}
		if in.PaymentMethodID == nil || *in.PaymentMethodID == "" {
			return apperr.BadInput("paymentMethodId", "plan %q is paid: collect a payment method with checkoutState's setupSecret and send its id", in.PlanID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	registerRows(ctx, []*ent.CustomerSubscription{res.Subscription}, subID)
	ents, err := r.entitlementsAfter(ctx, env, in.CustomerID, res.Subscription.ResourceID)
	if err != nil {
		return nil, err
	}
	return &model.ApplySubscription{Subscription: res.Subscription, Entitlements: ents}, nil
}

// checkoutOptions maps provisionSubscription's checkoutOptions.
func checkoutOptions(in *model.CheckoutOptions) *subscription.CheckoutOptions {
	if in == nil {
		return nil
	}
	return &subscription.CheckoutOptions{SuccessURL: in.SuccessURL, CancelURL: in.CancelURL, ReferenceID: deref(in.ReferenceID),
		AllowPromoCodes: isTrue(in.AllowPromoCodes), AllowTaxIDCollection: isTrue(in.AllowTaxIDCollection),
		CollectBillingAddress: isTrue(in.CollectBillingAddress), CollectPhoneNumber: isTrue(in.CollectPhoneNumber)}
}

// checkoutResult is provisionSubscription's answer when the customer must
// pay on the checkout page first: no subscription yet.
func checkoutResult(co *subscription.Checkout) *model.ProvisionSubscriptionResult {
	if co == nil {
		return nil
	}
	return &model.ProvisionSubscriptionResult{ID: co.SubscriptionID, Status: model.ProvisionSubscriptionStatusPaymentRequired,
		CheckoutURL: &co.URL, CheckoutBillingID: &co.SessionID}
}

// checkoutState is what the React SDK's <Checkout> loads first: the
// customer, the plan, the subscription it replaces, and Stripe's setup
// secret and publishable key (internal/subscription CheckoutState).
func (r *Resolver) checkoutState(ctx context.Context, in model.CheckoutStateInput) (*model.CheckoutState, error) {
	env, err := environmentOf(ctx, nil)
	if err != nil {
		return nil, err
	}
	st, err := r.SubscriptionService.CheckoutState(ctx, env, in.CustomerID, in.PlanID, in.ProductID, in.ResourceID)
	if err != nil {
		return nil, err
	}
	var key *string
	if st.PublishableKey != "" {
		key = &st.PublishableKey
	}
	out := &model.CheckoutState{Customer: st.Customer, Plan: st.Plan, ActiveSubscription: st.Active, SetupSecret: st.SetupSecret,
		BillingIntegration: &model.CheckoutBillingIntegration{BillingIdentifier: model.BillingVendorIdentifierStripe,
			Credentials:        &model.CheckoutCredentials{PublicKey: key},
			BillingCredentials: model.StripeCheckoutCredentials{PublicKey: key, SetupSecret: st.SetupSecret}}}
	if st.Active != nil {
		registerRows(ctx, []*ent.CustomerSubscription{st.Active}, subID)
	}
	return out, nil
}
