package graph

import (
	"context"

	"entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/predicate"
	"github.com/stigg-selfhost/stiggql/ent/promotionalentitlement"
	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/nestquery"
)

// Default orders, newest first. Ending in id keeps the order total and
// lets the (environment_id, created_at, id) indexes serve it in one scan.
var (
	newestFirst = []nestquery.SortKey{
		{Column: "created_at", Desc: true, NullsFirst: true},
		{Column: "id", Desc: true, NullsFirst: true},
	}
)

// selected reports whether the current field's selection asks for name
// (totalCount costs a count query, so it runs only when asked for).
func selected(ctx context.Context, name string) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil {
		return true
	}
	for _, f := range graphql.CollectFields(graphql.GetOperationContext(ctx), fc.Field.Selections, nil) {
		if f.Name == name {
			return true
		}
	}
	return false
}

func pageInfo[T any](p *nestquery.Page[T]) *model.PageInfo {
	next, prev := p.HasNextPage, p.HasPreviousPage
	return &model.PageInfo{HasNextPage: &next, HasPreviousPage: &prev, StartCursor: p.StartCursor, EndCursor: p.EndCursor}
}

// customersPage answers the customers connection for one environment.
func (r *Resolver) customersPage(ctx context.Context, filter *model.CustomerFilter, paging *model.CursorPaging, sorting []*model.CustomerSort) (*model.CustomerConnection, error) {
	env, err := environmentOf(ctx, nil)
	if err != nil {
		return nil, err
	}
	now := r.Clock.Now()
	where, err := customerSpec.Where(filter, nestquery.Env{Now: now})
	if err != nil {
		return nil, err
	}
	live := !nestquery.Mentions(filter, "deletedAt")
	scope := func(where func(*sql.Selector)) []predicate.Customer {
		base := []predicate.Customer{customer.EnvironmentID(env), predicate.Customer(where)}
		// Archived customers are invisible unless the filter asks about deletedAt.
		if live {
			base = append(base, customer.DeletedAtIsNil())
		}
		return base
	}
	base := scope(where)
	keys, err := customerSpec.Sort(sorting, newestFirst)
	if err != nil {
		return nil, err
	}
	// The count comes first when asked for: a search matching many
	// customers finds its page faster by walking the newest-first index
	// than through the trigram index (search.go).
	conn := &model.CustomerConnection{}
	if selected(ctx, "totalCount") {
		// Counts of the customers' own columns are cached until they change
		// (counts.go); filters on related rows are counted every time.
		cacheable := !nestquery.Mentions(filter, "subscriptions") && !nestquery.Mentions(filter, "promotionalEntitlements")
		key := filter
		if key == nil {
			key = &model.CustomerFilter{} // the same count as no filter
		}
		conn.TotalCount, err = r.countCustomers(ctx, env, nestquery.Key(key), cacheable, func(ctx context.Context) (int, error) {
			return r.Client.Customer.Query().Where(base...).Count(ctx)
		})
		if err != nil {
			return nil, err
		}
		envSize := -1
		if n, ok := r.peekCount(env, nestquery.Key(&model.CustomerFilter{})); ok {
			envSize = n
		}
		if searchesEmail(filter) && scanSearchPage(conn.TotalCount, envSize, pageSize(paging)) {
			scan, err := customerSpec.Where(filter, nestquery.Env{Now: now, Hints: searchHint{scan: true}})
			if err != nil {
				return nil, err
			}
			base = scope(scan)
		}
	}
	cols := customerPageColumns(ctx, keys)
	page, err := nestquery.Paginate(ctx, nestquery.FromCursorPaging(paging), keys, nestquery.ValuesByColumn[*ent.Customer](keys),
		func(ctx context.Context, cur func(*sql.Selector), order []func(*sql.Selector), limit int) ([]*ent.Customer, error) {
			q := r.Client.Customer.Query().Where(base...)
			if cols != nil {
				q.Select(cols...) // only what the selection reads (columns.go)
			}
			if cur != nil {
				q.Where(predicate.Customer(cur))
			}
			for _, o := range order {
				q.Order(customer.OrderOption(o))
			}
			return q.Limit(limit).All(ctx)
		})
	if err != nil {
		return nil, err
	}
	conn.PageInfo, conn.Edges = pageInfo(page), make([]*model.CustomerEdge, len(page.Items))
	ids := make([]uuid.UUID, len(page.Items))
	for i, c := range page.Items {
		conn.Edges[i] = &model.CustomerEdge{Cursor: page.Cursors[i], Node: c}
		ids[i] = c.ID
	}
	registerGroup(ctx, ids)
	return conn, nil
}

// pageSize is the number of rows a paging asks for (the default when
// unset), for cost estimates only.
func pageSize(p *model.CursorPaging) int {
	switch {
	case p == nil:
		return 10
	case p.First != nil:
		return *p.First
	case p.Last != nil:
		return *p.Last
	}
	return 10
}

// subscriptionsPage answers the customerSubscriptions connection.
func (r *Resolver) subscriptionsPage(ctx context.Context, filter *model.CustomerSubscriptionFilter, paging *model.CursorPaging, sorting []*model.CustomerSubscriptionSort) (*model.CustomerSubscriptionConnection, error) {
	env, err := environmentOf(ctx, nil)
	if err != nil {
		return nil, err
	}
	where, err := subscriptionSpec.Where(filter, nestquery.Env{Now: r.Clock.Now()})
	if err != nil {
		return nil, err
	}
	base := []predicate.CustomerSubscription{customersubscription.EnvironmentID(env), predicate.CustomerSubscription(where)}
	keys, err := subscriptionSpec.Sort(sorting, newestFirst)
	if err != nil {
		return nil, err
	}
	page, err := nestquery.Paginate(ctx, nestquery.FromCursorPaging(paging), keys, nestquery.ValuesByColumn[*ent.CustomerSubscription](keys),
		func(ctx context.Context, cur func(*sql.Selector), order []func(*sql.Selector), limit int) ([]*ent.CustomerSubscription, error) {
			q := r.Client.CustomerSubscription.Query().Where(base...)
			if cur != nil {
				q.Where(predicate.CustomerSubscription(cur))
			}
			for _, o := range order {
				q.Order(customersubscription.OrderOption(o))
			}
			return q.Limit(limit).All(ctx)
		})
	if err != nil {
		return nil, err
	}
	conn := &model.CustomerSubscriptionConnection{PageInfo: pageInfo(page), Edges: make([]*model.CustomerSubscriptionEdge, len(page.Items))}
	for i, s := range page.Items {
		conn.Edges[i] = &model.CustomerSubscriptionEdge{Cursor: page.Cursors[i], Node: s}
	}
	if selected(ctx, "totalCount") {
		if conn.TotalCount, err = r.Client.CustomerSubscription.Query().Where(base...).Count(ctx); err != nil {
			return nil, err
		}
	}
	return conn, nil
}

// promotionalEntitlementsPage answers the promotionalEntitlements connection.
func (r *Resolver) promotionalEntitlementsPage(ctx context.Context, filter *model.PromotionalEntitlementFilter, paging *model.CursorPaging, sorting []*model.PromotionalEntitlementSort) (*model.PromotionalEntitlementConnection, error) {
	env, err := environmentOf(ctx, nil)
	if err != nil {
		return nil, err
	}
	where, err := promotionalEntitlementSpec.Where(filter, nestquery.Env{Now: r.Clock.Now()})
	if err != nil {
		return nil, err
	}
	base := []predicate.PromotionalEntitlement{promotionalentitlement.EnvironmentID(env), predicate.PromotionalEntitlement(where)}
	keys, err := promotionalEntitlementSpec.Sort(sorting, newestFirst)
	if err != nil {
		return nil, err
	}
	page, err := nestquery.Paginate(ctx, nestquery.FromCursorPaging(paging), keys, nestquery.ValuesByColumn[*ent.PromotionalEntitlement](keys),
		func(ctx context.Context, cur func(*sql.Selector), order []func(*sql.Selector), limit int) ([]*ent.PromotionalEntitlement, error) {
			q := r.Client.PromotionalEntitlement.Query().Where(base...)
			if cur != nil {
				q.Where(predicate.PromotionalEntitlement(cur))
			}
			for _, o := range order {
				q.Order(promotionalentitlement.OrderOption(o))
			}
			return q.Limit(limit).All(ctx)
		})
	if err != nil {
		return nil, err
	}
	conn := &model.PromotionalEntitlementConnection{PageInfo: pageInfo(page), Edges: make([]*model.PromotionalEntitlementEdge, len(page.Items))}
	for i, p := range page.Items {
		conn.Edges[i] = &model.PromotionalEntitlementEdge{Cursor: page.Cursors[i], Node: p}
	}
	if selected(ctx, "totalCount") {
		if conn.TotalCount, err = r.Client.PromotionalEntitlement.Query().Where(base...).Count(ctx); err != nil {
			return nil, err
		}
	}
	return conn, nil
}

// customerSubscriptions loads one customer's subscriptions matching filter
// and sorting, batched over the customer's group of siblings: one query per
// distinct (filter, sorting) per group.
func (r *Resolver) customerSubscriptions(ctx context.Context, customerID uuid.UUID, filter *model.CustomerSubscriptionFilter, sorting []*model.CustomerSubscriptionSort) ([]*ent.CustomerSubscription, error) {
	argKey := nestquery.Key(filter) + "|" + nestquery.Key(sorting)
	where, err := subscriptionSpec.Where(filter, nestquery.Env{Now: r.Clock.Now()})
	if err != nil {
		return nil, err
	}
	keys, err := subscriptionSpec.Sort(sorting, newestFirst)
	if err != nil {
		return nil, err
	}
	subs, err := load(ctx, customerID, "subscriptions:"+argKey, func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*ent.CustomerSubscription, error) {
		q := r.Client.CustomerSubscription.Query().
			Where(customersubscription.CustomerIDIn(ids...), predicate.CustomerSubscription(where))
		for _, o := range nestquery.OrderBy(keys, false) {
			q.Order(customersubscription.OrderOption(o))
		}
		rows, err := q.All(ctx)
		return groupBy(rows, func(s *ent.CustomerSubscription) uuid.UUID { return s.CustomerID }), err
	})
	if subs == nil && err == nil {
		subs = []*ent.CustomerSubscription{}
	}
	return subs, err
}
