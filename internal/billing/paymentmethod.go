package billing

import (
	"context"

	"github.com/google/uuid"
	"github.com/stripe/stripe-go/v82"

	"github.com/stigg-selfhost/stiggql/internal/apperr"
)

// PaymentMethod is a Stripe payment method attached to a customer.
type PaymentMethod struct {
	ID, Type, Last4   string
	ExpMonth, ExpYear int
}

// AttachPaymentMethod attaches the Stripe payment method pm (pm_..., as
// Stripe.js collected it with SetupIntent's secret) to the customer's
// Stripe customer (synced first when it has none) and makes it the
// default payment method of the customer's invoices, so the subscription
// the sync creates is charged to it. Attaching a method already attached to
// this customer is a no-op on Stripe's side, so a retried request is safe.
func (s *Syncer) AttachPaymentMethod(ctx context.Context, customerID uuid.UUID, pm string) (*PaymentMethod, error) {
	cus, err := s.CustomerBillingID(ctx, customerID)
	if err != nil {
		return nil, err
	}
	got, err := s.stripe.V1PaymentMethods.Attach(ctx, pm, &stripe.PaymentMethodAttachParams{Customer: stripe.String(cus)})
	if err != nil {
		return nil, apperr.New(ProviderError, "Stripe did not attach payment method %q: %s", pm, stripeMessage(err))
	}
	up := &stripe.CustomerUpdateParams{InvoiceSettings: &stripe.CustomerUpdateInvoiceSettingsParams{DefaultPaymentMethod: stripe.String(got.ID)}}
	if _, err := s.stripe.V1Customers.Update(ctx, cus, up); err != nil {
		return nil, apperr.New(ProviderError, "Stripe did not make %q the default payment method: %s", pm, stripeMessage(err))
	}
	out := &PaymentMethod{ID: got.ID, Type: string(got.Type)}
	if got.Card != nil {
		out.Last4, out.ExpMonth, out.ExpYear = got.Card.Last4, int(got.Card.ExpMonth), int(got.Card.ExpYear)
	}
	return out, nil
}
