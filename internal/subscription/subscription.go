// Package subscription is the subscription lifecycle: provision (with trial,
// scheduled start and replacement of the product's current subscription),
// update, cancel, and the reads of a subscription's status, billing period
// and price. Status is computed on read from the dates (status.go), so trials
// end and subscriptions expire by the clock, with no background job.
//
// Every write runs in one transaction and validates before it writes: an
// unknown plan, add-on, feature or coupon, an incompatible add-on or a bad
// quantity leaves the store as it was.
package subscription

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/predicate"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/store"
)

// Cancel reasons this package writes (Stigg's SubscriptionCancelReason).
const (
	ReasonUpgradeOrDowngrade    = "UpgradeOrDowngrade"
	ReasonImmediate             = "Immediate"
	ReasonScheduledCancellation = "ScheduledCancellation"
)

// Service runs subscription operations against the store.
type Service struct {
	client *ent.Client
	clock  clock.Clock
	// tax is the tax rate of invoices and estimates; nil: no tax.
	tax *Tax
}

// New returns a Service.
func New(client *ent.Client, clk clock.Clock) *Service { return &Service{client: client, clock: clk} }

// AddonQuantity is an add-on to put on a subscription.
type AddonQuantity struct {
	RefID    string
	Quantity float64
}

// FeatureQuantity is the purchased quantity of a per-unit priced feature.
type FeatureQuantity struct {
	FeatureRefID string
	Quantity     float64
}

// TrialOverride replaces the plan's default trial decision.
type TrialOverride struct {
	IsTrial     bool
	EndDate     *time.Time
	EndBehavior *string
}

// Input provisions a subscription (provisionSubscription, createSubscription,
// provisionCustomer's subscriptionParams). Ids are refIds.
type Input struct {
	CustomerID         string
	PayingCustomerID   *string
	PlanID             string
	RefID              *string
	ResourceID         *string
	BillingPeriod      *string
	BillingCountryCode *string
	StartDate          *time.Time
	EndDate            *time.Time
	SkipTrial          bool
	Trial              *TrialOverride
	Addons             []AddonQuantity
	BillableFeatures   []FeatureQuantity
	UnitQuantity       *float64
	CouponRefID        *string
	Metadata           map[string]any
	BillingID          *string
	SalesforceID       *string
	CrmID              *string
	// Entitlements and PriceOverrides are the subscription's own
	// entitlements and prices (overrides.go).
	Entitlements   []EntitlementOverride
	PriceOverrides []PriceOverride
	// CancellationDate schedules the cancellation at that time, as
	// cancelSubscription with SPECIFIC_DATE does.
	CancellationDate *time.Time
	// AnchorNow restarts the billing periods at the time of the call
	// (billingCycleAnchor NOW) for a subscription that started before it.
	AnchorNow bool
}

// Entitlement is what a subscription grants of one feature: its plan's
// entitlement (own or inherited) and its add-ons' combined.
type Entitlement struct {
	Feature     *ent.Feature
	UsageLimit  *float64
	Unlimited   bool
	SoftLimit   bool
	ResetPeriod *string
	EnumValues  []string
}

// Result is a provisioned subscription.
type Result struct {
	Subscription *ent.CustomerSubscription
	// Replaced are the subscriptions it replaced (cancelled as UpgradeOrDowngrade).
	Replaced     []*ent.CustomerSubscription
	Entitlements []Entitlement
}

func validateInput(in *Input) error {
	if in.CustomerID == "" {
		return apperr.BadInput("customerId", "customerId is required")
	}
	if in.PlanID == "" {
		return apperr.BadInput("planId", "planId is required")
	}
	if in.RefID != nil && (*in.RefID == "" || len(*in.RefID) > 255) {
		return apperr.BadInput("subscriptionId", "subscriptionId must be 1 to 255 characters")
	}
	if in.StartDate != nil && in.EndDate != nil && !in.EndDate.After(*in.StartDate) {
		return apperr.BadInput("endDate", "endDate must be after startDate")
	}
	if in.BillingPeriod != nil && *in.BillingPeriod != "MONTHLY" && *in.BillingPeriod != "ANNUALLY" {
		return apperr.BadInput("billingPeriod", "billingPeriod must be MONTHLY or ANNUALLY")
	}
	if in.CancellationDate != nil && in.StartDate != nil && !in.CancellationDate.After(*in.StartDate) {
		return apperr.BadInput("cancellationDate", "cancellationDate must be after startDate")
	}
	return validateQuantities(in.Addons, in.BillableFeatures, in.UnitQuantity)
}

func validateQuantities(addons []AddonQuantity, features []FeatureQuantity, unit *float64) error {
	for _, a := range addons {
		if a.Quantity < 1 || a.Quantity != float64(int64(a.Quantity)) {
			return &apperr.Error{Code: apperr.InvalidQuantity, Field: "addons", Message: "add-on " + a.RefID + ": quantity must be a whole number of at least 1"}
		}
	}
	for _, f := range features {
		if f.Quantity < 0 {
			return &apperr.Error{Code: apperr.InvalidQuantity, Field: "billableFeatures", Message: "feature " + f.FeatureRefID + ": quantity must not be negative"}
		}
	}
	if unit != nil && *unit < 0 {
		return &apperr.Error{Code: apperr.InvalidQuantity, Field: "unitQuantity", Message: "unitQuantity must not be negative"}
	}
	return nil
}

// liveCustomer returns the live customer with the slug: CustomerIsArchived
// when only an archived one has it, CustomerNotFound when none.
//
// The rows are locked for the rest of tx (store.LockRows) when lock is set:
// a subscription change holds its customer's row, so changes to one
// customer's subscriptions, and an archive of the customer, run one after
// the other on PostgreSQL as they do on SQLite. Locks are taken customer
// first, then subscription, everywhere.
func liveCustomer(ctx context.Context, tx *ent.Tx, env uuid.UUID, slug, field string, lock bool) (*ent.Customer, error) {
	q := tx.Customer.Query().Where(customer.EnvironmentID(env), customer.CustomerID(slug))
	if lock {
		q = store.ForUpdate(q)
	}
	rows, err := q.All(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range rows {
		if c.DeletedAt == nil {
			return c, nil
		}
	}
	if len(rows) > 0 {
		return nil, &apperr.Error{Code: apperr.CustomerIsArchived, Field: field, Message: "customer " + slug + " is archived"}
	}
	return nil, &apperr.Error{Code: apperr.CustomerNotFound, Field: field, Message: "customer " + slug + " was not found"}
}

// Get returns the subscription with the refId.
func (s *Service) Get(ctx context.Context, env uuid.UUID, refID string) (*ent.CustomerSubscription, error) {
	return get(ctx, s.client.CustomerSubscription.Query(), env, refID)
}

func get(ctx context.Context, q *ent.CustomerSubscriptionQuery, env uuid.UUID, refID string) (*ent.CustomerSubscription, error) {
	sub, err := q.Where(customersubscription.EnvironmentID(env), customersubscription.RefID(refID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, &apperr.Error{Code: apperr.SubscriptionNotFound, Field: "subscriptionId", Message: "subscription " + refID + " was not found"}
	}
	return sub, err
}

// getForUpdate is get for a read-modify-write in tx: it locks the
// subscription's customer and then the subscription (store.LockRows), in
// the order provisioning takes them, and returns the subscription as it is
// once no other transaction holds it.
func getForUpdate(ctx context.Context, tx *ent.Tx, env uuid.UUID, refID string) (*ent.CustomerSubscription, error) {
	sub, err := get(ctx, tx.CustomerSubscription.Query(), env, refID)
	if err != nil {
		return nil, err
	}
	if _, err := store.ForUpdate(tx.Customer.Query().Where(customer.ID(sub.CustomerID))).IDs(ctx); err != nil {
		return nil, err
	}
	return get(ctx, store.ForUpdate(tx.CustomerSubscription.Query()), env, refID)
}

// Active returns the customer's active subscriptions (ACTIVE or IN_TRIAL
// now), newest first, optionally only those of the given resources.
func (s *Service) Active(ctx context.Context, env uuid.UUID, customerID string, resourceIDs []string) ([]*ent.CustomerSubscription, error) {
	c, err := s.client.Customer.Query().Where(customer.EnvironmentID(env), customer.CustomerID(customerID), customer.DeletedAtIsNil()).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, &apperr.Error{Code: apperr.CustomerNotFound, Field: "customerId", Message: "customer " + customerID + " was not found"}
	}
	if err != nil {
		return nil, err
	}
	q := s.client.CustomerSubscription.Query().Where(customersubscription.CustomerID(c.ID),
		predicate.CustomerSubscription(ActivePredicate(s.clock.Now()))).
		Order(ent.Desc(customersubscription.FieldCreatedAt), ent.Desc(customersubscription.FieldID))
	if len(resourceIDs) > 0 {
		q.Where(customersubscription.ResourceIDIn(resourceIDs...))
	}
	return q.All(ctx)
}
