package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/internal/nestquery"
)

// A page of customers reads only the columns its selection needs: a list
// asking for ids, names and emails has no use for the JSON metadata (decoded
// on every row) or a dozen other columns, and SQLite sorts and copies whole
// rows. Every field of Customer is listed with the columns it reads; a field
// not listed (a new one) makes the page read every column, so forgetting to
// list one costs speed, never correctness.

// customerFieldColumns maps Customer's GraphQL fields to the columns their
// value (or resolver) reads. Fields computed from other tables read the id.
var customerFieldColumns = map[string][]string{
	"__typename":                         nil,
	"id":                                 {customer.FieldID},
	"customerId":                         {customer.FieldCustomerID},
	"refId":                              {customer.FieldCustomerID},
	"name":                               {customer.FieldName},
	"email":                              {customer.FieldEmail},
	"createdAt":                          {customer.FieldCreatedAt},
	"updatedAt":                          {customer.FieldUpdatedAt},
	"deletedAt":                          {customer.FieldDeletedAt},
	"environmentId":                      {customer.FieldEnvironmentID},
	"environment":                        {customer.FieldEnvironmentID},
	"billingId":                          {customer.FieldBillingID},
	"billingCurrency":                    {customer.FieldBillingCurrency},
	"billingLinkUrl":                     {customer.FieldBillingLinkURL},
	"additionalMetaData":                 {customer.FieldAdditionalMetaData},
	"crmId":                              {customer.FieldCrmID},
	"crmHubspotCompanyId":                {customer.FieldCrmHubspotCompanyID},
	"crmHubspotCompanyUrl":               {customer.FieldCrmHubspotCompanyURL},
	"salesforceId":                       {customer.FieldSalesforceID},
	"awsMarketplaceCustomerId":           {customer.FieldAWSMarketplaceCustomerID},
	"defaultPaymentMethodId":             {customer.FieldDefaultPaymentMethodID},
	"defaultPaymentMethodType":           {customer.FieldDefaultPaymentMethodType},
	"defaultPaymentMethodLast4Digits":    {customer.FieldDefaultPaymentMethodLast4Digits},
	"defaultPaymentExpirationMonth":      {customer.FieldDefaultPaymentExpirationMonth},
	"defaultPaymentExpirationYear":       {customer.FieldDefaultPaymentExpirationYear},
	"excludeFromExperiment":              {customer.FieldExcludeFromExperiment},
	"hasPaymentMethod":                   {customer.FieldDefaultPaymentMethodID},
	"subscriptions":                      {customer.FieldID},
	"promotionalEntitlements":            {customer.FieldID},
	"syncStates":                         {customer.FieldID},
	"statistics":                         {customer.FieldID},
	"hasActiveResource":                  {customer.FieldID},
	"hasActiveSubscription":              {customer.FieldID},
	"totalActivePromotionalEntitlements": {customer.FieldID},
	"totalActiveSubscription":            {customer.FieldID},
	"coupon":                             nil,
	"eligibleForTrial":                   nil,
	"experiment":                         nil,
	"experimentInfo":                     nil,
	"trialedPlans":                       nil,
}

// customerPageColumns returns the columns a customers connection must read
// for its selection (edges.node) and its sort keys, or nil for all columns.
func customerPageColumns(ctx context.Context, keys []nestquery.SortKey) []string {
	fields, ok := connectionNodeFields(ctx)
	if !ok {
		return nil
	}
	cols := []string{customer.FieldID, customer.FieldEnvironmentID}
	seen := map[string]bool{customer.FieldID: true, customer.FieldEnvironmentID: true}
	add := func(c string) {
		if !seen[c] {
			seen[c] = true
			cols = append(cols, c)
		}
	}
	for _, k := range keys {
		add(k.Column)
	}
	for _, f := range fields {
		fc, known := customerFieldColumns[f]
		if !known {
			return nil
		}
		for _, c := range fc {
			add(c)
		}
	}
	return cols
}

// connectionNodeFields lists the field names selected under edges.node of
// the connection field being resolved (fragments included); ok is false
// when the selection cannot be read.
func connectionNodeFields(ctx context.Context) ([]string, bool) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil {
		return nil, false
	}
	op := graphql.GetOperationContext(ctx)
	var out []string
	for _, edges := range graphql.CollectFields(op, fc.Field.Selections, []string{"CustomerConnection"}) {
		if edges.Name != "edges" {
			continue
		}
		for _, node := range graphql.CollectFields(op, edges.Selections, []string{"CustomerEdge"}) {
			if node.Name != "node" {
				continue
			}
			for _, f := range graphql.CollectFields(op, node.Selections, []string{"Customer"}) {
				out = append(out, f.Name)
			}
		}
	}
	return out, true
}
