package subscription

import (
	"context"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/billing"
	"github.com/stigg-selfhost/stiggql/internal/store"
)

// CheckoutState is what a checkout page (the React SDK's <Checkout>) needs
// to let a customer subscribe to a plan and pay for it with Stripe.js.
type CheckoutState struct {
	Customer *ent.Customer
	Plan     *ent.Plan
	// Active is the customer's live subscription to the plan's product
	// (for the resource when one is named): what the checkout replaces.
	Active *ent.CustomerSubscription
	// SetupSecret is the client secret of a Stripe SetupIntent for the
	// customer's Stripe customer: Stripe.js collects a payment method with
	// it, and its id goes to applySubscription as paymentMethodId.
	SetupSecret string
	// PublishableKey is the Stripe publishable key configured for
	// checkout pages ("" when none).
	PublishableKey string
}

// CheckoutState prepares the checkout of plan planID (of product productID
// when given) for the customer: BillingIntegrationMissing without a Stripe
// integration (a checkout page has nothing to collect payment with), the
// lookups' own codes for an unknown customer or plan, and otherwise a new
// SetupIntent (the customer is synced to Stripe first when it is not yet).
func (s *Service) CheckoutState(ctx context.Context, env uuid.UUID, customerID, planID string, productID, resourceID *string) (*CheckoutState, error) {
	syncer := billing.For(env)
	if syncer == nil {
		return nil, apperr.New(apperr.BillingIntegrationMissing,
			"checkout needs a billing integration and this environment has none (start the server with --stripe-secret-key)")
	}
	out := &CheckoutState{PublishableKey: syncer.PublishableKey()}
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		var err error
		if out.Customer, err = liveCustomer(ctx, tx, env, customerID, "customerId", false); err != nil {
			return err
		}
		out.Plan, err = loadPlan(ctx, tx, env, planID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if productID != nil && out.Plan.Edges.Product.RefID != *productID {
		return nil, apperr.BadInput("productId", "plan %q is not a plan of product %q", planID, *productID)
	}
	var ids []string
	if resourceID != nil {
		ids = []string{*resourceID}
	}
	subs, err := s.Active(ctx, env, customerID, ids)
	if err != nil {
		return nil, err
	}
	for _, sub := range subs {
		if s.sameProduct(ctx, sub, out.Plan) {
			out.Active = sub
			break
		}
	}
	if out.SetupSecret, err = syncer.SetupIntent(ctx, out.Customer.ID); err != nil {
		return nil, err
	}
	return out, nil
}

// sameProduct reports whether sub is a subscription to a plan of p's product.
func (s *Service) sameProduct(ctx context.Context, sub *ent.CustomerSubscription, p *ent.Plan) bool {
	sp, err := s.client.Plan.Get(ctx, sub.PlanID)
	return err == nil && sp.ProductID == p.ProductID
}
