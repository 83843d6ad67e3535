package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/billing"
)

// StripeWebhookPath is where Stripe sends events (docs/billing-sync.md,
// "Checkout").
const StripeWebhookPath = "/webhooks/stripe"

// maxWebhookBody bounds a Stripe event's payload (Stripe's are far smaller).
const maxWebhookBody = 1 << 20

// CheckoutCompleter provisions a paid checkout (subscription.Service).
type CheckoutCompleter interface {
	CompleteCheckout(ctx context.Context, cc *billing.CompletedCheckout) (*ent.CustomerSubscription, bool, error)
}

// StripeWebhook answers Stripe's webhook deliveries, signed with secret
// (the endpoint's whsec_...): a bad or missing signature is 400 and nothing
// is read further; checkout.session.completed provisions the subscription
// the session bought (once: a redelivery answers 200 and writes nothing);
// every other event type is acknowledged and ignored. A checkout that
// cannot be provisioned answers 422 (a refusal, e.g. the customer was
// archived meanwhile) or 500, so Stripe retries and shows the failure.
func StripeWebhook(secret string, done CheckoutCompleter, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		payload, err := io.ReadAll(io.LimitReader(r.Body, maxWebhookBody+1))
		if err != nil || len(payload) > maxWebhookBody {
			http.Error(w, "unreadable or oversized payload", http.StatusBadRequest)
			return
		}
		ev, err := billing.VerifyEvent(payload, r.Header.Get("Stripe-Signature"), secret)
		if err != nil {
			log.Warn("stripe webhook refused", "error", err)
			http.Error(w, "webhook: "+err.Error(), http.StatusBadRequest)
			return
		}
		if ev.Type != billing.EventCheckoutCompleted {
			writeJSON(w, map[string]any{"received": true, "ignored": string(ev.Type)})
			return
		}
		cc, err := billing.CheckoutFromEvent(ev)
		if err != nil {
			log.Warn("stripe webhook: malformed checkout session", "event", ev.ID, "error", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if cc == nil {
			writeJSON(w, map[string]any{"received": true, "ignored": "session not paid or not created by this server"})
			return
		}
		sub, created, err := done.CompleteCheckout(r.Context(), cc)
		var ae *apperr.Error
		switch {
		case errors.As(err, &ae):
			log.Warn("stripe webhook: checkout not provisioned", "event", ev.ID, "session", cc.SessionID, "code", ae.Code, "error", err)
			http.Error(w, string(ae.Code)+": "+ae.Message, http.StatusUnprocessableEntity)
			return
		case err != nil:
			log.Error("stripe webhook: checkout not provisioned", "event", ev.ID, "session", cc.SessionID, "error", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		log.Info("stripe checkout completed", "event", ev.ID, "session", cc.SessionID, "subscription", sub.RefID, "created", created)
		writeJSON(w, map[string]any{"received": true, "subscriptionId": sub.RefID, "created": created})
	})
}
