package graph

import (
	"context"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/internal/billing"
	"github.com/stigg-selfhost/stiggql/internal/customers"
)

// attachCheckoutPaymentMethod is applySubscription's paymentMethodId, when
// Stripe is configured: attached to the paying customer's Stripe customer
// as its default for invoices (internal/subscription AttachPaymentMethod),
// then recorded as the customer's default payment method, before the
// subscription is provisioned, so the Stripe subscription the sync creates
// is charged to it. Without Stripe, or without a paymentMethodId, nothing.
func (r *Resolver) attachCheckoutPaymentMethod(ctx context.Context, env uuid.UUID, payer string, pm *string) error {
	if pm == nil || *pm == "" || billing.For(env) == nil {
		return nil
	}
	got, err := r.SubscriptionService.AttachPaymentMethod(ctx, env, payer, *pm)
	if err != nil {
		return err
	}
	rec := customers.PaymentMethod{ID: got.ID}
	if got.Type != "" {
		rec.Type = &got.Type
	}
	if got.Last4 != "" {
		rec.Last4Digits, rec.ExpirationMonth, rec.ExpirationYear = &got.Last4, &got.ExpMonth, &got.ExpYear
	}
	_, err = r.CustomerService.AttachPaymentMethod(ctx, env, payer, rec)
	return err
}
