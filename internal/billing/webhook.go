package billing

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"
)

// More metadata keys of a checkout session: the customer the subscription
// is for, the one who pays when another does, and the per-unit quantities
// bought, so a completed checkout can be provisioned as it was priced.
const (
	metaPayingCustomerUUID = "stigg_paying_customer_uuid"
	metaBillableFeatures   = "stigg_billable_features"
)

// EventCheckoutCompleted is the Stripe event a paid checkout sends.
const EventCheckoutCompleted = "checkout.session.completed"

// CompletedCheckout is what a paid Stripe Checkout Session created by
// CreateCheckout bought, read back from its metadata.
type CompletedCheckout struct {
	EventID   string // evt_...
	SessionID string // cs_...
	// StripeSubscriptionID is the subscription Stripe created (sub_...),
	// "" for a session that made none.
	StripeSubscriptionID string

	EnvironmentID    uuid.UUID
	SubscriptionID   string    // the refId the subscription gets
	CustomerUUID     uuid.UUID // the subscription's customer
	PayingCustomerID uuid.UUID // uuid.Nil unless another customer pays
	PlanID           string
	BillingPeriod    string
	ResourceID       string
	Addons           []Quantity
	BillableFeatures []Quantity
}

// Quantity is an add-on or feature refId with the quantity bought.
type Quantity struct {
	RefID    string
	Quantity float64
}

// VerifyEvent checks the Stripe-Signature header of a webhook payload
// against the endpoint's signing secret (whsec_...), and its age, and
// returns the event.
func VerifyEvent(payload []byte, signature, secret string) (stripe.Event, error) {
	return webhook.ConstructEvent(payload, signature, secret)
}

// CheckoutFromEvent reads a checkout.session.completed event. It returns
// nil when the session is not ready to provision (not paid, and not a
// subscription-mode session, whose payment Stripe settles with the
// subscription) or was not created by CreateCheckout (no stigg metadata),
// and an error when its metadata is malformed.
func CheckoutFromEvent(ev stripe.Event) (*CompletedCheckout, error) {
	var sess stripe.CheckoutSession
	if ev.Data == nil {
		return nil, fmt.Errorf("event %s has no data", ev.ID)
	}
	if err := json.Unmarshal(ev.Data.Raw, &sess); err != nil {
		return nil, fmt.Errorf("event %s: not a checkout session: %w", ev.ID, err)
	}
	paid := sess.PaymentStatus == stripe.CheckoutSessionPaymentStatusPaid ||
		sess.PaymentStatus == stripe.CheckoutSessionPaymentStatusNoPaymentRequired
	if !paid && sess.Mode != stripe.CheckoutSessionModeSubscription {
		return nil, nil
	}
	m := sess.Metadata
	if m[metaSubscriptionID] == "" || m[metaEnvironmentID] == "" {
		return nil, nil
	}
	cc := &CompletedCheckout{EventID: ev.ID, SessionID: sess.ID, SubscriptionID: m[metaSubscriptionID],
		PlanID: m[metaPlanID], BillingPeriod: m[metaBillingPeriod], ResourceID: m[metaResourceID]}
	if sess.Subscription != nil {
		cc.StripeSubscriptionID = sess.Subscription.ID
	}
	var err error
	if cc.EnvironmentID, err = uuid.Parse(m[metaEnvironmentID]); err != nil {
		return nil, fmt.Errorf("session %s: metadata %s: %w", sess.ID, metaEnvironmentID, err)
	}
	if cc.CustomerUUID, err = uuid.Parse(m[metaCustomerUUID]); err != nil {
		return nil, fmt.Errorf("session %s: metadata %s: %w", sess.ID, metaCustomerUUID, err)
	}
	if v := m[metaPayingCustomerUUID]; v != "" {
		if cc.PayingCustomerID, err = uuid.Parse(v); err != nil {
			return nil, fmt.Errorf("session %s: metadata %s: %w", sess.ID, metaPayingCustomerUUID, err)
		}
	}
	if cc.PlanID == "" {
		return nil, fmt.Errorf("session %s: metadata %s is missing", sess.ID, metaPlanID)
	}
	if cc.Addons, err = parseQuantities(m[metaAddons]); err != nil {
		return nil, fmt.Errorf("session %s: metadata %s: %w", sess.ID, metaAddons, err)
	}
	if cc.BillableFeatures, err = parseQuantities(m[metaBillableFeatures]); err != nil {
		return nil, fmt.Errorf("session %s: metadata %s: %w", sess.ID, metaBillableFeatures, err)
	}
	return cc, nil
}

// parseQuantities reads "refId:quantity,..." as AddonLine writes it.
func parseQuantities(s string) ([]Quantity, error) {
	if s == "" {
		return nil, nil
	}
	var out []Quantity
	for _, part := range strings.Split(s, ",") {
		i := strings.LastIndexByte(part, ':')
		if i <= 0 {
			return nil, fmt.Errorf("%q is not refId:quantity", part)
		}
		q, err := strconv.ParseFloat(part[i+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not refId:quantity", part)
		}
		out = append(out, Quantity{RefID: part[:i], Quantity: q})
	}
	return out, nil
}

// checkoutMetadata adds to meta what CheckoutFromEvent needs beyond the
// session's plan, period, add-ons and resource.
func checkoutMetadata(meta map[string]string, req CheckoutRequest) {
	sub := req.SubscriberID
	if sub == uuid.Nil {
		sub = req.CustomerID
	}
	meta[metaCustomerUUID] = sub.String()
	if sub != req.CustomerID {
		meta[metaPayingCustomerUUID] = req.CustomerID.String()
	}
	if len(req.BillableFeatures) > 0 {
		meta[metaBillableFeatures] = strings.Join(req.BillableFeatures, ",")
	}
}
