package customers

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/internal/sqlbatch"
)

// Rendering a statement's SQL text is a good part of what ent costs per
// query (a tenth of Q1's CPU and a quarter of its allocations): every
// column and predicate is quoted and joined again on every request. The
// hot nested loads (a customer's subscriptions and grants) have few
// shapes, so their text is rendered by ent once per shape and reused:
//
//   - the shape's key names everything the text depends on besides the
//     arguments' values (the load, its filter and sorting, the columns,
//     the number of parents); the dialect is the client's;
//   - the first query of a shape is rendered by ent itself (Render stops it
//     at the driver), and its text is kept only if ent's arguments are
//     exactly the ones the caller passes, so a shape whose arguments the
//     caller does not know (a filter with values, say) is never reused and
//     always runs through ent;
//   - reused text is run and scanned as ent's All would (ent/rendered.go,
//     generated from ent/template/rendered.tmpl).

// maxRenderedStatements bounds the cache; past it, new shapes run through
// ent every time.
const maxRenderedStatements = 1024

// renderedStatements holds SQL text by shape key; "" marks a shape whose
// arguments did not match (run through ent).
type renderedStatements struct {
	mu   sync.RWMutex
	text map[string]string
}

// renderable is an ent query that can be rendered and run from text.
type renderable[T any] interface {
	Renderable() bool
	Render(ctx context.Context) (string, []any, error)
	AllRendered(ctx context.Context, query string, args []any) ([]T, error)
	ScanRendered(rows *sql.Rows) ([]T, error)
	All(ctx context.Context) ([]T, error)
}

// allRendered returns q.All(ctx), from the text rendered for key before
// when there is one. args are the arguments q's statement takes, in order.
func allRendered[T any](ctx context.Context, c *renderedStatements, key string, args []any, q renderable[T]) ([]T, error) {
	if c == nil || !q.Renderable() {
		return q.All(ctx)
	}
	text, args, err := textOf(ctx, c, key, args, q)
	if err != nil {
		return nil, err
	}
	return q.AllRendered(ctx, text, args)
}

// textOf returns the statement a Renderable q sends and its arguments:
// the text rendered for key before, with args (the arguments the caller
// says q takes, in order), when there is one; else ent's rendering, kept
// for key when its arguments are exactly args.
func textOf[T any](ctx context.Context, c *renderedStatements, key string, args []any, q renderable[T]) (string, []any, error) {
	var text string
	known := false
	if c != nil {
		c.mu.RLock()
		text, known = c.text[key]
		c.mu.RUnlock()
		if text != "" {
			return text, args, nil
		}
	}
	text, got, err := q.Render(ctx)
	if err != nil {
		return "", nil, err
	}
	if c != nil && !known {
		kept := text
		if !reflect.DeepEqual(got, args) {
			kept = ""
		}
		c.mu.Lock()
		if len(c.text) < maxRenderedStatements {
			c.text[key] = kept
		}
		c.mu.Unlock()
	}
	return text, got, nil
}

// queued is q as a statement of a batch (internal/sqlbatch), its rows
// scanned into *into as All scans them; key and args as for textOf.
func queued[T any](ctx context.Context, c *renderedStatements, key string, args []any, q renderable[T], into *[]T) (sqlbatch.Query, error) {
	if !q.Renderable() {
		return sqlbatch.Query{}, errors.New("customers: a batched query must be renderable")
	}
	text, args, err := textOf(ctx, c, key, args, q)
	return sqlbatch.Query{SQL: text, Args: args, Scan: func(rows *sql.Rows) (err error) {
		*into, err = q.ScanRendered(rows)
		return err
	}}, err
}

// shapeKey joins the parts of a statement's shape key: the load's name,
// what else decides its text, its columns and its number of parents.
func shapeKey(name, detail string, cols []string, parents int) string {
	return name + "|" + detail + "|" + strings.Join(cols, ",") + "|" + strconv.Itoa(parents)
}

// uuidArgs returns ids as statement arguments, as ent's IDIn passes them.
func uuidArgs(ids []uuid.UUID) []any {
	args := make([]any, len(ids), len(ids)+1)
	for i, id := range ids {
		args[i] = id
	}
	return args
}

// shapes returns how many shapes c reuses the text of and how many it
// leaves to ent.
func (c *renderedStatements) shapes() (reused, viaEnt int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, text := range c.text {
		if text == "" {
			viaEnt++
		} else {
			reused++
		}
	}
	return reused, viaEnt
}
