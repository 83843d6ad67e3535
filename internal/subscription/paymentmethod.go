package subscription

import (
	"context"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/billing"
)

// AttachPaymentMethod attaches the Stripe payment method pm to the Stripe
// customer of the live customer with slug customerRef (the one who pays
// for the subscription applySubscription is about to create) and makes it
// the default of its invoices. It is BillingIntegrationMissing without a
// Stripe integration for the environment.
func (s *Service) AttachPaymentMethod(ctx context.Context, env uuid.UUID, customerRef, pm string) (*billing.PaymentMethod, error) {
	syncer := billing.For(env)
	if syncer == nil {
		return nil, apperr.New(apperr.BillingIntegrationMissing,
			"paymentMethodId needs a billing integration (start the server with --stripe-secret-key)")
	}
	var c *ent.Customer
	tx, err := s.client.Tx(ctx)
	if err != nil {
		return nil, err
	}
	c, err = liveCustomer(ctx, tx, env, customerRef, "customerId", false)
	_ = tx.Rollback() // read only
	if err != nil {
		return nil, err
	}
	return syncer.AttachPaymentMethod(ctx, c.ID, pm)
}
