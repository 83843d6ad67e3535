package nestquery

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/internal/apperr"
)

var (
	timeType     = reflect.TypeOf(time.Time{})
	uuidType     = reflect.TypeOf(uuid.UUID{})
	stringType   = reflect.TypeOf("")
	omitBoolType = reflect.TypeOf(graphql.Omittable[*bool]{})
)

// binaryOps maps the comparison operators taking one value to SQL.
var binaryOps = map[string]string{
	"eq":  "=",
	"neq": "<>",
	"gt":  ">",
	"gte": ">=",
	"lt":  "<",
	"lte": "<=",
}

// comparison compiles a comparison struct (StringFieldComparison,
// DateFieldComparison, an enum comparison...) on column col. Its operators
// are ANDed; an empty comparison adds no condition. lowerILike is
// Spec.LowerILike for col.
func (c *compiler) comparison(col string, lowerILike bool, path string, v reflect.Value) (cond, error) {
	v, ok := derefStruct(v)
	if !ok {
		if v.IsValid() && v.Kind() != reflect.Pointer && v.Kind() != reflect.Interface {
			return cond{}, fmt.Errorf("nestquery: comparison for %s is a %s, not a struct", path, v.Type())
		}
		return condTrue, nil
	}
	fields := structFields(v.Type())
	boolean := true // a comparison with only is / isNot, i.e. BooleanFieldComparison
	for _, f := range fields {
		if f.name != "is" && f.name != "isNot" {
			boolean = false
		}
	}
	var parts []cond
	for _, f := range fields {
		fv := v.Field(f.index)
		if !isSet(fv) {
			continue
		}
		opPath := join(path, f.name)
		p, err := c.operator(col, lowerILike, opPath, f.name, fv, boolean)
		if err != nil {
			return cond{}, err
		}
		parts = append(parts, p)
	}
	return and(parts...), nil
}

// operator compiles one set operator of a comparison.
func (c *compiler) operator(col string, lowerILike bool, path, op string, v reflect.Value, boolean bool) (cond, error) {
	switch op {
	case "eq", "neq", "gt", "gte", "lt", "lte":
		arg, err := sqlArg(path, v)
		if err != nil {
			return cond{}, err
		}
		if err := c.count(path, 1, 1); err != nil {
			return cond{}, err
		}
		return binary(col, binaryOps[op], arg), nil

	case "in", "notIn":
		if v.Kind() != reflect.Slice {
			return cond{}, fmt.Errorf("nestquery: %s is a %s, not a list", path, v.Type())
		}
		n := v.Len()
		if n > MaxInValues {
			return cond{}, apperr.BadInput(path, "%s accepts at most %d values", op, MaxInValues)
		}
		if err := c.count(path, 1, n); err != nil {
			return cond{}, err
		}
		if n == 0 {
			if op == "in" {
				return condFalse, nil // nothing is in the empty set
			}
			return condTrue, nil
		}
		args := make([]any, n)
		for i := range args {
			a, err := sqlArg(path, v.Index(i))
			if err != nil {
				return cond{}, err
			}
			args[i] = a
		}
		sqlOp := " IN "
		if op == "notIn" {
			sqlOp = " NOT IN "
		}
		return leaf(func(s *sql.Selector) *sql.Predicate {
			column := s.C(col)
			return sql.P(func(b *sql.Builder) {
				b.WriteString(column).WriteString(sqlOp).Wrap(func(b *sql.Builder) { b.Args(args...) })
			})
		}), nil

	case "like", "notLike", "iLike", "notILike":
		pattern, cast, err := patternArg(path, v)
		if err != nil {
			return cond{}, err
		}
		if err := c.count(path, 1, 1); err != nil {
			return cond{}, err
		}
		fold := op == "iLike" || op == "notILike"
		return likeCond(col, pattern, cast, fold, fold && lowerILike, op == "notLike" || op == "notILike"), nil

	case "is", "isNot":
		val, isNull, err := isArg(path, v)
		if err != nil {
			return cond{}, err
		}
		if !isNull && !boolean {
			return cond{}, apperr.BadInput(path, "is/isNot accept only null for field %s", fieldOf(path))
		}
		if err := c.count(path, 1, 0); err != nil {
			return cond{}, err
		}
		var test string
		switch {
		case isNull:
			test = "NULL"
		case val:
			test = "TRUE"
		default:
			test = "FALSE"
		}
		if op == "isNot" {
			test = "NOT " + test
		}
		return leaf(func(s *sql.Selector) *sql.Predicate {
			return sql.ExprP(s.C(col) + " IS " + test)
		}), nil

	case "between", "notBetween":
		lower, upper, err := boundsArg(path, v)
		if err != nil {
			return cond{}, err
		}
		if err := c.count(path, 2, 2); err != nil {
			return cond{}, err
		}
		if op == "between" {
			return and(binary(col, ">=", lower), binary(col, "<=", upper)), nil
		}
		return or(binary(col, "<", lower), binary(col, ">", upper)), nil
	}
	return cond{}, apperr.BadInput(path, "operator %s is not supported", op)
}

// fieldOf returns the filter field of an operator path ("a.email.is" ->
// "email").
func fieldOf(path string) string {
	parts := strings.Split(path, ".")
	if len(parts) < 2 {
		return path
	}
	return parts[len(parts)-2]
}

// binary is "col op arg".
func binary(col, op string, arg any) cond {
	return leaf(func(s *sql.Selector) *sql.Predicate {
		column := s.C(col)
		return sql.P(func(b *sql.Builder) {
			b.WriteString(column).WriteString(" " + op + " ").Arg(arg)
		})
	})
}

// likeCond matches col against pattern (already parsed), case-sensitively
// or not, possibly negated. cast asks PostgreSQL to cast the column to text
// (uuid and other non-string columns); lower asks PostgreSQL to fold case as
// lower(col) LIKE lower(pattern) instead of ILIKE (Spec.LowerILike).
func likeCond(col string, pattern likePattern, cast, fold, lower, negate bool) cond {
	return leaf(func(s *sql.Selector) *sql.Predicate {
		column := s.C(col)
		sqlite := s.Dialect() == dialect.SQLite
		if cast && !sqlite {
			column += "::text"
		}
		return sql.P(func(b *sql.Builder) {
			if negate {
				b.WriteString("NOT (")
			}
			switch {
			case sqlite && fold:
				// LIKE ignores ASCII case in SQLite; lower() both sides as
				// well (both fold ASCII only).
				b.WriteString("lower(" + column + ") LIKE lower(").Arg(pattern.like()).WriteString(") ESCAPE '\\'")
			case sqlite:
				// SQLite's LIKE ignores ASCII case: GLOB is its
				// case-sensitive matcher.
				b.WriteString(column + " GLOB ").Arg(pattern.glob())
			case lower: // PostgreSQL, Spec.LowerILike; '\' is LIKE's default escape there.
				b.WriteString("lower(" + column + ") LIKE lower(").Arg(pattern.like()).WriteString(")")
			case fold: // PostgreSQL
				b.WriteString(column + " ILIKE ").Arg(pattern.like())
			default:
				b.WriteString(column + " LIKE ").Arg(pattern.like())
			}
			if negate {
				b.WriteString(")")
			}
		})
	})
}

// sqlArg converts an input value to a database argument of the matching
// column type: time.Time in UTC, uuid.UUID, string, int64, float64 or bool.
func sqlArg(path string, v reflect.Value) (any, error) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil, apperr.BadInput(path, "%s does not accept null values", lastName(path))
		}
		v = v.Elem()
	}
	switch v.Type() {
	case timeType:
		return v.Interface().(time.Time).UTC(), nil
	case uuidType:
		return v.Interface().(uuid.UUID), nil
	}
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		if err := checkString(path, s); err != nil {
			return nil, err
		}
		return s, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u := v.Uint()
		if u > math.MaxInt64 {
			return nil, apperr.BadInput(path, "%s is out of range", lastName(path))
		}
		return int64(u), nil
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, apperr.BadInput(path, "%s must be a finite number", lastName(path))
		}
		return f, nil
	case reflect.Bool:
		return v.Bool(), nil
	}
	return nil, fmt.Errorf("nestquery: %s has unsupported type %s", path, v.Type())
}

// checkString rejects strings PostgreSQL cannot store in text, so they fail
// as bad input rather than as a database error (and the same on SQLite).
func checkString(path, s string) error {
	if !utf8.ValidString(s) {
		return apperr.BadInput(path, "%s must be valid UTF-8", lastName(path))
	}
	if strings.IndexByte(s, 0) >= 0 {
		return apperr.BadInput(path, "%s must not contain NUL characters", lastName(path))
	}
	return nil
}

func lastName(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// patternArg reads a like / iLike operand: a string (or string enum), or a
// uuid matched through its text form. cast reports that PostgreSQL needs
// the column cast to text for LIKE (anything but a plain string column).
func patternArg(path string, v reflect.Value) (likePattern, bool, error) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil, false, apperr.BadInput(path, "%s does not accept null", lastName(path))
		}
		v = v.Elem()
	}
	var s string
	cast := true
	switch {
	case v.Type() == uuidType:
		s = v.Interface().(uuid.UUID).String()
	case v.Kind() == reflect.String:
		s = v.String()
		cast = v.Type() != stringType
	default:
		return nil, false, apperr.BadInput(path, "%s is not supported on this field", lastName(path))
	}
	if err := checkString(path, s); err != nil {
		return nil, false, err
	}
	if len(s) > MaxPatternLength {
		return nil, false, apperr.BadInput(path, "%s pattern is too long (at most %d bytes)", lastName(path), MaxPatternLength)
	}
	return parseLike(s), cast, nil
}

// isArg reads an is / isNot operand: graphql.Omittable[*bool] (set to null
// or to a boolean) or a plain *bool / bool.
func isArg(path string, v reflect.Value) (val, isNull bool, err error) {
	if o, ok := omittable(v); ok {
		if o.value == nil {
			return false, true, nil
		}
		return *o.value, false, nil
	}
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return false, true, nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Bool {
		return false, false, fmt.Errorf("nestquery: %s has unsupported type %s", path, v.Type())
	}
	return v.Bool(), false, nil
}

type omitBool struct {
	value *bool
	set   bool
}

// omittable reads a graphql.Omittable[*bool].
func omittable(v reflect.Value) (omitBool, bool) {
	if v.Type() != omitBoolType {
		return omitBool{}, false
	}
	o := v.Interface().(graphql.Omittable[*bool])
	val, set := o.ValueOK()
	return omitBool{value: val, set: set}, true
}

// boundsArg reads a between / notBetween operand: a struct with lower and
// upper.
func boundsArg(path string, v reflect.Value) (lower, upper any, err error) {
	s, ok := derefStruct(v)
	if !ok {
		return nil, nil, apperr.BadInput(path, "%s does not accept null", lastName(path))
	}
	var lv, uv reflect.Value
	for _, f := range structFields(s.Type()) {
		switch f.name {
		case "lower":
			lv = s.Field(f.index)
		case "upper":
			uv = s.Field(f.index)
		}
	}
	if !lv.IsValid() || !uv.IsValid() {
		return nil, nil, fmt.Errorf("nestquery: %s (%s) has no lower / upper fields", path, s.Type())
	}
	if lower, err = sqlArg(join(path, "lower"), lv); err != nil {
		return nil, nil, err
	}
	if upper, err = sqlArg(join(path, "upper"), uv); err != nil {
		return nil, nil, err
	}
	return lower, upper, nil
}
