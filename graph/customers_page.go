package graph

import (
	"context"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/customers"
	"github.com/stigg-selfhost/stiggql/internal/nestquery"
)

// customersPage answers the customers connection for one environment: the
// filter and sort inputs become conditions here (filter.go), the page's SQL
// is built and run by internal/customers (page.go).
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
	keys, err := customerSpec.Sort(sorting, newestFirst)
	if err != nil {
		return nil, err
	}
	key := filter
	if key == nil {
		key = &model.CustomerFilter{} // the same count as no filter
	}
	page, err := r.CustomerPages.Page(ctx, customers.PageQuery{
		Env:   env,
		Where: where,
		ScanWhere: func() (func(*sql.Selector), error) {
			return customerSpec.Where(filter, nestquery.Env{Now: now, Hints: searchHint{scan: true}})
		},
		MentionsDeletedAt: nestquery.Mentions(filter, "deletedAt"),
		Keys:              keys,
		Paging:            nestquery.FromCursorPaging(paging),
		PageSize:          pageSize(paging),
		Columns:           r.customerPageColumns(ctx, keys),
		Count:             selected(ctx, "totalCount"),
		CountKey:          nestquery.Key(key),
		CountKeyAll:       nestquery.Key(&model.CustomerFilter{}),
		// Counts of the customers' own columns are cached until they
		// change; filters on related rows are counted every time.
		Cacheable:   !nestquery.Mentions(filter, "subscriptions") && !nestquery.Mentions(filter, "promotionalEntitlements"),
		EmailSearch: searchesEmail(filter),
	})
	if err != nil {
		return nil, err
	}
	conn := &model.CustomerConnection{TotalCount: page.TotalCount}
	conn.PageInfo, conn.Edges = pageInfo(page.Page), make([]*model.CustomerEdge, len(page.Items))
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
