// Package clientaccess decides what a client (publishable) key may run.
//
// A client key ships inside web pages, so anyone can read it. It may run
// only the operations Stigg's browser SDK sends (@stigg/js-client-sdk
// 3.35.0 with the documents of @stigg/api-client-js 2.235.0), and only for
// the one customer the request names: never another customer's data, never
// a list of customers, never a server-only mutation. Fields is that list,
// root field by root field; every other root field of the schema is refused
// to client keys (TestEveryRootFieldIsDecided walks the schema so a new
// field cannot be forgotten).
//
// With a customer token (auth.Principal.Customer) the named customer must be
// the token's; in a hardened environment a customer-scoped field without a
// token is refused (auth.Principal.AllowsCustomer).
package clientaccess

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/auth"
)

// Scope says how a root field allowed to client keys names its customer.
type Scope struct {
	// Customer is the argument path of the customer id ("input",
	// "customerId"); nil when the field names no customer (catalog data).
	Customer []string
	// Optional: the customer argument may be absent (a paywall without a
	// customer shows the catalog only).
	Optional bool
	// Subscription is the argument path of a subscription id whose owner
	// is the customer (looked up with an OwnerLookup).
	Subscription []string
	// SameCustomer lists further customer-id paths that, when present, must
	// name the same customer (payingCustomerId).
	SameCustomer [][]string
	// TokenCustomer: the field takes no customer argument and acts for the
	// customer of the request's customer token, which it needs (the
	// WebSocket events of entitlementsUpdated and usageUpdated, filtered to
	// that customer).
	TokenCustomer bool
}

func path(p ...string) []string { return p }

// Fields are the root fields client keys may run, by "Type.field": exactly
// the root fields of the browser SDK's documents (and introspection).
var Fields = map[string]Scope{
	// GetSdkConfiguration: no customer data.
	"Query.sdkConfiguration": {},
	// GetCoupons: the catalog's active coupons.
	"Query.coupons": {},
	// GetPaywall / GetMockPaywall: the catalog, plus the customer's current
	// plan when one is named.
	"Query.paywall":     {Customer: path("input", "customerId"), Optional: true},
	"Query.mockPaywall": {Customer: path("input", "customerId"), Optional: true},
	// GetCustomerById, GetCustomerPortalByRefId, GetEntitlements,
	// GetActiveSubscriptions(List), GetCheckoutState, GetUsageHistory.
	"Query.getCustomerByRefId":     {Customer: path("input", "customerId")},
	"Query.customerPortal":         {Customer: path("input", "customerId")},
	"Query.cachedEntitlements":     {Customer: path("query", "customerId")},
	"Query.getActiveSubscriptions": {Customer: path("input", "customerId")},
	"Query.checkoutState":          {Customer: path("input", "customerId")},
	"Query.usageHistory":           {Customer: path("usageHistoryInput", "customerRefId")},
	// GetSubscription: by id; its owner must be the request's customer.
	"Query.getSubscription": {Subscription: path("input", "subscriptionId")},
	// The browser SDK's mutations: checkout of free/trial plans, estimates
	// and previews, and the entitlement-check report.
	"Mutation.applySubscription":               {Customer: path("input", "customerId"), SameCustomer: [][]string{path("input", "payingCustomerId")}},
	"Mutation.estimateSubscription":            {Customer: path("input", "customerId"), SameCustomer: [][]string{path("input", "payingCustomerId")}},
	"Mutation.previewSubscription":             {Customer: path("input", "customerId"), SameCustomer: [][]string{path("input", "payingCustomerId")}},
	"Mutation.estimateSubscriptionUpdate":      {Subscription: path("input", "subscriptionId")},
	"Mutation.reportEntitlementCheckRequested": {Customer: path("entitlementCheckRequested", "customerId")},
	// OnEntitlementsUpdated, OnUsageUpdated, OnPackagePublished (WebSocket):
	// the token's customer's events only; the catalog's publications. And
	// this server's customerUpdated, for the customer it names.
	"Subscription.entitlementsUpdated": {TokenCustomer: true},
	"Subscription.usageUpdated":        {TokenCustomer: true},
	"Subscription.packagePublished":    {},
	"Subscription.customerUpdated":     {Customer: path("customerId")},
}

// introspection fields carry the schema only (also public at /schema.graphql).
var introspection = map[string]bool{"__typename": true, "__schema": true, "__type": true}

// OwnerLookup returns the customer id (refId) owning subscription refId
// subscriptionID in the environment, found=false when there is none.
type OwnerLookup func(ctx context.Context, envID uuid.UUID, subscriptionID string) (customerID string, found bool, err error)

// Decision is the verdict on one root field for one principal.
type Decision struct {
	// Err refuses the field; nil allows it.
	Err error
	// Customer is the customer the field names ("" when none, or when only
	// known after an owner lookup).
	Customer string
	// Subscription is the subscription id whose owner must still be
	// checked (Scope.Subscription), "" when none.
	Subscription string
}

// Forbidden is the error of a field a client key may not run at all.
func Forbidden(field string) error {
	return apperr.New(apperr.IdentityForbidden, "%s cannot be called with a client key; use a server key from your backend", field)
}

// Decide returns the static verdict on root field typeName.fieldName with
// the given (coerced) arguments for principal p: allowed for server keys;
// for client keys only the fields in Fields, naming a customer p may act
// for. An owner check left (Decision.Subscription) is made by Check.
func Decide(p *auth.Principal, typeName, fieldName string, args map[string]any) Decision {
	if !p.IsClient() || introspection[fieldName] {
		return Decision{}
	}
	name := typeName + "." + fieldName
	sc, ok := Fields[name]
	if !ok {
		return Decision{Err: Forbidden(fieldName)}
	}
	var d Decision
	if sc.Customer != nil {
		id, present := stringAt(args, sc.Customer)
		switch {
		case !present && sc.Optional:
			// The catalog alone: nothing of a customer.
		case !present:
			return Decision{Err: apperr.BadInput(sc.Customer[len(sc.Customer)-1], "a customer id is required")}
		default:
			if err := p.AllowsCustomer(id); err != nil {
				return Decision{Err: err}
			}
			d.Customer = id
		}
		for _, sp := range sc.SameCustomer {
			if other, ok := stringAt(args, sp); ok && other != id {
				return Decision{Err: apperr.New(apperr.IdentityForbidden, "%s must be the request's customer with a client key", sp[len(sp)-1])}
			}
		}
	}
	if sc.Subscription != nil {
		id, _ := stringAt(args, sc.Subscription)
		d.Subscription = id
	}
	if sc.TokenCustomer {
		if p.Customer == "" {
			return Decision{Err: apperr.New(apperr.IdentityForbidden,
				"%s with a client key needs a customer token (X-CUSTOMER-KEY, in connection_init on a WebSocket): it streams that customer's events", fieldName)}
		}
		d.Customer = p.Customer
	}
	return d
}

// Check completes d with the owner lookup of its subscription, and checks
// that the owner is a customer p may act for and, when the request already
// named a customer, that customer. A subscription that does not exist is
// left to the resolver (which answers SubscriptionNotFound).
func Check(ctx context.Context, p *auth.Principal, d Decision, requestCustomer string, owner OwnerLookup) error {
	if d.Err != nil || d.Subscription == "" || !p.IsClient() {
		return d.Err
	}
	if owner == nil {
		return apperr.New(apperr.IdentityForbidden, "subscriptions cannot be read by id with a client key on this server")
	}
	id, found, err := owner(ctx, p.EnvironmentID, d.Subscription)
	if err != nil {
		return fmt.Errorf("subscription owner: %w", err)
	}
	if !found {
		return nil
	}
	if err := p.AllowsCustomer(id); err != nil {
		return err
	}
	if requestCustomer != "" && id != requestCustomer {
		return apperr.New(apperr.IdentityForbidden, "the subscription belongs to another customer than the request's")
	}
	return nil
}

// stringAt returns the string at path in args; present=false when a step is
// missing or null.
func stringAt(args map[string]any, path []string) (string, bool) {
	var cur any = args
	for _, k := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return "", false
		}
		cur, ok = m[k]
		if !ok || cur == nil {
			return "", false
		}
	}
	s, ok := cur.(string)
	return s, ok
}
