package nestquery

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/predicate"
	"github.com/stigg-selfhost/stiggql/ent/promotionalentitlement"
	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// The specs below are wired the way the application wires its entities.

var subscriptionSpec = &Spec{
	Name:     "subscription",
	Table:    customersubscription.Table,
	IDColumn: customersubscription.FieldID,
	Columns: map[string]string{
		"id":             customersubscription.FieldID,
		"subscriptionId": customersubscription.FieldRefID,
		"refId":          customersubscription.FieldRefID,
		"customerId":     customersubscription.FieldCustomerID,
		"status":         customersubscription.FieldStatus,
		"pricingType":    customersubscription.FieldPricingType,
		"createdAt":      customersubscription.FieldCreatedAt,
		"startDate":      customersubscription.FieldStartDate,
		"endDate":        customersubscription.FieldEndDate,
	},
}

var promotionalEntitlementSpec = &Spec{
	Name:     "promotionalEntitlement",
	Table:    promotionalentitlement.Table,
	IDColumn: promotionalentitlement.FieldID,
	Columns: map[string]string{
		"id":        promotionalentitlement.FieldID,
		"createdAt": promotionalentitlement.FieldCreatedAt,
		"updatedAt": promotionalentitlement.FieldUpdatedAt,
	},
	Custom: map[string]func(any, Env) (func(*sql.Selector), error){
		"status": promotionalEntitlementStatus,
	},
}

// promotionalEntitlementStatus filters on the status derived from the clock:
// Active while end_date is unset or in the future, Expired after.
func promotionalEntitlementStatus(cmp any, env Env) (func(*sql.Selector), error) {
	c := cmp.(*model.PromotionalEntitlementStatusFilterComparison)
	if c.Eq == nil {
		return nil, apperr.BadInput("status", "only eq is supported on status")
	}
	end := promotionalentitlement.FieldEndDate
	switch *c.Eq {
	case model.PromotionalEntitlementStatusActive:
		return func(s *sql.Selector) {
			s.Where(sql.Or(sql.IsNull(s.C(end)), sql.GT(s.C(end), env.Now)))
		}, nil
	case model.PromotionalEntitlementStatusExpired:
		return func(s *sql.Selector) { s.Where(sql.LTE(s.C(end), env.Now)) }, nil
	}
	return func(s *sql.Selector) { s.Where(sql.False()) }, nil
}

var customerColumns = map[string]string{
	"id":            customer.FieldID,
	"customerId":    customer.FieldCustomerID,
	"refId":         customer.FieldCustomerID,
	"email":         customer.FieldEmail,
	"name":          customer.FieldName,
	"billingId":     customer.FieldBillingID,
	"crmId":         customer.FieldCrmID,
	"salesforceId":  customer.FieldSalesforceID,
	"environmentId": customer.FieldEnvironmentID,
	"createdAt":     customer.FieldCreatedAt,
	"updatedAt":     customer.FieldUpdatedAt,
	"deletedAt":     customer.FieldDeletedAt,
	// crmHubspotCompanyId deliberately left out: unsupported fields must fail.
}

// plainCustomerSpec has the stored columns only; searchQuery is built on it.
var plainCustomerSpec = &Spec{Name: "customer", Table: customer.Table, IDColumn: customer.FieldID, Columns: customerColumns}

var customerSpec = &Spec{
	Name:     "customer",
	Table:    customer.Table,
	IDColumn: customer.FieldID,
	Columns:  customerColumns,
	Custom: map[string]func(any, Env) (func(*sql.Selector), error){
		"searchQuery": customerSearchQuery,
	},
	Relations: map[string]Relation{
		"subscriptions":           {Spec: subscriptionSpec, ForeignKey: customersubscription.FieldCustomerID},
		"promotionalEntitlements": {Spec: promotionalEntitlementSpec, ForeignKey: promotionalentitlement.FieldCustomerID},
	},
}

// customerSearchQuery is Stigg's searchQuery: iLike on the slug, name or
// email, expressed as a filter on the plain spec.
func customerSearchQuery(cmp any, env Env) (func(*sql.Selector), error) {
	c := cmp.(*model.CustomerSearchQueryFilterComparison)
	if c.ILike == nil {
		return nil, nil
	}
	like := &model.StringFieldComparison{ILike: c.ILike}
	return plainCustomerSpec.Where(&model.CustomerFilter{Or: []*model.CustomerFilter{
		{CustomerID: like}, {Name: like}, {Email: like},
	}}, env)
}

func each(t *testing.T, fn func(t *testing.T, s *db.Store)) {
	testdb.Each(t, fn)
}

func ptr[T any](v T) *T { return &v }

func day(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }

// customerRow describes a fixture customer.
type customerRow struct {
	slug     string
	email    *string
	name     *string
	created  time.Time
	deleted  *time.Time
	excluded *bool
	month    *int
}

func createCustomers(t *testing.T, ctx context.Context, c *ent.Client, envID uuid.UUID, rows ...customerRow) []*ent.Customer {
	t.Helper()
	out := make([]*ent.Customer, 0, len(rows))
	for _, r := range rows {
		cu, err := c.Customer.Create().
			SetEnvironmentID(envID).
			SetCustomerID(r.slug).
			SetNillableEmail(r.email).
			SetNillableName(r.name).
			SetCreatedAt(r.created).
			SetUpdatedAt(r.created).
			SetNillableDeletedAt(r.deleted).
			SetNillableExcludeFromExperiment(r.excluded).
			SetNillableDefaultPaymentExpirationMonth(r.month).
			Save(ctx)
		if err != nil {
			t.Fatalf("create customer %s: %v", r.slug, err)
		}
		out = append(out, cu)
	}
	return out
}

func newEnv(t *testing.T, ctx context.Context, c *ent.Client, slug string) *ent.Environment {
	t.Helper()
	env, err := c.Environment.Create().SetSlug(slug).SetDisplayName(slug).Save(ctx)
	if err != nil {
		t.Fatalf("create environment: %v", err)
	}
	return env
}

// slugs returns the customer_id of the customers matching p, sorted.
func slugs(t *testing.T, ctx context.Context, c *ent.Client, p func(*sql.Selector)) []string {
	t.Helper()
	got, err := c.Customer.Query().Where(predicate.Customer(p)).Select(customer.FieldCustomerID).Strings(ctx)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	slices.Sort(got)
	return got
}

// wantBadInput checks err is a BadUserInput whose message contains msg.
func wantBadInput(t *testing.T, err error, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want BadUserInput %q", msg)
	}
	e, ok := apperr.As(err)
	if !ok || e.Code != apperr.BadUserInput {
		t.Fatalf("got error %v (%T), want BadUserInput %q", err, err, msg)
	}
	if msg != "" && !strings.Contains(e.Message, msg) {
		t.Fatalf("got message %q, want it to contain %q", e.Message, msg)
	}
}
