package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/promotionalentitlement"
	"github.com/stigg-selfhost/stiggql/internal/nestquery"
)

// Customers, and the subscriptions and grants listed under them, are read
// with only the columns their selection needs: a list asking for ids, names
// and emails has no use for the JSON metadata (decoded on every row) or a
// dozen other columns; every column costs SQL text to build, a value to copy
// out of the database and one to scan. Fields are listed with the columns
// their value (or resolver) reads; a field not listed makes the read take
// every column, so forgetting one costs speed, never correctness
// (TestPrunedReadsAnswerLikeFullOnes compares every listed field).

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
	"coupon":                             {customer.FieldCouponID},
	"eligibleForTrial":                   nil,
	"experiment":                         nil,
	"experimentInfo":                     nil,
	"trialedPlans":                       nil,
}

// customerPageColumns returns the columns a customers connection must read
// for its selection (edges.node) and its sort keys, or nil for all columns.
func (r *Resolver) customerPageColumns(ctx context.Context, keys []nestquery.SortKey) []string {
	fields, ok := connectionNodeFields(ctx)
	if !ok {
		return nil
	}
	base := []string{customer.FieldID, customer.FieldEnvironmentID}
	for _, k := range keys {
		base = append(base, k.Column)
	}
	return columnsFor(fields, customerFieldColumns, base...)
}

// customerColumns returns the columns the customer being resolved (a root
// field returning a Customer) must read, or nil for all columns.
func (r *Resolver) customerColumns(ctx context.Context) []string {
	return r.selectionColumns(ctx, customerFieldColumns, customer.FieldID, customer.FieldEnvironmentID)
}

// subscriptionFieldColumns maps CustomerSubscription's GraphQL fields to
// the columns they read. Those not listed read every column.
var subscriptionFieldColumns = map[string][]string{
	"__typename":       nil,
	"id":               {customersubscription.FieldID},
	"subscriptionId":   {customersubscription.FieldRefID},
	"status":           {customersubscription.FieldStatus, customersubscription.FieldStartDate, customersubscription.FieldTrialEndDate, customersubscription.FieldEffectiveEndDate, customersubscription.FieldCancellationDate},
	"plan":             {customersubscription.FieldPlanID},
	"startDate":        {customersubscription.FieldStartDate},
	"endDate":          {customersubscription.FieldEndDate},
	"trialEndDate":     {customersubscription.FieldTrialEndDate},
	"effectiveEndDate": {customersubscription.FieldEffectiveEndDate},
	"cancellationDate": {customersubscription.FieldCancellationDate},
	"createdAt":        {customersubscription.FieldCreatedAt},
}

// subscriptionColumns returns the columns a list of subscriptions being
// resolved must read, or nil for all columns. Subscriptions are grouped by
// customer, so the customer id is always read.
func (r *Resolver) subscriptionColumns(ctx context.Context) []string {
	return r.selectionColumns(ctx, subscriptionFieldColumns, subscriptionKeyColumns...)
}

// subscriptionKeyColumns are the columns every read of a list of
// subscriptions takes: enough to group them by customer.
var subscriptionKeyColumns = []string{customersubscription.FieldID,
	customersubscription.FieldCustomerID, customersubscription.FieldEnvironmentID}

// grantFieldColumns maps PromotionalEntitlement's GraphQL fields to the
// columns they read. Those not listed read every column.
var grantFieldColumns = map[string][]string{
	"__typename":        nil,
	"id":                {promotionalentitlement.FieldID},
	"feature":           {promotionalentitlement.FieldFeatureRefID},
	"featureId":         {promotionalentitlement.FieldFeatureRefID},
	"status":            {promotionalentitlement.FieldEndDate},
	"usageLimit":        {promotionalentitlement.FieldUsageLimit},
	"hasUnlimitedUsage": {promotionalentitlement.FieldHasUnlimitedUsage},
	"hasSoftLimit":      {promotionalentitlement.FieldHasSoftLimit},
	"isVisible":         {promotionalentitlement.FieldIsVisible},
	"description":       {promotionalentitlement.FieldDescription},
	"startDate":         {promotionalentitlement.FieldStartDate},
	"endDate":           {promotionalentitlement.FieldEndDate},
	"period":            {promotionalentitlement.FieldGrantPeriod},
	"createdAt":         {promotionalentitlement.FieldCreatedAt},
	"updatedAt":         {promotionalentitlement.FieldUpdatedAt},
}

// grantKeyColumns are the columns every read of grants takes: enough to
// group them by customer and count them.
var grantKeyColumns = []string{promotionalentitlement.FieldID, promotionalentitlement.FieldCustomerID, promotionalentitlement.FieldEnvironmentID}

// grantColumns returns the columns a list of grants being resolved must
// read, or nil for all columns.
func (r *Resolver) grantColumns(ctx context.Context) []string {
	return r.selectionColumns(ctx, grantFieldColumns, grantKeyColumns...)
}

// selectionColumns returns the columns the selection of the field being
// resolved reads, per fieldColumns, with base; nil for all columns.
func (r *Resolver) selectionColumns(ctx context.Context, fieldColumns map[string][]string, base ...string) []string {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil {
		return nil
	}
	return queryFieldColumns(ctx, fc.Field, fieldColumns, base...)
}

// queryFieldColumns returns the columns the selection of the query field f
// reads, per fieldColumns, with base; nil for all columns.
func queryFieldColumns(ctx context.Context, f graphql.CollectedField, fieldColumns map[string][]string, base ...string) []string {
	// Siblings resolve the same query field: work its columns out once per
	// request.
	l := loadersFrom(ctx)
	if l != nil {
		l.mu.Lock()
		cols, ok := l.columns[f.Field]
		l.mu.Unlock()
		if ok {
			return cols
		}
	}
	var fields []string
	for _, sf := range graphql.CollectFields(graphql.GetOperationContext(ctx), f.Selections, nil) {
		fields = append(fields, sf.Name)
	}
	cols := columnsFor(fields, fieldColumns, base...)
	if l != nil {
		l.mu.Lock()
		if l.columns == nil {
			l.columns = map[*ast.Field][]string{}
		}
		l.columns[f.Field] = cols
		l.mu.Unlock()
	}
	return cols
}

// columnsFor returns base and the columns of fields, each once, or nil when
// a field is not in fieldColumns.
func columnsFor(fields []string, fieldColumns map[string][]string, base ...string) []string {
	cols := make([]string, 0, len(base)+len(fields))
	seen := make(map[string]bool, len(base)+len(fields))
	add := func(c string) {
		if !seen[c] {
			seen[c] = true
			cols = append(cols, c)
		}
	}
	for _, c := range base {
		add(c)
	}
	for _, f := range fields {
		fc, known := fieldColumns[f]
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
