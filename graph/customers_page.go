package graph

import (
	"context"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"
	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/predicate"
	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/nestquery"
)

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
	plan := searchPlanAny // how the page of a search is found (search.go)
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
		if searchesEmail(filter) {
			plan = searchPlanFor(conn.TotalCount, envSize, pageSize(paging))
			if plan == searchPlanScan {
				scan, err := customerSpec.Where(filter, nestquery.Env{Now: now, Hints: searchHint{scan: true}})
				if err != nil {
					return nil, err
				}
				base = scope(scan)
			}
		}
	}
	cols := r.customerPageColumns(ctx, keys)
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
			if m := plan.pageModifier(order, limit); m != nil {
				q.Modify(m)
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
