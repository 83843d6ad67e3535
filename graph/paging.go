package graph

import (
	"context"

	"entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

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

// source is what a connection needs of one entity: how its filter and sort
// fields map to SQL (spec), and how to list and count its rows with ent.
// Each entity's source is a few lines in connections.go.
type source[T any] struct {
	spec *nestquery.Spec
	// all lists the rows matching every predicate in where, ordered, at
	// most limit of them.
	all func(ctx context.Context, where, order []func(*sql.Selector), limit int) ([]T, error)
	// count counts the rows matching where.
	count func(ctx context.Context, where []func(*sql.Selector)) (int, error)
	id    func(T) uuid.UUID
}

// page is one connection page: the rows with their cursors, the page info
// and, when the query selects it, the total count.
type page[T any] struct {
	*nestquery.Page[T]
	Info       *model.PageInfo
	TotalCount int
}

// inEnvironment scopes any catalog or customer table to one environment:
// every such table has the environment_id column of EnvironmentMixin.
func inEnvironment(env uuid.UUID) func(*sql.Selector) {
	return func(s *sql.Selector) { s.Where(sql.EQ(s.C("environment_id"), env)) }
}

// listPage answers a nestjs-query connection over src in the request's
// environment: the filter and sorting are translated by src.spec, extra
// predicates (such as "not archived") are added, the page is read with
// keyset paging and its rows registered as one sibling group, so nested
// fields of the page load in batches.
func listPage[T any](ctx context.Context, r *Resolver, src source[T], filter any, paging *model.CursorPaging, sorting any, extra ...func(*sql.Selector)) (*page[T], error) {
	env, err := environmentOf(ctx, nil)
	if err != nil {
		return nil, err
	}
	where, err := src.spec.Where(filter, nestquery.Env{Now: r.Clock.Now()})
	if err != nil {
		return nil, err
	}
	base := append([]func(*sql.Selector){inEnvironment(env), where}, extra...)
	keys, err := src.spec.Sort(sorting, newestFirst)
	if err != nil {
		return nil, err
	}
	p, err := nestquery.Paginate(ctx, nestquery.FromCursorPaging(paging), keys, nestquery.ValuesByColumn[T](keys),
		func(ctx context.Context, cur func(*sql.Selector), order []func(*sql.Selector), limit int) ([]T, error) {
			w := base
			if cur != nil {
				w = append(append([]func(*sql.Selector){}, base...), cur)
			}
			return src.all(ctx, w, order, limit)
		})
	if err != nil {
		return nil, err
	}
	out := &page[T]{Page: p, Info: pageInfo(p)}
	registerRows(ctx, p.Items, src.id)
	if selected(ctx, "totalCount") {
		if out.TotalCount, err = src.count(ctx, base); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// edges maps a page's rows to a connection's edge type.
func edges[T, E any](p *page[T], edge func(cursor string, node T) E) []E {
	out := make([]E, len(p.Items))
	for i, n := range p.Items {
		out[i] = edge(p.Cursors[i], n)
	}
	return out
}

// registerRows registers rows as one sibling group (see loaders.go).
func registerRows[T any](ctx context.Context, rows []T, id func(T) uuid.UUID) {
	if len(rows) == 0 {
		return
	}
	ids := make([]uuid.UUID, 0, len(rows))
	seen := make(map[uuid.UUID]bool, len(rows))
	for _, row := range rows {
		if i := id(row); !seen[i] {
			seen[i] = true
			ids = append(ids, i)
		}
	}
	registerGroup(ctx, ids)
}
