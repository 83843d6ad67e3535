// Package nestquery translates Stigg's nestjs-query style inputs — filters,
// sorting and cursor paging — into ent SQL building blocks: predicates and
// order options of type func(*sql.Selector), which convert directly to ent's
// generated types (predicate.Customer(p), customer.OrderOption(o)).
//
// It works by reflection on the gqlgen model structs, reading their json tags
// (the GraphQL field names), so it does not depend on the graph package. An
// entity is described once by a Spec; every input error is an *apperr.Error
// with code BadUserInput, and no user input can produce a panic or reach the
// database as an invalid statement.
//
// # Semantics
//
// Filters follow nestjs-query: the fields set in one filter object are ANDed,
// "and" and "or" nest to any depth (up to MaxFilterDepth), an empty "and" or
// "or" list adds no condition (nestjs-query ignores empty lists). Several
// operators in one comparison are ANDed. Operators keep SQL semantics for
// NULL: eq, neq, gt, ..., in, notIn, like and between never match a NULL
// column (so neq: "x" does not return rows where the column is NULL); use
// is / isNot null for those. An empty in list matches nothing and an empty
// notIn list matches every row (NULLs included). between and notBetween
// include their bounds (notBetween: col < lower OR col > upper).
//
// is / isNot: null means IS NULL / IS NOT NULL on every column; true and
// false are accepted only on boolean comparisons (BooleanFieldComparison)
// and mean IS TRUE / IS FALSE (isNot: IS NOT TRUE / IS NOT FALSE), because
// PostgreSQL rejects IS TRUE on other types.
//
// like / notLike are case-sensitive and iLike / notILike case-insensitive on
// both databases. Patterns use SQL's % (any run of characters) and _ (one
// character); a backslash makes the next character literal (PostgreSQL's
// default LIKE escape), and a trailing lone backslash is a literal backslash.
// On PostgreSQL they run as LIKE / ILIKE (the column cast to text when it is
// not a string, e.g. uuid; iLike as lower(col) LIKE lower(pattern) on the
// columns of Spec.LowerILike). SQLite's LIKE ignores ASCII case, so there like
// runs as GLOB with the pattern translated, and iLike as
// lower(col) LIKE lower(pattern); SQLite's lower() and LIKE only fold ASCII,
// so iLike on SQLite is case-insensitive for ASCII letters only, whereas
// PostgreSQL's ILIKE folds all of Unicode.
//
// String ordering (gt/lt on strings and sorting by a string column) follows
// the database collation: bytewise on SQLite, the database's LC_COLLATE on
// PostgreSQL. Create the PostgreSQL database with the C or C.UTF-8 collation
// to get the same order on both. Paging is consistent in either case, since
// the cursor predicate is evaluated with the collation that sorted the rows.
package nestquery

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/stigg-selfhost/stiggql/internal/apperr"
)

// Limits on filters, so a request cannot build a statement the databases
// refuse (SQLite caps expression depth and bound variables) or that is
// expensive to plan.
const (
	// MaxFilterDepth is how deeply and / or lists and relation filters may
	// nest.
	MaxFilterDepth = 32
	// MaxFilterConditions caps the number of operators in one filter.
	MaxFilterConditions = 1000
	// MaxInValues caps the number of values in one in / notIn list.
	MaxInValues = 1000
	// MaxFilterArgs caps the number of values one filter binds in total.
	MaxFilterArgs = 10000
	// MaxPatternLength caps like / iLike patterns, in bytes (SQLite refuses
	// patterns over 50,000 bytes).
	MaxPatternLength = 4096
)

// Spec describes one entity to the machinery.
type Spec struct {
	// Name names the entity in error messages ("customer"); defaults to
	// Table.
	Name string
	// Table is the SQL table name (ent's customer.Table etc.).
	Table string
	// IDColumn is the primary key column ("id"): the final sort
	// tie-breaker and the column relation foreign keys point at.
	IDColumn string
	// Columns maps GraphQL field names to columns, for filters and sorting.
	Columns map[string]string
	// LowerILike lists the columns whose iLike / notILike PostgreSQL runs
	// as lower(col) LIKE lower(pattern) instead of ILIKE: the columns whose
	// indexes hold lower(col). In a UTF-8 database that is what ILIKE
	// computes (PostgreSQL's Generic_Text_IC_like lowers both sides with the
	// same collation, then matches as LIKE), so the rows are the same; an
	// index holding lower(col) then serves it (and one on col no longer
	// does), and a walk of such an index reads lower(col) instead of
	// lowering every value. SQLite always runs iLike that way.
	LowerILike map[string]bool
	// Custom holds filter fields computed rather than stored (customer
	// searchQuery, promotional entitlement status by clock...). The function
	// receives the comparison as given in the filter (a pointer to the model
	// struct, never nil) and returns a selector function that must only add
	// WHERE predicates (s.Where), qualifying columns with s.C; a nil function
	// adds no condition. Input errors must be *apperr.Error. Custom fields
	// take precedence over Relations and Columns.
	Custom map[string]func(cmp any, env Env) (func(*sql.Selector), error)
	// Relations are filters on related rows: the row matches when ANY
	// related row matches (an EXISTS subquery).
	Relations map[string]Relation
}

// Relation is a one-to-many link from a Spec to the rows of another.
type Relation struct {
	// Spec describes the related entity.
	Spec *Spec
	// ForeignKey is the column in the related table pointing at this
	// table's IDColumn.
	ForeignKey string
}

// Env carries request-wide values filters may need.
type Env struct {
	// Now is the request's clock reading, for filters that depend on time.
	Now time.Time
	// Hints carries the caller's choices to its Custom filters (how to
	// search, say); nestquery itself ignores it.
	Hints any
}

func (s *Spec) name() string {
	if s.Name != "" {
		return s.Name
	}
	return s.Table
}

// Where translates a filter struct (or a pointer to one; nil means no
// condition) into one predicate. The result is never nil: without conditions
// it is a function that does nothing, so it can always be passed to ent
// (predicate.Customer(p)). Errors are *apperr.Error (BadUserInput) for
// invalid input; other errors mean the Spec or the filter type is wrong.
func (s *Spec) Where(filter any, env Env) (func(*sql.Selector), error) {
	c := &compiler{env: env}
	cnd, err := c.filter(s, reflect.ValueOf(filter), "", 0, 0)
	if err != nil {
		return nil, err
	}
	return cnd.apply, nil
}

// Mentions reports whether filter (recursively, through and / or) sets the
// given GraphQL field. Relation filters are not searched: their fields
// belong to the related entity. Used, for instance, to show archived
// customers only when a filter asks for deletedAt.
func Mentions(filter any, field string) bool {
	return mentions(reflect.ValueOf(filter), field, 0)
}

func mentions(v reflect.Value, field string, depth int) bool {
	v, ok := derefStruct(v)
	if !ok || depth > MaxFilterDepth {
		return false
	}
	for _, f := range structFields(v.Type()) {
		fv := v.Field(f.index)
		switch f.name {
		case "and", "or":
			if fv.Kind() != reflect.Slice {
				continue
			}
			for i := 0; i < fv.Len(); i++ {
				if mentions(fv.Index(i), field, depth+1) {
					return true
				}
			}
		case field:
			if isSet(fv) {
				return true
			}
		}
	}
	return false
}

// compiler translates one filter, counting what it binds against the limits.
type compiler struct {
	env        Env
	conditions int
	args       int
}

func (c *compiler) count(path string, conditions, args int) error {
	c.conditions += conditions
	c.args += args
	if c.conditions > MaxFilterConditions || c.args > MaxFilterArgs {
		return apperr.BadInput(path, "filter is too complex (at most %d conditions and %d values)", MaxFilterConditions, MaxFilterArgs)
	}
	return nil
}

// filter compiles the filter struct v for spec. depth counts nesting (and /
// or lists and relations), rel counts relation subqueries only (it names
// their table aliases).
func (c *compiler) filter(spec *Spec, v reflect.Value, path string, depth, rel int) (cond, error) {
	v, ok := derefStruct(v)
	if !ok {
		if v.IsValid() && v.Kind() != reflect.Pointer && v.Kind() != reflect.Interface {
			return cond{}, fmt.Errorf("nestquery: filter for %s is a %s, not a struct", spec.name(), v.Type())
		}
		return condTrue, nil
	}
	if depth > MaxFilterDepth {
		return cond{}, apperr.BadInput(path, "filter is nested too deeply (at most %d levels)", MaxFilterDepth)
	}
	var parts []cond
	for _, f := range structFields(v.Type()) {
		fv := v.Field(f.index)
		if !isSet(fv) {
			continue
		}
		fpath := join(path, f.name)
		switch f.name {
		case "and", "or":
			if fv.Kind() != reflect.Slice {
				return cond{}, fmt.Errorf("nestquery: %s.%s is a %s, not a list", spec.name(), f.name, fv.Type())
			}
			var kids []cond
			for i := 0; i < fv.Len(); i++ {
				el := fv.Index(i)
				if _, ok := derefStruct(el); !ok {
					continue // a null list element adds nothing
				}
				k, err := c.filter(spec, el, fpath, depth+1, rel)
				if err != nil {
					return cond{}, err
				}
				kids = append(kids, k)
			}
			if len(kids) == 0 {
				continue // nestjs-query ignores empty and / or lists
			}
			if f.name == "and" {
				parts = append(parts, and(kids...))
			} else {
				parts = append(parts, or(kids...))
			}
		default:
			p, err := c.field(spec, f.name, fv, fpath, depth, rel)
			if err != nil {
				return cond{}, err
			}
			parts = append(parts, p)
		}
	}
	return and(parts...), nil
}

// field compiles one filter field other than and / or.
func (c *compiler) field(spec *Spec, name string, v reflect.Value, path string, depth, rel int) (cond, error) {
	if fn, ok := spec.Custom[name]; ok {
		if err := c.count(path, 1, 0); err != nil {
			return cond{}, err
		}
		sel, err := fn(v.Interface(), c.env)
		if err != nil {
			return cond{}, err
		}
		if sel == nil {
			return condTrue, nil
		}
		return leaf(func(s *sql.Selector) *sql.Predicate {
			t := s.Clone()
			t.SetP(nil)
			sel(t)
			p := t.P()
			if p == nil {
				return sql.ExprP("TRUE")
			}
			return sql.P(func(b *sql.Builder) { b.Wrap(func(b *sql.Builder) { b.Join(p) }) })
		}), nil
	}
	if r, ok := spec.Relations[name]; ok {
		if r.Spec == nil || r.ForeignKey == "" || spec.IDColumn == "" {
			return cond{}, fmt.Errorf("nestquery: relation %s.%s is incomplete", spec.name(), name)
		}
		if err := c.count(path, 1, 0); err != nil {
			return cond{}, err
		}
		inner, err := c.filter(r.Spec, v, path, depth+1, rel+1)
		if err != nil {
			return cond{}, err
		}
		if inner.kind == kindFalse {
			return condFalse, nil
		}
		alias := "nq" + strconv.Itoa(rel+1)
		idCol, fk, table := spec.IDColumn, r.ForeignKey, r.Spec.Table
		return leaf(func(s *sql.Selector) *sql.Predicate {
			d := sql.Dialect(s.Dialect())
			sub := d.Select().From(d.Table(table).As(alias))
			sub.SelectExpr(sql.Raw("1"))
			outer, link := s.C(idCol), sub.C(fk)
			sub.Where(sql.P(func(b *sql.Builder) {
				b.WriteString(link).WriteString(" = ").WriteString(outer)
			}))
			if inner.kind != kindTrue {
				sub.Where(inner.render(sub))
			}
			return sql.Exists(sub)
		}), nil
	}
	if col, ok := spec.Columns[name]; ok {
		return c.comparison(col, spec.LowerILike[col], path, v)
	}
	return cond{}, apperr.BadInput(path, "filtering on %s.%s is not supported", spec.name(), name)
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// field is a struct field with its GraphQL name.
type field struct {
	index int
	name  string
}

var fieldsCache sync.Map // reflect.Type -> []field

// structFields lists t's exported fields by json name, cached per type.
func structFields(t reflect.Type) []field {
	if f, ok := fieldsCache.Load(t); ok {
		return f.([]field)
	}
	var fs []field
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name := jsonName(sf)
		if name == "" {
			continue
		}
		fs = append(fs, field{index: i, name: name})
	}
	fieldsCache.Store(t, fs)
	return fs
}

// jsonName is the field's json name, its Go name when untagged, "" when
// the field is excluded from JSON.
func jsonName(sf reflect.StructField) string {
	tag := sf.Tag.Get("json")
	if tag == "-" {
		return ""
	}
	name, _, _ := strings.Cut(tag, ",")
	if name == "" {
		return sf.Name
	}
	return name
}

// derefStruct follows pointers and interfaces to a struct; ok is false for
// nil or non-struct values.
func derefStruct(v reflect.Value) (reflect.Value, bool) {
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) {
		if v.IsNil() {
			return v, false
		}
		v = v.Elem()
	}
	return v, v.IsValid() && v.Kind() == reflect.Struct
}

// isSet reports whether an input field was given: a non-nil pointer, slice
// or map, or a set Omittable. Other values count as set when non-zero.
func isSet(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map:
		return !v.IsNil()
	case reflect.Struct:
		if o, ok := omittable(v); ok {
			return o.set
		}
	}
	return !v.IsZero()
}
