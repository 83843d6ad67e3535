package graph

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/schema/schematype"
	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/customers"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
)

// environmentOf returns the environment the request acts in: the API key's.
// An environmentId sent in the input must name that same environment.
func environmentOf(ctx context.Context, requested *uuid.UUID) (uuid.UUID, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return uuid.Nil, err
	}
	if requested != nil && *requested != p.EnvironmentID {
		return uuid.Nil, &apperr.Error{Code: apperr.IdentityForbidden, Field: "environmentId",
			Message: "environmentId does not match the environment of the API key"}
	}
	return p.EnvironmentID, nil
}

// slugOf picks the customer slug from customerId or its deprecated alias
// refId; they must agree when both are sent.
func slugOf(customerID, refID *string) (string, error) {
	switch {
	case customerID != nil && refID != nil && *customerID != *refID:
		return "", apperr.BadInput("refId", "customerId and refId differ; send one of them")
	case customerID != nil:
		return *customerID, nil
	case refID != nil:
		return *refID, nil
	}
	return "", nil
}

func requireSlug(customerID, refID *string) (string, error) {
	s, err := slugOf(customerID, refID)
	if err == nil && s == "" {
		err = apperr.BadInput("customerId", "customerId is required")
	}
	return s, err
}

func currencyPtr(c *model.Currency) *string {
	if c == nil {
		return nil
	}
	s := string(*c)
	return &s
}

func billingCurrency(b *model.CustomerBillingInfo) *string {
	if b == nil {
		return nil
	}
	return currencyPtr(b.Currency)
}

func billingPaymentMethod(b *model.CustomerBillingInfo) *string {
	if b == nil {
		return nil
	}
	return b.PaymentMethodID
}

// billingInfo keeps the parts of billingInformation that only the billing
// vendor uses (currency and payment method have columns of their own); nil
// when there are none.
func billingInfo(b *model.CustomerBillingInfo) *schematype.BillingInfo {
	if b == nil {
		return nil
	}
	out := &schematype.BillingInfo{
		BillingAddress: address(b.BillingAddress), ShippingAddress: address(b.ShippingAddress),
		CustomerName: b.CustomerName, Language: b.Language, Timezone: b.Timezone,
		InvoiceCustomFields: b.InvoiceCustomFields, Metadata: b.Metadata,
	}
	if b.TaxIds != nil {
		out.TaxIDs = make([]schematype.TaxID, 0, len(b.TaxIds))
		for _, t := range b.TaxIds {
			out.TaxIDs = append(out.TaxIDs, schematype.TaxID{Type: t.Type, Value: t.Value})
		}
	}
	if out.BillingAddress == nil && out.ShippingAddress == nil && out.CustomerName == nil && out.Language == nil &&
		out.Timezone == nil && out.InvoiceCustomFields == nil && out.Metadata == nil && out.TaxIDs == nil {
		return nil
	}
	return out
}

func address(a *model.Address) *schematype.Address {
	if a == nil {
		return nil
	}
	return &schematype.Address{
		AddressLine1: a.AddressLine1, AddressLine2: a.AddressLine2, City: a.City, Country: a.Country,
		PhoneNumber: a.PhoneNumber, PostalCode: a.PostalCode, State: a.State,
	}
}

// createInput maps the shared fields of provisionCustomer and
// createOneCustomer.
func createInput(customerID, refID *string, name, email, billingID, crmID, salesforceID, aws *string,
	meta map[string]any, billing *model.CustomerBillingInfo, createdAt *time.Time, coupon *string) (customers.CreateInput, error) {
	slug, err := slugOf(customerID, refID)
	if err != nil {
		return customers.CreateInput{}, err
	}
	in := customers.CreateInput{
		CustomerID: slug,
		Fields: customers.Fields{
			Name: name, Email: email, BillingID: billingID, CrmID: crmID, SalesforceID: salesforceID,
			AwsMarketplaceCustomerID: aws, Metadata: meta,
			BillingCurrency: billingCurrency(billing), PaymentMethodID: billingPaymentMethod(billing),
			BillingInfo: billingInfo(billing),
		},
		CreatedAt:   createdAt,
		CouponRefID: coupon,
	}
	return in, nil
}

func importInput(in *model.ImportCustomerInput) (customers.ImportInput, error) {
	slug, err := requireSlug(in.CustomerID, in.RefID)
	if err != nil {
		return customers.ImportInput{}, err
	}
	return customers.ImportInput{
		CustomerID: slug,
		Fields: customers.Fields{
			Name: in.Name, Email: in.Email, BillingID: in.BillingID, SalesforceID: in.SalesforceID,
			PaymentMethodID: in.PaymentMethodID, Metadata: in.AdditionalMetaData,
		},
		UpdatedAt: in.UpdatedAt,
	}, nil
}

func updatePatch(in *model.UpdateCustomerInput) customers.Patch {
	p := customers.Patch{
		Name: in.Name, Email: in.Email, BillingID: in.BillingID, CrmID: in.CrmID,
		SalesforceID: in.SalesforceID, AwsMarketplaceCustomerID: in.AWSMarketplaceCustomerID,
		Metadata: in.AdditionalMetaData, CouponRefID: in.CouponRefID,
	}
	if b, ok := in.BillingInformation.ValueOK(); ok && b != nil {
		if b.Currency != nil {
			p.BillingCurrency = graphql.OmittableOf(currencyPtr(b.Currency))
		}
		if b.PaymentMethodID != nil {
			p.PaymentMethodID = graphql.OmittableOf(b.PaymentMethodID)
		}
		p.BillingInfo = billingInfo(b)
	}
	return p
}

// provisioned is the answer of provisionCustomer when no subscription was
// asked for.
func provisioned(c *ent.Customer) *model.ProvisionedCustomer {
	return &model.ProvisionedCustomer{
		Customer:                     c,
		SubscriptionDecisionStrategy: model.SubscriptionDecisionStrategySkippedSubscriptionCreation,
		SubscriptionStrategyDecision: model.SubscriptionDecisionStrategySkippedSubscriptionCreation,
	}
}

// provisionCustomer creates the customer and, when params are given, its
// subscription in the same transaction (an unknown plan leaves no customer).
func (r *Resolver) provisionCustomer(ctx context.Context, env uuid.UUID, in customers.CreateInput, params *model.ProvisionCustomerSubscriptionInput) (*model.ProvisionedCustomer, error) {
	if params == nil {
		c, err := r.CustomerService.Create(ctx, env, in)
		if err != nil {
			return nil, err
		}
		return provisioned(c), nil
	}
	var res *subscription.Result
	c, err := r.CustomerService.CreateWith(ctx, env, in, func(ctx context.Context, tx *ent.Tx, c *ent.Customer) error {
		sin, err := customerSubscriptionInput(c.CustomerID, params)
		if err != nil {
			return err
		}
		res, err = r.SubscriptionService.ProvisionTx(ctx, tx, env, c, sin)
		return err
	})
	if err != nil {
		return nil, err
	}
	ents, err := r.entitlementsAfter(ctx, env, c.CustomerID, res.Subscription.ResourceID)
	if err != nil {
		return nil, err
	}
	return provisionedWith(c, res, ents), nil
}

// provisionedWith is the answer of provisionCustomer with subscriptionParams.
func provisionedWith(c *ent.Customer, res *subscription.Result, ents []*model.Entitlement) *model.ProvisionedCustomer {
	return &model.ProvisionedCustomer{
		Customer:                     c,
		Subscription:                 res.Subscription,
		Entitlements:                 ents,
		SubscriptionDecisionStrategy: model.SubscriptionDecisionStrategyRequestedPlan,
		SubscriptionStrategyDecision: model.SubscriptionDecisionStrategyRequestedPlan,
	}
}

func environmentModel(e *ent.Environment) *model.Environment {
	t := model.EnvironmentTypeProduction
	if e.IsSandbox {
		t = model.EnvironmentTypeSandbox
	}
	return &model.Environment{
		ID: e.ID.String(), Slug: e.Slug, DisplayName: e.DisplayName, Description: e.Description,
		CreatedAt: &e.CreatedAt, IsSandbox: e.IsSandbox, Type: t,
	}
}
