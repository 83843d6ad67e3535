// Package customers is the customer lifecycle: provision, import, update,
// archive and unarchive, payment methods. Every method is scoped to one
// environment and runs in one transaction; validation happens before
// anything is written.
package customers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/coupon"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/predicate"
	"github.com/stigg-selfhost/stiggql/ent/schema/schematype"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/store"
)

// Service runs customer operations against the store.
type Service struct {
	client *ent.Client
	clock  clock.Clock
	// Hooks run inside the write transaction after each change, so that
	// follow-up work (a billing sync outbox row, an event) commits or rolls
	// back with it.
	hooks []Hook
}

// Hook observes a customer change inside its transaction.
type Hook func(ctx context.Context, tx *ent.Tx, op Op, c *ent.Customer) error

// Op names the kind of change a Hook sees.
type Op string

// The customer changes hooks are told about.
const (
	OpCreated    Op = "created"
	OpUpdated    Op = "updated"
	OpArchived   Op = "archived"
	OpUnarchived Op = "unarchived"
)

// SyncsToBilling adapts a billing queue (billing.CustomerChanged) into the
// Hook that passes it creations and updates, never archiving or
// unarchiving. It lives here so that billing does not depend on customers.
func SyncsToBilling(enqueue func(ctx context.Context, tx *ent.Tx, c *ent.Customer) error) Hook {
	return func(ctx context.Context, tx *ent.Tx, op Op, c *ent.Customer) error {
		if op == OpCreated || op == OpUpdated {
			return enqueue(ctx, tx, c)
		}
		return nil
	}
}

// New returns a Service.
func New(client *ent.Client, clk clock.Clock, hooks ...Hook) *Service {
	return &Service{client: client, clock: clk, hooks: hooks}
}

// AddHook registers a hook for later changes.
func (s *Service) AddHook(h Hook) { s.hooks = append(s.hooks, h) }

func (s *Service) notify(ctx context.Context, tx *ent.Tx, op Op, c *ent.Customer) error {
	for _, h := range s.hooks {
		if err := h(ctx, tx, op, c); err != nil {
			return err
		}
	}
	return nil
}

// Fields are the customer's free-form data shared by every write path.
type Fields struct {
	Name                     *string
	Email                    *string
	BillingID                *string
	BillingCurrency          *string
	CrmID                    *string
	SalesforceID             *string
	AwsMarketplaceCustomerID *string
	PaymentMethodID          *string
	Metadata                 map[string]any
	ExcludeFromExperiment    *bool
	// BillingInfo is kept for the billing vendor (address, invoice name, ...).
	BillingInfo *schematype.BillingInfo
}

// CreateInput creates a customer (provisionCustomer, createOneCustomer).
type CreateInput struct {
	// CustomerID is the slug; empty means "make one up", as Stigg does.
	CustomerID  string
	Fields      Fields
	CreatedAt   *time.Time
	CouponRefID *string
}

// Patch changes only the fields that are set; a field set to nil clears it.
type Patch struct {
	Name                     graphql.Omittable[*string]
	Email                    graphql.Omittable[*string]
	BillingID                graphql.Omittable[*string]
	BillingCurrency          graphql.Omittable[*string]
	CrmID                    graphql.Omittable[*string]
	SalesforceID             graphql.Omittable[*string]
	AwsMarketplaceCustomerID graphql.Omittable[*string]
	PaymentMethodID          graphql.Omittable[*string]
	Metadata                 graphql.Omittable[map[string]any]
	CouponRefID              graphql.Omittable[*string]
	// BillingInfo, when set, is merged into the stored billing information:
	// the fields it sets replace the stored ones, the others stay.
	BillingInfo *schematype.BillingInfo
}

// PaymentMethod is a default payment method as a billing vendor reports it.
type PaymentMethod struct {
	ID              string
	Type            *string
	Last4Digits     *string
	ExpirationMonth *int
	ExpirationYear  *int
	BillingCurrency *string
}

// NewCustomerID makes up a customer slug for callers that give none.
func NewCustomerID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "customer-" + hex.EncodeToString(b[:])
}

// Get returns the live customer with the given slug.
// Only the columns given are read (all when none are).
func (s *Service) Get(ctx context.Context, env uuid.UUID, customerID string, columns ...string) (*ent.Customer, error) {
	c, err := GetQuery(s.client.Customer, env, customerID, columns...).Only(ctx)
	return c, notFound(err, customerID)
}

// GetQuery is the query Get runs (before its Only), for a caller that runs
// it its own way (Reads.Customer reuses its SQL text, rendered.go).
func GetQuery(c *ent.CustomerClient, env uuid.UUID, customerID string, columns ...string) *ent.CustomerQuery {
	q := liveQuery(c, env, customerID)
	if len(columns) > 0 {
		q.Select(columns...)
	}
	return q
}

// NotFound is the error Get returns for err when it is ent's not-found.
func NotFound(err error, customerID string) error { return notFound(err, customerID) }

func liveQuery(c *ent.CustomerClient, env uuid.UUID, customerID string) *ent.CustomerQuery {
	return c.Query().Where(livePredicates(env, customerID)...)
}

// livePredicates find env's live customer customerID.
func livePredicates(env uuid.UUID, customerID string) []predicate.Customer {
	return []predicate.Customer{customer.EnvironmentID(env), customer.CustomerID(customerID), customer.DeletedAtIsNil()}
}

// getLiveTx reads the live customer in tx and locks its row for the rest of
// tx (store.LockRows): every read-modify-write of a customer starts here, so
// two of them on one customer run one after the other on PostgreSQL as they
// do on SQLite.
func getLiveTx(ctx context.Context, tx *ent.Tx, env uuid.UUID, customerID string) (*ent.Customer, error) {
	c, err := store.ForUpdate(liveQuery(tx.Customer, env, customerID)).Only(ctx)
	return c, notFound(err, customerID)
}

func notFound(err error, customerID string) error {
	if ent.IsNotFound(err) {
		return apperr.New(apperr.CustomerNotFound, "customer %q was not found", customerID)
	}
	return err
}

func duplicate(customerID string) error {
	return apperr.New(apperr.DuplicatedEntityNotAllowed, "a customer with customerId %q already exists", customerID)
}

// couponByRef returns the id of the environment's active coupon with the
// refId: CouponNotFound when there is none, ArchivedCouponCantBeApplied
// when it is archived.
func couponByRef(ctx context.Context, tx *ent.Tx, env uuid.UUID, refID string) (uuid.UUID, error) {
	c, err := tx.Coupon.Query().Where(coupon.EnvironmentID(env), coupon.RefID(refID)).Only(ctx)
	if ent.IsNotFound(err) {
		return uuid.Nil, &apperr.Error{Code: apperr.CouponNotFound, Field: "couponRefId", Message: fmt.Sprintf("coupon %q was not found", refID)}
	}
	if err != nil {
		return uuid.Nil, err
	}
	if c.Status != coupon.StatusACTIVE {
		return uuid.Nil, &apperr.Error{Code: apperr.ArchivedCouponCantBeApplied, Field: "couponRefId", Message: fmt.Sprintf("coupon %q is archived", refID)}
	}
	return c.ID, nil
}

// Create creates a customer. A live customer with the same slug is an error.
func (s *Service) Create(ctx context.Context, env uuid.UUID, in CreateInput) (*ent.Customer, error) {
	return s.CreateWith(ctx, env, in, nil)
}

// CreateWith creates a customer and runs then, in the same transaction,
// with the new customer (provisionCustomer uses it for the subscription).
func (s *Service) CreateWith(ctx context.Context, env uuid.UUID, in CreateInput, then func(ctx context.Context, tx *ent.Tx, c *ent.Customer) error) (*ent.Customer, error) {
	if in.CustomerID == "" {
		in.CustomerID = NewCustomerID()
	}
	if err := validateCustomerID("customerId", in.CustomerID); err != nil {
		return nil, err
	}
	if err := validateFields("", &in.Fields); err != nil {
		return nil, err
	}
	var out *ent.Customer
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		var couponID *uuid.UUID
		if in.CouponRefID != nil {
			id, err := couponByRef(ctx, tx, env, *in.CouponRefID)
			if err != nil {
				return err
			}
			couponID = &id
		}
		exists, err := liveQuery(tx.Customer, env, in.CustomerID).Exist(ctx)
		if err != nil {
			return err
		}
		if exists {
			return duplicate(in.CustomerID)
		}
		now := s.clock.Now()
		created := now
		if in.CreatedAt != nil {
			created = *in.CreatedAt
		}
		c, err := s.createBuilder(tx, env, in.CustomerID, &in.Fields, created, now).SetNillableCouponID(couponID).Save(ctx)
		if ent.IsConstraintError(err) {
			return duplicate(in.CustomerID)
		}
		if err != nil {
			return err
		}
		if err := s.notify(ctx, tx, OpCreated, c); err != nil {
			return err
		}
		if then != nil {
			if err := then(ctx, tx, c); err != nil {
				return err
			}
		}
		out = c
		return nil
	})
	return out, err
}

func (s *Service) createBuilder(tx *ent.Tx, env uuid.UUID, customerID string, f *Fields, created, updated time.Time) *ent.CustomerCreate {
	b := tx.Customer.Create().
		SetEnvironmentID(env).
		SetCustomerID(customerID).
		SetNillableName(f.Name).
		SetNillableEmail(f.Email).
		SetNillableBillingID(f.BillingID).
		SetNillableBillingCurrency(f.BillingCurrency).
		SetNillableCrmID(f.CrmID).
		SetNillableSalesforceID(f.SalesforceID).
		SetNillableAWSMarketplaceCustomerID(f.AwsMarketplaceCustomerID).
		SetNillableDefaultPaymentMethodID(f.PaymentMethodID).
		SetNillableExcludeFromExperiment(f.ExcludeFromExperiment).
		SetAdditionalMetaData(f.Metadata).
		SetCreatedAt(created).
		SetUpdatedAt(updated)
	if f.BillingInfo != nil {
		b.SetBillingInfo(f.BillingInfo)
	}
	return b
}

// applyFields sets every non-nil field of f on u (imports overwrite what
// they carry and keep the rest).
func applyFields(u *ent.CustomerUpdateOne, f *Fields) {
	u.SetNillableName(f.Name).
		SetNillableEmail(f.Email).
		SetNillableBillingID(f.BillingID).
		SetNillableBillingCurrency(f.BillingCurrency).
		SetNillableCrmID(f.CrmID).
		SetNillableSalesforceID(f.SalesforceID).
		SetNillableAWSMarketplaceCustomerID(f.AwsMarketplaceCustomerID).
		SetNillableDefaultPaymentMethodID(f.PaymentMethodID).
		SetNillableExcludeFromExperiment(f.ExcludeFromExperiment)
	if f.Metadata != nil {
		u.SetAdditionalMetaData(f.Metadata)
	}
}

// updateLive changes the live customer with the slug in one transaction:
// change adds its fields to the update (updatedAt is set here), and the
// hooks see the result as op.
func (s *Service) updateLive(ctx context.Context, env uuid.UUID, customerID string, op Op,
	change func(tx *ent.Tx, c *ent.Customer, u *ent.CustomerUpdateOne, now time.Time) error) (*ent.Customer, error) {
	var out *ent.Customer
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c, err := getLiveTx(ctx, tx, env, customerID)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		u := tx.Customer.UpdateOne(c).SetUpdatedAt(now)
		if err := change(tx, c, u, now); err != nil {
			return err
		}
		if out, err = u.Save(ctx); err != nil {
			return err
		}
		return s.notify(ctx, tx, op, out)
	})
	return out, err
}

// Update applies a patch to the live customer with the given slug.
func (s *Service) Update(ctx context.Context, env uuid.UUID, customerID string, p Patch) (*ent.Customer, error) {
	f := Fields{}
	for _, o := range []struct {
		v   graphql.Omittable[*string]
		dst **string
	}{
		{p.Name, &f.Name}, {p.Email, &f.Email}, {p.BillingID, &f.BillingID}, {p.CrmID, &f.CrmID},
		{p.SalesforceID, &f.SalesforceID}, {p.AwsMarketplaceCustomerID, &f.AwsMarketplaceCustomerID},
		{p.PaymentMethodID, &f.PaymentMethodID},
	} {
		*o.dst = o.v.Value()
	}
	if err := validateFields("", &f); err != nil {
		return nil, err
	}
	return s.updateLive(ctx, env, customerID, OpUpdated, func(tx *ent.Tx, c *ent.Customer, u *ent.CustomerUpdateOne, _ time.Time) error {
		if ref, ok := p.CouponRefID.ValueOK(); ok {
			if ref == nil {
				u.ClearCouponID()
			} else {
				id, err := couponByRef(ctx, tx, env, *ref)
				if err != nil {
					return err
				}
				u.SetCouponID(id)
			}
		}
		setOrClear(p.Name, u.SetName, u.ClearName)
		setOrClear(p.Email, u.SetEmail, u.ClearEmail)
		setOrClear(p.BillingID, u.SetBillingID, u.ClearBillingID)
		setOrClear(p.BillingCurrency, u.SetBillingCurrency, u.ClearBillingCurrency)
		setOrClear(p.CrmID, u.SetCrmID, u.ClearCrmID)
		setOrClear(p.SalesforceID, u.SetSalesforceID, u.ClearSalesforceID)
		setOrClear(p.AwsMarketplaceCustomerID, u.SetAWSMarketplaceCustomerID, u.ClearAWSMarketplaceCustomerID)
		setOrClear(p.PaymentMethodID, u.SetDefaultPaymentMethodID, u.ClearDefaultPaymentMethodID)
		if p.BillingInfo != nil {
			u.SetBillingInfo(c.BillingInfo.Merge(p.BillingInfo))
		}
		if m, ok := p.Metadata.ValueOK(); ok {
			if m == nil {
				u.ClearAdditionalMetaData()
			} else {
				u.SetAdditionalMetaData(m)
			}
		}
		return nil
	})
}

// setOrClear applies one optional field of a patch: absent leaves the
// column, nil clears it, a value sets it.
func setOrClear[T, B any](o graphql.Omittable[*T], set func(T) B, clear func() B) {
	v, ok := o.ValueOK()
	switch {
	case !ok:
	case v == nil:
		clear()
	default:
		set(*v)
	}
}

// Archive soft-deletes the live customer: deletedAt is set and, as Stigg
// does, name and email are cleared. The slug becomes free for a new customer.
func (s *Service) Archive(ctx context.Context, env uuid.UUID, customerID string) (*ent.Customer, error) {
	return s.updateLive(ctx, env, customerID, OpArchived, func(_ *ent.Tx, _ *ent.Customer, u *ent.CustomerUpdateOne, now time.Time) error {
		u.SetDeletedAt(now).ClearName().ClearEmail()
		return nil
	})
}

// Unarchive restores the most recently archived customer with the slug,
// unless a live customer took the slug meanwhile.
func (s *Service) Unarchive(ctx context.Context, env uuid.UUID, customerID string) (*ent.Customer, error) {
	var out *ent.Customer
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		taken, err := liveQuery(tx.Customer, env, customerID).Exist(ctx)
		if err != nil {
			return err
		}
		if taken {
			return apperr.New(apperr.DuplicatedEntityNotAllowed, "customerId %q is used by a live customer; archive it first", customerID)
		}
		// Locked: of concurrent unarchives, the first restores the row and
		// the others, once it commits, no longer find it archived.
		c, err := store.ForUpdate(tx.Customer.Query().
			Where(customer.EnvironmentID(env), customer.CustomerID(customerID), customer.DeletedAtNotNil()).
			Order(ent.Desc(customer.FieldDeletedAt), ent.Desc(customer.FieldCreatedAt), ent.Desc(customer.FieldID))).First(ctx)
		if ent.IsNotFound(err) {
			return apperr.New(apperr.CustomerNotFound, "no archived customer with customerId %q", customerID)
		}
		if err != nil {
			return err
		}
		out, err = tx.Customer.UpdateOne(c).ClearDeletedAt().SetUpdatedAt(s.clock.Now()).Save(ctx)
		if ent.IsConstraintError(err) {
			return apperr.New(apperr.DuplicatedEntityNotAllowed, "customerId %q is used by a live customer", customerID)
		}
		if err != nil {
			return err
		}
		return s.notify(ctx, tx, OpUnarchived, out)
	})
	return out, err
}

// AttachPaymentMethod stores pm as the customer's default payment method.
func (s *Service) AttachPaymentMethod(ctx context.Context, env uuid.UUID, customerID string, pm PaymentMethod) (*ent.Customer, error) {
	if pm.ID == "" {
		return nil, apperr.BadInput("paymentMethodId", "paymentMethodId must not be empty")
	}
	if err := validateLen("paymentMethodId", &pm.ID, MaxIDFieldLen); err != nil {
		return nil, err
	}
	return s.updateLive(ctx, env, customerID, OpUpdated, func(_ *ent.Tx, _ *ent.Customer, u *ent.CustomerUpdateOne, _ time.Time) error {
		// The new method replaces the old one whole: details it lacks are cleared.
		u.SetDefaultPaymentMethodID(pm.ID).SetNillableBillingCurrency(pm.BillingCurrency)
		setOrClear(graphql.OmittableOf(pm.Type), u.SetDefaultPaymentMethodType, u.ClearDefaultPaymentMethodType)
		setOrClear(graphql.OmittableOf(pm.Last4Digits), u.SetDefaultPaymentMethodLast4Digits, u.ClearDefaultPaymentMethodLast4Digits)
		setOrClear(graphql.OmittableOf(pm.ExpirationMonth), u.SetDefaultPaymentExpirationMonth, u.ClearDefaultPaymentExpirationMonth)
		setOrClear(graphql.OmittableOf(pm.ExpirationYear), u.SetDefaultPaymentExpirationYear, u.ClearDefaultPaymentExpirationYear)
		return nil
	})
}

// DetachPaymentMethod clears the customer's default payment method.
func (s *Service) DetachPaymentMethod(ctx context.Context, env uuid.UUID, customerID string) (*ent.Customer, error) {
	return s.updateLive(ctx, env, customerID, OpUpdated, func(_ *ent.Tx, _ *ent.Customer, u *ent.CustomerUpdateOne, _ time.Time) error {
		u.ClearDefaultPaymentMethodID().ClearDefaultPaymentMethodType().
			ClearDefaultPaymentMethodLast4Digits().ClearDefaultPaymentExpirationMonth().
			ClearDefaultPaymentExpirationYear()
		return nil
	})
}

// SetCoupon sets the coupon with id couponID on the live customer with id
// customerID (setCouponOnCustomer names both by their ids).
func (s *Service) SetCoupon(ctx context.Context, env, customerID, couponID uuid.UUID) (*ent.Customer, error) {
	var out *ent.Customer
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c, err := liveByID(ctx, tx, env, customerID)
		if err != nil {
			return err
		}
		cp, err := tx.Coupon.Query().Where(coupon.EnvironmentID(env), coupon.ID(couponID)).Only(ctx)
		if ent.IsNotFound(err) {
			return &apperr.Error{Code: apperr.CouponNotFound, Field: "relationId", Message: "coupon " + couponID.String() + " was not found"}
		}
		if err != nil {
			return err
		}
		if cp.Status != coupon.StatusACTIVE {
			return &apperr.Error{Code: apperr.ArchivedCouponCantBeApplied, Field: "relationId", Message: "coupon " + cp.RefID + " is archived"}
		}
		out, err = tx.Customer.UpdateOne(c).SetCouponID(cp.ID).SetUpdatedAt(s.clock.Now()).Save(ctx)
		if err != nil {
			return err
		}
		return s.notify(ctx, tx, OpUpdated, out)
	})
	return out, err
}

// RemoveCoupon removes the coupon couponID from the live customer with id
// customerID; the customer must have that coupon.
func (s *Service) RemoveCoupon(ctx context.Context, env, customerID, couponID uuid.UUID) (*ent.Customer, error) {
	var out *ent.Customer
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c, err := liveByID(ctx, tx, env, customerID)
		if err != nil {
			return err
		}
		if c.CouponID == nil || *c.CouponID != couponID {
			return &apperr.Error{Code: apperr.CouponNotFound, Field: "relationId", Message: "the customer does not have coupon " + couponID.String()}
		}
		out, err = tx.Customer.UpdateOne(c).ClearCouponID().SetUpdatedAt(s.clock.Now()).Save(ctx)
		if err != nil {
			return err
		}
		return s.notify(ctx, tx, OpUpdated, out)
	})
	return out, err
}

func liveByID(ctx context.Context, tx *ent.Tx, env, id uuid.UUID) (*ent.Customer, error) {
	c, err := store.ForUpdate(tx.Customer.Query().Where(customer.EnvironmentID(env), customer.ID(id), customer.DeletedAtIsNil())).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, &apperr.Error{Code: apperr.CustomerNotFound, Field: "id", Message: "customer " + id.String() + " was not found"}
	}
	return c, err
}
