package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/catalog"
	"github.com/stigg-selfhost/stiggql/internal/store"
)

// Loaders batch nested lookups within one request. A list resolver
// registers the ids of the rows it returns as a group; when any row of the
// group first asks for a nested field (its subscriptions, say), the field is
// loaded for the whole group in one query and the others find it ready. This
// is ent's eager loading decided at run time: the number of SQL statements
// depends on the shape of the query, never on the page size, and no timer is
// involved (unlike time-window dataloaders), so it adds no latency.
type Loaders struct {
	mu     sync.Mutex
	groups map[uuid.UUID]*group
	// columns are the columns each query field's selection reads
	// (columns.go).
	columns map[*ast.Field][]string
}

type group struct {
	ids     []uuid.UUID
	mu      sync.Mutex
	results map[string]*groupResult
}

type groupResult struct {
	once sync.Once
	// byID is the fetch's map[uuid.UUID]T as it came (load's T is the
	// same for every caller of a key), asserted back on each read.
	byID any
	err  error
}

type loadersKey struct{}

// WithLoaders returns ctx with fresh per-request loaders, and the
// request's memos of environment versions (internal/store/versions.go) and
// catalog snapshots (internal/catalog/snapshot.go).
func WithLoaders(ctx context.Context) context.Context {
	ctx = catalog.WithRequestSnapshots(store.WithRequestVersions(ctx))
	return context.WithValue(ctx, loadersKey{}, &Loaders{groups: map[uuid.UUID]*group{}})
}

func loadersFrom(ctx context.Context) *Loaders {
	if l, ok := ctx.Value(loadersKey{}).(*Loaders); ok {
		return l
	}
	return nil
}

// registerGroup records ids as loaded together. An id already in a group
// stays there (the first group that listed it loads its fields): the same
// row reached by a second path, such as a subscription's customer who is
// also on the customers page, must not move, or which group loads it would
// depend on which resolver ran first.
func registerGroup(ctx context.Context, ids []uuid.UUID) {
	l := loadersFrom(ctx)
	if l == nil || len(ids) == 0 {
		return
	}
	g := &group{results: map[string]*groupResult{}}
	l.mu.Lock()
	for _, id := range ids {
		if _, taken := l.groups[id]; !taken {
			l.groups[id] = g
			g.ids = append(g.ids, id)
		}
	}
	l.mu.Unlock()
}

func (l *Loaders) groupOf(id uuid.UUID) *group {
	l.mu.Lock()
	defer l.mu.Unlock()
	g, ok := l.groups[id]
	if !ok {
		g = &group{ids: []uuid.UUID{id}, results: map[string]*groupResult{}}
		l.groups[id] = g
	}
	return g
}

// load returns the value of the nested field named key for id, fetching it
// for id's whole group on first use. fetch returns values by id; ids absent
// from its map get T's zero value.
func load[T any](ctx context.Context, id uuid.UUID, key string, fetch func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]T, error)) (T, error) {
	var zero T
	l := loadersFrom(ctx)
	if l == nil {
		m, err := fetch(ctx, []uuid.UUID{id})
		if err != nil {
			return zero, err
		}
		return m[id], nil
	}
	g := l.groupOf(id)
	g.mu.Lock()
	res, ok := g.results[key]
	if !ok {
		res = &groupResult{}
		g.results[key] = res
	}
	g.mu.Unlock()
	res.once.Do(func() {
		res.byID, res.err = fetch(ctx, g.ids)
	})
	if res.err != nil {
		return zero, res.err
	}
	m := res.byID.(map[uuid.UUID]T)
	return m[id], nil
}

// fieldKey names a nested load by the query field being resolved: every
// sibling resolving it has the same arguments and selection. Without a
// field (a call from outside a GraphQL field), the arguments name it.
func fieldKey(ctx context.Context, name string, args ...any) (string, error) {
	if fc := graphql.GetFieldContext(ctx); fc != nil && fc.Field.Field != nil {
		return queryFieldKey(name, fc.Field.Field), nil
	}
	b, err := json.Marshal(args)
	if err != nil {
		return "", apperr.BadInput("filter", "filter cannot be encoded")
	}
	return name + ":" + string(b), nil
}

// queryFieldKey is fieldKey's name for the load of the query field f.
func queryFieldKey(name string, f *ast.Field) string {
	return fmt.Sprintf("%s@%p", name, f)
}

// primeList records rows as what loadList would load for the field named
// key of id, the parent of each row being parent(row), when id is alone in
// its group (a root field's object) and the field is not loaded yet;
// otherwise the field loads as usual. The rows are registered as a group.
func primeList[T any](ctx context.Context, id uuid.UUID, key string, rows []T, parent, childID func(T) uuid.UUID) {
	l := loadersFrom(ctx)
	if l == nil {
		return
	}
	g := l.groupOf(id)
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, loaded := g.results[key]; loaded || len(g.ids) != 1 || g.ids[0] != id {
		return
	}
	res := &groupResult{}
	res.once.Do(func() {
		registerRows(ctx, rows, childID)
		res.byID = groupBy(rows, parent)
	})
	g.results[key] = res
}
