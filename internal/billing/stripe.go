package billing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"entgo.io/ent/dialect"
	"github.com/stripe/stripe-go/v82"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/schema/schematype"
)

// Metadata keys that tie a Stripe object to this server's entity.
const (
	metaCustomerID     = "stigg_customer_id"
	metaCustomerUUID   = "stigg_customer_uuid"
	metaEnvironmentID  = "stigg_environment_id"
	metaSubscriptionID = "stigg_subscription_id"
	metaSubscriptionUU = "stigg_subscription_uuid"
)

// Stripe's limits on custom invoice fields.
const maxInvoiceCustomFields = 4

// deliverCustomer sends the customer's latest state to Stripe. A customer
// without a billingId is first created in Stripe with only its identity
// (which never changes, so the create request is the same in every attempt
// and the oldest row's idempotency key can be reused safely), then updated
// with its data. A customer with a billingId (synced before, or linked by
// the API to an existing Stripe customer) is only updated.
func (s *Syncer) deliverCustomer(ctx context.Context, cl *claim) outcome {
	c, err := s.client.Customer.Get(ctx, cl.entityID)
	if ent.IsNotFound(err) {
		return outcome{gone: true}
	}
	if err != nil {
		return outcome{err: err}
	}
	var out outcome
	if c.BillingID != nil && *c.BillingID != "" {
		out.syncedID = *c.BillingID
	}
	if c.DeletedAt != nil {
		// Archived after the change was queued: Stripe keeps what it had.
		if out.syncedID == "" {
			out.noSync = true
		}
		return out
	}
	if out.syncedID == "" {
		p := &stripe.CustomerCreateParams{Metadata: customerIdentity(c)}
		p.SetIdempotencyKey(cl.oldest().IdempotencyKey + ":create")
		created, err := s.stripe.V1Customers.Create(ctx, p)
		if err != nil {
			out.err = err
			return out
		}
		out.syncedID = created.ID
	}
	out.linkURL = s.cfg.dashboardURL("customers", out.syncedID)
	p := customerUpdateParams(c)
	// The update carries the latest state, so its key is the newest row's,
	// qualified by what is sent: a retry of the same state reuses the key,
	// while a state that changed without a new row (archiving, a direct
	// edit) gets a fresh one instead of Stripe's "key reused with different
	// parameters" error. Updates set absolute values, so a repeat is harmless.
	p.SetIdempotencyKey(cl.newest().IdempotencyKey + ":update:" + digest(p))
	if _, err := s.stripe.V1Customers.Update(ctx, out.syncedID, p); err != nil {
		out.err = err
	}
	return out
}

// customerIdentity is the metadata that ties a Stripe customer to c.
func customerIdentity(c *ent.Customer) map[string]string {
	return map[string]string{
		metaCustomerID:    c.CustomerID,
		metaCustomerUUID:  c.ID.String(),
		metaEnvironmentID: c.EnvironmentID.String(),
	}
}

// customerUpdateParams maps a customer onto Stripe's customer object: name
// (the invoice name from billingInformation if given), email, metadata
// (additionalMetaData, then billingInformation.metadata, then the identity
// keys), address and phone, shipping address, preferred language and
// invoice custom fields. Cleared values are sent as "" so Stripe clears them.
func customerUpdateParams(c *ent.Customer) *stripe.CustomerUpdateParams {
	bi := c.BillingInfo
	if bi == nil {
		bi = &schematype.BillingInfo{}
	}
	name := deref(c.Name)
	if bi.CustomerName != nil {
		name = *bi.CustomerName
	}
	meta := stringMap(c.AdditionalMetaData)
	maps.Copy(meta, stringMap(bi.Metadata))
	maps.Copy(meta, customerIdentity(c))
	p := &stripe.CustomerUpdateParams{
		Name:     stripe.String(name),
		Email:    stripe.String(deref(c.Email)),
		Metadata: meta,
	}
	if a := bi.BillingAddress; a != nil {
		p.Address = addressParams(a)
		if a.PhoneNumber != nil {
			p.Phone = a.PhoneNumber
		}
	}
	if a := bi.ShippingAddress; a != nil {
		shipName := name
		if shipName == "" {
			shipName = c.CustomerID
		}
		p.Shipping = &stripe.CustomerUpdateShippingParams{Name: stripe.String(shipName), Address: addressParams(a), Phone: a.PhoneNumber}
	}
	if bi.Language != nil && *bi.Language != "" {
		p.PreferredLocales = []*string{bi.Language}
	}
	if len(bi.InvoiceCustomFields) > 0 {
		fields := stringMap(bi.InvoiceCustomFields)
		keys := slices.Sorted(maps.Keys(fields))
		settings := &stripe.CustomerUpdateInvoiceSettingsParams{}
		for _, k := range keys[:min(len(keys), maxInvoiceCustomFields)] {
			settings.CustomFields = append(settings.CustomFields,
				&stripe.CustomerUpdateInvoiceSettingsCustomFieldParams{Name: stripe.String(k), Value: stripe.String(fields[k])})
		}
		p.InvoiceSettings = settings
	}
	return p
}

func addressParams(a *schematype.Address) *stripe.AddressParams {
	return &stripe.AddressParams{
		Line1: stripe.String(deref(a.AddressLine1)), Line2: stripe.String(deref(a.AddressLine2)),
		City: stripe.String(deref(a.City)), State: stripe.String(deref(a.State)),
		PostalCode: stripe.String(deref(a.PostalCode)), Country: stripe.String(deref(a.Country)),
	}
}

// deliverSubscription makes Stripe's subscription match ours: created when
// ours is live and Stripe has none, cancelled when ours is cancelled or
// expired, and otherwise updated (metadata, scheduled cancellation).
func (s *Syncer) deliverSubscription(ctx context.Context, cl *claim) outcome {
	sub, err := s.client.CustomerSubscription.Query().Where(customersubscription.ID(cl.entityID)).WithPlan().Only(ctx)
	if ent.IsNotFound(err) {
		return outcome{gone: true}
	}
	if err != nil {
		return outcome{err: err}
	}
	var out outcome
	if sub.BillingID != nil && *sub.BillingID != "" {
		out.syncedID = *sub.BillingID
		out.linkURL = s.cfg.dashboardURL("subscriptions", out.syncedID)
	}
	ended := sub.Status == customersubscription.StatusCANCELED || sub.Status == customersubscription.StatusEXPIRED
	switch {
	case !needsStripe(sub):
		out.noSync = true
	case ended && out.syncedID == "":
		// Cancelled before it ever reached Stripe: nothing to undo there.
		out.noSync = true
	case ended:
		p := &stripe.SubscriptionCancelParams{}
		p.SetIdempotencyKey(cl.oldest().IdempotencyKey + ":cancel")
		if _, err := s.stripe.V1Subscriptions.Cancel(ctx, out.syncedID, p); err != nil && !alreadyGone(err) {
			out.err = err
		}
	case out.syncedID != "":
		p := &stripe.SubscriptionUpdateParams{Metadata: subscriptionIdentity(sub)}
		if sub.EffectiveEndDate != nil && sub.CancellationDate != nil {
			p.CancelAt = stripe.Int64(sub.EffectiveEndDate.Unix())
		}
		p.SetIdempotencyKey(cl.newest().IdempotencyKey + ":update:" + digest(p))
		if _, err := s.stripe.V1Subscriptions.Update(ctx, out.syncedID, p); err != nil {
			out.err = err
		}
	default:
		id, err := s.createSubscription(ctx, cl, sub)
		if err != nil {
			out.err = err
			return out
		}
		out.syncedID = id
		out.linkURL = s.cfg.dashboardURL("subscriptions", id)
	}
	return out
}

// createSubscription creates the Stripe subscription of sub for its
// billed customer, unless one already exists. The customer must have been
// synced first; until then this fails and is retried.
func (s *Syncer) createSubscription(ctx context.Context, cl *claim, sub *ent.CustomerSubscription) (string, error) {
	c, err := s.client.Customer.Get(ctx, billedCustomerID(sub))
	if err != nil {
		return "", err
	}
	if c.BillingID == nil || *c.BillingID == "" {
		return "", &notReadyError{fmt.Sprintf("customer %q is not in Stripe yet; the subscription follows once it is", c.CustomerID)}
	}
	// The create key depends on the request, which depends on the plan; a
	// subscription created by an attempt that crashed is found here instead
	// (Stripe's list is strongly consistent), so it is never created twice.
	lp := &stripe.SubscriptionListParams{Customer: c.BillingID, Status: stripe.String("all")}
	for existing, err := range s.stripe.V1Subscriptions.List(ctx, lp) {
		if err != nil {
			return "", err
		}
		if existing.Metadata[metaSubscriptionUU] == sub.ID.String() {
			return existing.ID, nil
		}
	}
	items, err := s.cfg.SubscriptionItems(ctx, s.stripe, sub)
	if err != nil {
		return "", err
	}
	p := &stripe.SubscriptionCreateParams{
		Customer: c.BillingID,
		Items:    items,
		Metadata: subscriptionIdentity(sub),
		// Without a payment method on file Stripe would refuse the
		// subscription; this creates it and leaves the first invoice open.
		PaymentBehavior: stripe.String("default_incomplete"),
	}
	if c.DefaultPaymentMethodID != nil && *c.DefaultPaymentMethodID != "" {
		// A method on file (applySubscription's paymentMethodId, the
		// default of the customer's invoices): Stripe charges it now.
		p.PaymentBehavior = stripe.String("allow_incomplete")
	}
	if sub.TrialEndDate != nil && sub.TrialEndDate.After(s.clock.Now()) {
		p.TrialEnd = stripe.Int64(sub.TrialEndDate.Unix())
	}
	p.SetIdempotencyKey(cl.oldest().IdempotencyKey + ":create:" + digest(p))
	created, err := s.stripe.V1Subscriptions.Create(ctx, p)
	if err != nil {
		return "", err
	}
	return created.ID, nil
}

func subscriptionIdentity(sub *ent.CustomerSubscription) map[string]string {
	m := map[string]string{
		metaSubscriptionID: sub.RefID,
		metaSubscriptionUU: sub.ID.String(),
		metaEnvironmentID:  sub.EnvironmentID.String(),
	}
	if ref := planRefID(sub); ref != "" {
		m["stigg_plan_id"] = ref
	}
	return m
}

// PricesByLookupKey is the default SubscriptionItems: one unit of the
// active Stripe price whose lookup key is "<planId>:<billingPeriod>" (for
// example "plan-pro:MONTHLY"), or else "<planId>". Give prices these lookup
// keys in Stripe, or configure another mapping.
func PricesByLookupKey(ctx context.Context, sc *stripe.Client, sub *ent.CustomerSubscription) ([]*stripe.SubscriptionCreateItemParams, error) {
	ref := planRefID(sub)
	if ref == "" {
		return nil, errors.New("the subscription has no plan, so no Stripe price")
	}
	var keys []string
	if sub.BillingPeriod != nil && *sub.BillingPeriod != "" {
		keys = append(keys, ref+":"+*sub.BillingPeriod)
	}
	keys = append(keys, ref)
	p := &stripe.PriceListParams{Active: stripe.Bool(true), LookupKeys: stripe.StringSlice(keys)}
	var found []*stripe.Price
	for price, err := range sc.V1Prices.List(ctx, p) {
		if err != nil {
			return nil, err
		}
		found = append(found, price)
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("no active Stripe price has the lookup key %s", strings.Join(keys, " or "))
	}
	// Stripe returns only prices with one of the keys; prefer the first key.
	pick := found[0]
	for _, pr := range found {
		if pr.LookupKey == keys[0] {
			pick = pr
			break
		}
	}
	return []*stripe.SubscriptionCreateItemParams{{Price: stripe.String(pick.ID), Quantity: stripe.Int64(1)}}, nil
}

// alreadyGone reports a Stripe answer meaning the object is already
// deleted or cancelled, which is what a cancel wanted.
func alreadyGone(err error) bool {
	var se *stripe.Error
	return errors.As(err, &se) && se.Code == stripe.ErrorCodeResourceMissing
}

// stripeMessage is the text shown in a sync state: Stripe's own message
// for API errors, the Go error otherwise (network failures).
func stripeMessage(err error) string {
	var se *stripe.Error
	if errors.As(err, &se) && se.Msg != "" {
		return se.Msg
	}
	return err.Error()
}

// stringMap turns JSON metadata into Stripe's string metadata: strings as
// they are, null as "" (which removes the key in Stripe), anything else as
// JSON.
func stringMap(m map[string]any) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		switch v := v.(type) {
		case string:
			out[k] = v
		case nil:
			out[k] = ""
		default:
			b, err := json.Marshal(v)
			if err != nil {
				b = []byte(fmt.Sprint(v))
			}
			out[k] = string(b)
		}
	}
	return out
}

// digest is a short hash of request parameters, for idempotency keys.
func digest(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func dialectOf(postgres bool) string {
	if postgres {
		return dialect.Postgres
	}
	return dialect.SQLite
}

// planRefID is the refId of the subscription's plan, loaded with it.
func planRefID(sub *ent.CustomerSubscription) string {
	if sub.Edges.Plan != nil {
		return sub.Edges.Plan.RefID
	}
	return ""
}
