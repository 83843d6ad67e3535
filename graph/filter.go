package graph

import (
	"maps"
	"reflect"

	"entgo.io/ent/dialect/sql"

	"github.com/stigg-selfhost/stiggql/ent/addon"
	"github.com/stigg-selfhost/stiggql/ent/coupon"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/feature"
	"github.com/stigg-selfhost/stiggql/ent/plan"
	"github.com/stigg-selfhost/stiggql/ent/product"
	"github.com/stigg-selfhost/stiggql/ent/promotionalentitlement"
	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/nestquery"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
)

// This file says, per entity, which GraphQL filter and sort fields exist and
// which column each reads; internal/nestquery turns Stigg's nestjs-query
// inputs into SQL from it. A filter field not listed here is refused with
// BadUserInput rather than silently ignored.

type customFilter = func(any, nestquery.Env) (func(*sql.Selector), error)

var customerColumns = map[string]string{
	"id":                   customer.FieldID,
	"customerId":           customer.FieldCustomerID,
	"refId":                customer.FieldCustomerID,
	"searchQuery":          customer.FieldCustomerID, // as a sort field
	"email":                customer.FieldEmail,
	"name":                 customer.FieldName,
	"billingId":            customer.FieldBillingID,
	"crmId":                customer.FieldCrmID,
	"crmHubspotCompanyId":  customer.FieldCrmHubspotCompanyID,
	"crmHubspotCompanyUrl": customer.FieldCrmHubspotCompanyURL,
	"salesforceId":         customer.FieldSalesforceID,
	"environmentId":        customer.FieldEnvironmentID,
	"createdAt":            customer.FieldCreatedAt,
	"updatedAt":            customer.FieldUpdatedAt,
	"deletedAt":            customer.FieldDeletedAt,
}

// customerLowerILike: on PostgreSQL, iLike on email is
// lower(email) LIKE lower(pattern), what ILIKE computes, because the indexes
// that serve it hold lower(email): the trigram index customer_email_trgm and
// the newest-first customer_env_created_email_lower (see
// internal/db/migrations/search.go).
var customerLowerILike = map[string]bool{customer.FieldEmail: true}

// plainCustomerSpec has the stored columns only; searchQuery is built on it.
var plainCustomerSpec = &nestquery.Spec{Name: "customer", Table: customer.Table, IDColumn: customer.FieldID, Columns: customerColumns, LowerILike: customerLowerILike}

var subscriptionColumns = map[string]string{
	"id":                        customersubscription.FieldID,
	"subscriptionId":            customersubscription.FieldRefID,
	"refId":                     customersubscription.FieldRefID,
	"customerId":                customersubscription.FieldCustomerID,
	"payingCustomerId":          customersubscription.FieldPayingCustomerID,
	"environmentId":             customersubscription.FieldEnvironmentID,
	"resourceId":                customersubscription.FieldResourceID,
	"status":                    customersubscription.FieldStatus,
	"pricingType":               customersubscription.FieldPricingType,
	"paymentCollection":         customersubscription.FieldPaymentCollection,
	"cancelReason":              customersubscription.FieldCancelReason,
	"billingId":                 customersubscription.FieldBillingID,
	"oldBillingId":              customersubscription.FieldPreviousBillingID,
	"crmId":                     customersubscription.FieldCrmID,
	"crmLinkUrl":                customersubscription.FieldCrmLinkURL,
	"salesforceId":              customersubscription.FieldSalesforceID,
	"createdAt":                 customersubscription.FieldCreatedAt,
	"startDate":                 customersubscription.FieldStartDate,
	"endDate":                   customersubscription.FieldEndDate,
	"trialEndDate":              customersubscription.FieldTrialEndDate,
	"cancellationDate":          customersubscription.FieldCancellationDate,
	"effectiveEndDate":          customersubscription.FieldEffectiveEndDate,
	"currentBillingPeriodStart": customersubscription.FieldCurrentBillingPeriodStart,
	"currentBillingPeriodEnd":   customersubscription.FieldCurrentBillingPeriodEnd,
	"billingCycleAnchor":        customersubscription.FieldCurrentBillingPeriodStart,
}

var subscriptionSpec = &nestquery.Spec{
	Name:     "subscription",
	Table:    customersubscription.Table,
	IDColumn: customersubscription.FieldID,
	Columns:  subscriptionColumns,
	Custom: map[string]customFilter{
		"status":         subscriptionStatus,
		"customer":       parentFilter(plainCustomerSpec, customersubscription.FieldCustomerID),
		"payingCustomer": parentFilter(plainCustomerSpec, customersubscription.FieldPayingCustomerID),
		"plan":           parentFilter(planSpec, customersubscription.FieldPlanID),
	},
}

// subscriptionQuerySpec is the subscriptions connection (Stigg's
// SubscriptionQuery): customerId and productId are string comparisons on
// the customer's and the product's refIds, as Stigg's SDKs send them.
var subscriptionQuerySpec = &nestquery.Spec{
	Name:     "subscription",
	Table:    customersubscription.Table,
	IDColumn: customersubscription.FieldID,
	Columns: map[string]string{
		"id":            customersubscription.FieldID,
		"createdAt":     customersubscription.FieldCreatedAt,
		"startDate":     customersubscription.FieldStartDate,
		"environmentId": customersubscription.FieldEnvironmentID,
		"resourceId":    customersubscription.FieldResourceID,
		"status":        customersubscription.FieldStatus, // sorting only: the stored status
		"customerId":    customersubscription.FieldCustomerID,
	},
	Custom: map[string]customFilter{
		"status": subscriptionStatus,
		"customerId": func(cmp any, env nestquery.Env) (func(*sql.Selector), error) {
			return parentFilter(plainCustomerSpec, customersubscription.FieldCustomerID)(&model.CustomerFilter{CustomerID: cmp.(*model.StringFieldComparison)}, env)
		},
		"productId": func(cmp any, env nestquery.Env) (func(*sql.Selector), error) {
			return parentFilter(planSpec, customersubscription.FieldPlanID)(&model.PlanFilter{ProductID: cmp.(*model.StringFieldComparison)}, env)
		},
	},
}

// subscriptionStatus filters on the effective status, computed from the
// dates at the request's time: the same rule as the status field
// (subscription.EffectiveStatus), in SQL.
var subscriptionStatus = derivedEnum("status", func() map[string]func(*sql.Selector, nestquery.Env) *sql.Predicate {
	m := map[string]func(*sql.Selector, nestquery.Env) *sql.Predicate{}
	for _, st := range subscription.AllStatuses {
		m[string(st)] = func(s *sql.Selector, env nestquery.Env) *sql.Predicate {
			return subscription.StatusPredicate(st, env.Now)(s)
		}
	}
	return m
}())

var productColumns = map[string]string{
	"id":                    product.FieldID,
	"refId":                 product.FieldRefID,
	"displayName":           product.FieldDisplayName,
	"description":           product.FieldDescription,
	"environmentId":         product.FieldEnvironmentID,
	"isDefaultProduct":      product.FieldIsDefaultProduct,
	"multipleSubscriptions": product.FieldMultipleSubscriptions,
	"createdAt":             product.FieldCreatedAt,
	"updatedAt":             product.FieldUpdatedAt,
}

var productSpec = &nestquery.Spec{Name: "product", Table: product.Table, IDColumn: product.FieldID, Columns: productColumns}

var featureSpec = &nestquery.Spec{Name: "feature", Table: feature.Table, IDColumn: feature.FieldID, Columns: map[string]string{
	"id":            feature.FieldID,
	"refId":         feature.FieldRefID,
	"displayName":   feature.FieldDisplayName,
	"description":   feature.FieldDescription,
	"environmentId": feature.FieldEnvironmentID,
	"featureType":   feature.FieldFeatureType,
	"meterType":     feature.FieldMeterType,
	"featureStatus": feature.FieldFeatureStatus,
	"createdAt":     feature.FieldCreatedAt,
	"updatedAt":     feature.FieldUpdatedAt,
}}

// packageColumns are the filter and sort fields plans and add-ons share
// (the columns of PackageMixin have the same names in both tables).
var packageColumns = map[string]string{
	"id":            plan.FieldID,
	"refId":         plan.FieldRefID,
	"displayName":   plan.FieldDisplayName,
	"description":   plan.FieldDescription,
	"billingId":     plan.FieldBillingID,
	"environmentId": plan.FieldEnvironmentID,
	"pricingType":   plan.FieldPricingType,
	"status":        plan.FieldStatus,
	"versionNumber": plan.FieldVersionNumber,
	"createdAt":     plan.FieldCreatedAt,
	"updatedAt":     plan.FieldUpdatedAt,
	"productId":     plan.FieldProductID, // sorting only; the filter compares refIds
}

// productRefFilter is a package's productId filter: a comparison on its
// product's refId.
func productRefFilter(fk string) customFilter {
	return func(cmp any, env nestquery.Env) (func(*sql.Selector), error) {
		return parentFilter(productSpec, fk)(&model.ProductFilter{RefID: cmp.(*model.StringFieldComparison)}, env)
	}
}

// isLatest is always true for add-ons: a reload updates an add-on in
// place (plans have versions: their isLatest is a column).
func isLatest(cmp any, _ nestquery.Env) (func(*sql.Selector), error) {
	c := cmp.(*model.BooleanFieldComparison)
	matches := true
	if v, ok := c.Is.ValueOK(); ok && v != nil {
		matches = *v
	}
	if v, ok := c.IsNot.ValueOK(); ok && v != nil {
		matches = matches && !*v
	}
	if matches {
		return nil, nil
	}
	return func(s *sql.Selector) { s.Where(sql.False()) }, nil
}

var planSpec = &nestquery.Spec{Name: "plan", Table: plan.Table, IDColumn: plan.FieldID, Columns: planColumns(),
	Custom: map[string]customFilter{
		"productId": productRefFilter(plan.FieldProductID),
		"product":   parentFilter(productSpec, plan.FieldProductID),
	}}

// planColumns are packageColumns and the latest-version flag of plans.
func planColumns() map[string]string {
	m := maps.Clone(packageColumns)
	m["isLatest"] = plan.FieldIsLatest
	return m
}

var addonSpec = &nestquery.Spec{Name: "addon", Table: addon.Table, IDColumn: addon.FieldID, Columns: packageColumns,
	Custom: map[string]customFilter{
		"productId": productRefFilter(addon.FieldProductID),
		"isLatest":  isLatest,
	}}

var couponSpec = &nestquery.Spec{Name: "coupon", Table: coupon.Table, IDColumn: coupon.FieldID,
	Columns: map[string]string{
		"id":            coupon.FieldID,
		"refId":         coupon.FieldRefID,
		"name":          coupon.FieldName,
		"description":   coupon.FieldDescription,
		"billingId":     coupon.FieldBillingID,
		"environmentId": coupon.FieldEnvironmentID,
		"type":          coupon.FieldType,
		"status":        coupon.FieldStatus,
		"source":        coupon.FieldSource,
		"createdAt":     coupon.FieldCreatedAt,
		"updatedAt":     coupon.FieldUpdatedAt,
	},
	Relations: map[string]nestquery.Relation{
		"customers": {Spec: plainCustomerSpec, ForeignKey: customer.FieldCouponID},
	}}

var promotionalEntitlementSpec = &nestquery.Spec{
	Name:     "promotionalEntitlement",
	Table:    promotionalentitlement.Table,
	IDColumn: promotionalentitlement.FieldID,
	Columns: map[string]string{
		"id":            promotionalentitlement.FieldID,
		"environmentId": promotionalentitlement.FieldEnvironmentID,
		"createdAt":     promotionalentitlement.FieldCreatedAt,
		"updatedAt":     promotionalentitlement.FieldUpdatedAt,
	},
	Custom: map[string]customFilter{
		// Status is Active until endDate, then Expired, by the clock.
		"status": derivedEnum("status", map[string]func(*sql.Selector, nestquery.Env) *sql.Predicate{
			string(model.PromotionalEntitlementStatusActive): func(s *sql.Selector, env nestquery.Env) *sql.Predicate {
				end := s.C(promotionalentitlement.FieldEndDate)
				return sql.Or(sql.IsNull(end), sql.GT(end, env.Now))
			},
			string(model.PromotionalEntitlementStatusExpired): func(s *sql.Selector, env nestquery.Env) *sql.Predicate {
				return sql.LTE(s.C(promotionalentitlement.FieldEndDate), env.Now)
			},
		}),
	},
}

var customerSpec = &nestquery.Spec{
	Name:       "customer",
	Table:      customer.Table,
	IDColumn:   customer.FieldID,
	Columns:    customerColumns,
	LowerILike: customerLowerILike,
	Custom: map[string]customFilter{
		"searchQuery": customerSearchQuery,
		"email":       customerEmail, // the column, searched by trigrams (search.go)
	},
	Relations: map[string]nestquery.Relation{
		"subscriptions":           {Spec: subscriptionSpec, ForeignKey: customersubscription.FieldCustomerID},
		"promotionalEntitlements": {Spec: promotionalEntitlementSpec, ForeignKey: promotionalentitlement.FieldCustomerID},
	},
}

// customerSearchQuery is Stigg's searchQuery: a case-insensitive match on
// the slug, the name or the email.
func customerSearchQuery(cmp any, env nestquery.Env) (func(*sql.Selector), error) {
	c := cmp.(*model.CustomerSearchQueryFilterComparison)
	if c.ILike == nil {
		return nil, nil
	}
	like := &model.StringFieldComparison{ILike: c.ILike}
	return plainCustomerSpec.Where(&model.CustomerFilter{Or: []*model.CustomerFilter{
		{CustomerID: like}, {Name: like}, {Email: like},
	}}, env)
}

// derivedEnum filters on an enum that is computed (from the clock) rather
// than stored: each value has a predicate, and eq, neq, in and notIn combine
// them. Other operators make no sense on a derived value and are refused.
func derivedEnum(field string, values map[string]func(s *sql.Selector, env nestquery.Env) *sql.Predicate) customFilter {
	return func(cmp any, env nestquery.Env) (func(*sql.Selector), error) {
		v := reflect.ValueOf(cmp).Elem()
		get := func(name string) ([]string, bool) {
			f := v.FieldByName(name)
			switch {
			case !f.IsValid():
			case f.Kind() == reflect.Pointer && !f.IsNil():
				return []string{f.Elem().String()}, true
			case f.Kind() == reflect.Slice && !f.IsNil():
				out := make([]string, f.Len())
				for i := range out {
					out[i] = f.Index(i).String()
				}
				return out, true
			}
			return nil, false
		}
		for _, name := range []string{"Gt", "Gte", "Lt", "Lte", "Like", "NotLike", "ILike", "NotILike"} {
			if _, set := get(name); set {
				return nil, apperr.BadInput(field, "%s is computed; only eq, neq, in and notIn can filter it", field)
			}
		}
		anyOf := func(s *sql.Selector, vals []string) *sql.Predicate {
			preds := make([]*sql.Predicate, 0, len(vals))
			for _, val := range vals {
				if p, ok := values[val]; ok {
					preds = append(preds, p(s, env))
				}
			}
			if len(preds) == 0 {
				return sql.False()
			}
			return sql.Or(preds...)
		}
		type part struct {
			vals   []string
			negate bool
		}
		var parts []part
		for _, op := range []struct {
			name   string
			negate bool
		}{{"Eq", false}, {"In", false}, {"Neq", true}, {"NotIn", true}} {
			if vals, set := get(op.name); set {
				parts = append(parts, part{vals, op.negate})
			}
		}
		if len(parts) == 0 {
			return nil, nil
		}
		return func(s *sql.Selector) {
			for _, p := range parts {
				pred := anyOf(s, p.vals)
				if p.negate {
					pred = sql.Not(pred)
				}
				s.Where(pred)
			}
		}, nil
	}
}

// parentFilter filters child rows on their parent (a subscription on its
// customer): the parent filter runs in a subquery on the parent's table.
func parentFilter(parent *nestquery.Spec, foreignKey string) customFilter {
	return func(cmp any, env nestquery.Env) (func(*sql.Selector), error) {
		p, err := parent.Where(cmp, env)
		if err != nil {
			return nil, err
		}
		return func(s *sql.Selector) {
			// The subquery takes the outer query's dialect, so that columns
			// of filters nested in it are quoted for the right database.
			d := sql.Dialect(s.Dialect())
			sub := d.Select(parent.IDColumn).From(d.Table(parent.Table))
			p(sub)
			s.Where(sql.In(s.C(foreignKey), sub))
		}, nil
	}
}
