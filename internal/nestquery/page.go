package nestquery

import (
	"context"
	"errors"
	"reflect"
	"slices"

	"entgo.io/ent/dialect/sql"

	"github.com/stigg-selfhost/stiggql/internal/apperr"
)

// Page sizes: a request without first or last gets DefaultPageSize rows,
// and neither may exceed MaxPageSize.
const (
	DefaultPageSize = 10
	MaxPageSize     = 100
)

// PageRequest is a cursor paging input (model.CursorPaging).
type PageRequest struct {
	First, Last   *int
	After, Before *string
}

// FromCursorPaging reads a model.CursorPaging (or a pointer to one; nil
// gives the zero request) by its json field names first, last, after and
// before.
func FromCursorPaging(paging any) PageRequest {
	var r PageRequest
	v, ok := derefStruct(reflect.ValueOf(paging))
	if !ok {
		return r
	}
	for _, f := range structFields(v.Type()) {
		fv := v.Field(f.index)
		switch f.name {
		case "first", "last":
			var n *int
			switch p := fv.Interface().(type) {
			case *int:
				n = p
			case int:
				n = &p
			}
			if f.name == "first" {
				r.First = n
			} else {
				r.Last = n
			}
		case "after", "before":
			var s *string
			switch p := fv.Interface().(type) {
			case *string:
				s = p
			case string:
				if p != "" {
					s = &p
				}
			}
			if f.name == "after" {
				r.After = s
			} else {
				r.Before = s
			}
		}
	}
	return r
}

// Page is one page of a keyset-paginated list. Cursors[i] is the cursor of
// Items[i]; StartCursor and EndCursor are the first and last of them (nil
// on an empty page).
type Page[T any] struct {
	Items           []T
	Cursors         []string
	HasNextPage     bool
	HasPreviousPage bool
	StartCursor     *string
	EndCursor       *string
}

// Paginate runs a keyset-paginated fetch over rows sorted by keys (which
// must make the order total, as Spec.Sort does with its id tie-breaker).
//
// fetch gets the cursor predicate (nil when the request has no cursor), the
// order options and the limit: the page size plus one, to learn whether
// there are more rows. It must apply all three (and whatever filter the list
// has) and return the rows in the order given. values returns a row's values
// for keys, in key order (see ValuesByColumn).
//
// When T is an ent entity (or a pointer to one), its fields tell the type of
// each key's column, used to reject cursors carrying a value of another
// type, and whether the column is NOT NULL (a non-pointer field): for those
// the order options leave out the NULLS clause and the cursor predicate its
// IS NULL branch, which changes no result but lets SQLite walk an index.
//
// Rules:
//   - first and last must be between 0 and MaxPageSize and cannot be used
//     together; without either, the page size is DefaultPageSize, read
//     backward when only before is given.
//   - first (or the default) reads forward from the start of the list or
//     after the after cursor; last reads backward from the end or before the
//     before cursor, in reversed order, and the rows are put back in list
//     order.
//   - after and before may be combined, with either first or last: as in the
//     Relay specification, the two cursors bound a window (rows strictly
//     after after and strictly before before) and first takes from its
//     start, last from its end. So after with last, or before with first,
//     is supported rather than rejected.
//   - forward: hasNextPage is whether more rows than first remain (within
//     the window), hasPreviousPage is whether after was given. Backward:
//     hasPreviousPage is whether more rows than last remain, hasNextPage is
//     whether before was given. (The cursor's own row may since have been
//     deleted; rows are not counted beyond the page.)
//
// Cursors are keyset cursors: they hold the row's sort values, not an
// offset, so they stay valid while rows are inserted or deleted. A
// malformed cursor, or one made for another sorting, is BadUserInput.
func Paginate[T any](ctx context.Context, req PageRequest, keys []SortKey, values func(T) []any,
	fetch func(ctx context.Context, cursor func(*sql.Selector), order []func(*sql.Selector), limit int) ([]T, error),
) (*Page[T], error) {
	if len(keys) == 0 {
		return nil, errors.New("nestquery: Paginate needs at least one sort key")
	}
	size, backward, err := req.size()
	if err != nil {
		return nil, err
	}
	kinds, notNull := columnKinds(reflect.TypeFor[T](), keys)
	var conds []cond
	if req.After != nil {
		vals, err := DecodeCursor("after", *req.After, keys, kinds)
		if err != nil {
			return nil, err
		}
		conds = append(conds, keysetAfter(keys, vals, notNull, false))
	}
	if req.Before != nil {
		vals, err := DecodeCursor("before", *req.Before, keys, kinds)
		if err != nil {
			return nil, err
		}
		conds = append(conds, keysetAfter(keys, vals, notNull, true))
	}
	var cursor func(*sql.Selector)
	if len(conds) > 0 {
		cursor = and(conds...).applyAlways
	}
	rows, err := fetch(ctx, cursor, orderBy(keys, backward, notNull), size+1)
	if err != nil {
		return nil, err
	}
	more := len(rows) > size
	if more {
		rows = rows[:size]
	}
	if backward {
		rows = slices.Clone(rows)
		slices.Reverse(rows)
	}
	p := &Page[T]{Items: rows, Cursors: make([]string, len(rows))}
	for i, r := range rows {
		c, err := EncodeCursor(keys, values(r))
		if err != nil {
			return nil, err
		}
		p.Cursors[i] = c
	}
	if n := len(p.Cursors); n > 0 {
		p.StartCursor, p.EndCursor = &p.Cursors[0], &p.Cursors[n-1]
	}
	if backward {
		p.HasPreviousPage, p.HasNextPage = more, req.Before != nil
	} else {
		p.HasNextPage, p.HasPreviousPage = more, req.After != nil
	}
	return p, nil
}

// size validates the page size and tells the direction.
func (r PageRequest) size() (size int, backward bool, err error) {
	check := func(name string, n *int) error {
		switch {
		case n == nil:
		case *n < 0:
			return apperr.BadInput(name, "%s must not be negative", name)
		case *n > MaxPageSize:
			return apperr.BadInput(name, "%s must not exceed %d", name, MaxPageSize)
		}
		return nil
	}
	if err := check("first", r.First); err != nil {
		return 0, false, err
	}
	if err := check("last", r.Last); err != nil {
		return 0, false, err
	}
	switch {
	case r.First != nil && r.Last != nil:
		return 0, false, apperr.BadInput("last", "first and last cannot be used together")
	case r.First != nil:
		return *r.First, false, nil
	case r.Last != nil:
		return *r.Last, true, nil
	}
	return DefaultPageSize, r.Before != nil && r.After == nil, nil
}

// keysetAfter is the condition "strictly after vals" in the order of keys
// (reversed: strictly before): the lexicographic OR over i of
// (key_0 = v_0 AND ... AND key_{i-1} = v_{i-1} AND key_i after v_i).
// notNull marks keys whose column holds no NULLs (may be nil).
func keysetAfter(keys []SortKey, vals []any, notNull []bool, reverse bool) cond {
	var terms []cond
	for i := range keys {
		a := keyAfter(keys[i], vals[i], i < len(notNull) && notNull[i], reverse)
		if a.kind == kindFalse {
			continue
		}
		parts := make([]cond, 0, i+1)
		for j := 0; j < i; j++ {
			parts = append(parts, keyEqual(keys[j].Column, vals[j]))
		}
		terms = append(terms, and(append(parts, a)...))
	}
	return or(terms...)
}

// keyEqual is the tie on one key; NULL ties with NULL.
func keyEqual(col string, v any) cond {
	if v == nil {
		return isNull(col, true)
	}
	return binary(col, "=", v)
}

// keyAfter is "the key's value comes strictly after v" for one key.
func keyAfter(k SortKey, v any, notNull, reverse bool) cond {
	desc, nullsFirst := k.Desc != reverse, k.NullsFirst != reverse
	if v == nil {
		if nullsFirst {
			return isNull(k.Column, false) // every non-NULL comes after the NULLs
		}
		return condFalse // NULLs are last: nothing comes after them
	}
	op := ">"
	if desc {
		op = "<"
	}
	after := binary(k.Column, op, v)
	if nullsFirst || notNull {
		return after
	}
	return or(after, isNull(k.Column, true))
}

func isNull(col string, null bool) cond {
	test := " IS NULL"
	if !null {
		test = " IS NOT NULL"
	}
	return leaf(func(s *sql.Selector) *sql.Predicate {
		return sql.ExprP(s.C(col) + test)
	})
}

// applyAlways adds c to s's WHERE clause, FALSE and TRUE included.
func (c cond) applyAlways(s *sql.Selector) {
	s.Where(c.render(s))
}
