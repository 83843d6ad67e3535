package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/customers"
)

// A customer read by a root field (getCustomerByRefId) and the lists its
// selection asks for directly under it (subscriptions, promotional
// entitlements) are read in one round trip where the store pipelines
// (PostgreSQL: customers.Reads.CustomerWith). The selection is walked here,
// before the customer is read, the way its fields will resolve: each
// list's arguments are parsed by the same generated code, its columns
// worked out by the same function, and its rows handed to the loaders
// under the key its resolver looks for (primeList), so the resolver finds
// them loaded; a list whose key or arguments do not match simply loads on
// its own, as everywhere else. TestPipelinedAnswersAsPlain compares the
// answers of both paths.

// customerWithLists returns env's live customer customerID reading cols,
// with the lists of its selection read in the same round trip when the
// store pipelines.
func (r *Resolver) customerWithLists(ctx context.Context, env uuid.UUID, customerID string, cols []string) (*ent.Customer, error) {
	fc := graphql.GetFieldContext(ctx)
	if !r.CustomerReads.Pipelines() || fc == nil || fc.Field.Field == nil || loadersFrom(ctx) == nil {
		return r.CustomerReads.Customer(ctx, env, customerID, cols)
	}
	opCtx := graphql.GetOperationContext(ctx)
	var (
		lists              customers.Lists
		subKeys, grantKeys []string
		ec                 *executionContext
	)
	for _, f := range graphql.CollectFields(opCtx, fc.Field.Selections, customerImplementors) {
		switch f.Name {
		case "subscriptions":
			if ec == nil {
				ec = newExecutionContext(opCtx, &executableSchema{Resolvers: r}, nil)
			}
			args, err := ec.field_Customer_subscriptions_args(ctx, f.ArgumentMap(opCtx.Variables))
			if err != nil {
				continue // the field reports it
			}
			filter, _ := args["filter"].(*model.CustomerSubscriptionFilter)
			sorting, _ := args["sorting"].([]*model.CustomerSubscriptionSort)
			cols := queryFieldColumns(ctx, f, subscriptionFieldColumns, subscriptionKeyColumns...)
			l, err := r.subscriptionList(filter, sorting, cols)
			if err != nil {
				continue
			}
			lists.Subscriptions = append(lists.Subscriptions, l)
			subKeys = append(subKeys, queryFieldKey("subscriptions", f.Field)+strings.Join(cols, ","))
		case "promotionalEntitlements":
			cols := queryFieldColumns(ctx, f, grantFieldColumns, grantKeyColumns...)
			lists.Grants = append(lists.Grants, cols)
			grantKeys = append(grantKeys, activeGrantsKey(cols))
		}
	}
	if len(subKeys)+len(grantKeys) == 0 {
		return r.CustomerReads.Customer(ctx, env, customerID, cols)
	}
	lists.GrantsAt = r.Clock.Now()
	c, got, err := r.CustomerReads.CustomerWith(ctx, env, customerID, cols, lists)
	if err != nil {
		return nil, err
	}
	for i, key := range subKeys {
		primeList(ctx, c.ID, key, got.Subscriptions[i], subParent, subID)
	}
	for i, key := range grantKeys {
		primeList(ctx, c.ID, key, got.Grants[i], grantParent, grantID)
	}
	return c, nil
}
