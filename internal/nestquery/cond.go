package nestquery

import (
	"entgo.io/ent/dialect/sql"
)

// cond is a compiled condition: a tree of AND / OR over leaves, with the
// constants TRUE and FALSE folded away at construction. Leaves are built
// against the selector they end up in, so columns are qualified with its
// table (or alias, inside EXISTS subqueries) and written for its dialect.
type cond struct {
	kind condKind
	leaf func(*sql.Selector) *sql.Predicate
	kids []cond
}

type condKind uint8

const (
	kindTrue condKind = iota
	kindFalse
	kindLeaf
	kindAnd
	kindOr
)

var (
	condTrue  = cond{kind: kindTrue}
	condFalse = cond{kind: kindFalse}
)

// leaf returns a condition rendered by fn. The predicate fn returns must be
// self-contained: it is combined with AND / OR without further parentheses,
// so it must not contain a top-level AND or OR.
func leaf(fn func(*sql.Selector) *sql.Predicate) cond {
	return cond{kind: kindLeaf, leaf: fn}
}

// and returns the conjunction of cs: TRUE when empty, FALSE when any is.
func and(cs ...cond) cond { return combine(kindAnd, cs) }

// or returns the disjunction of cs: FALSE when empty, TRUE when any is.
func or(cs ...cond) cond { return combine(kindOr, cs) }

func combine(kind condKind, cs []cond) cond {
	neutral, absorbing := kindTrue, kindFalse
	if kind == kindOr {
		neutral, absorbing = kindFalse, kindTrue
	}
	var kids []cond
	for _, c := range cs {
		switch c.kind {
		case neutral:
			continue
		case absorbing:
			return c
		case kind:
			kids = append(kids, c.kids...) // flatten (a AND b) AND c
		default:
			kids = append(kids, c)
		}
	}
	switch len(kids) {
	case 0:
		return cond{kind: neutral}
	case 1:
		return kids[0]
	}
	return cond{kind: kind, kids: kids}
}

// render writes c as a predicate for s. Composite conditions come out fully
// parenthesised, and long lists as balanced trees, so the result composes
// safely with ent's own predicates and stays far from SQLite's expression
// depth limit however many operands a filter has.
func (c cond) render(s *sql.Selector) *sql.Predicate {
	switch c.kind {
	case kindTrue:
		return sql.ExprP("TRUE")
	case kindFalse:
		return sql.ExprP("FALSE")
	case kindLeaf:
		return c.leaf(s)
	case kindAnd:
		return renderList(s, " AND ", c.kids)
	default:
		return renderList(s, " OR ", c.kids)
	}
}

func renderList(s *sql.Selector, op string, kids []cond) *sql.Predicate {
	if len(kids) == 1 {
		return kids[0].render(s)
	}
	mid := len(kids) / 2
	l, r := renderList(s, op, kids[:mid]), renderList(s, op, kids[mid:])
	return sql.P(func(b *sql.Builder) {
		b.Wrap(func(b *sql.Builder) {
			b.Join(l).WriteString(op).Join(r)
		})
	})
}

// apply adds c to s's WHERE clause; TRUE adds nothing.
func (c cond) apply(s *sql.Selector) {
	if c.kind == kindTrue {
		return
	}
	s.Where(c.render(s))
}
