package nestquery

import (
	"fmt"
	"reflect"
	"strconv"

	"entgo.io/ent/dialect/sql"

	"github.com/stigg-selfhost/stiggql/internal/apperr"
)

// MaxSortFields caps the number of sort entries in one request.
const MaxSortFields = 16

// SortKey is one ORDER BY term. NULL placement is always explicit, so the
// order is the same on every database.
type SortKey struct {
	Column     string
	Desc       bool
	NullsFirst bool
}

// Sort translates a sorting list ([]*model.XxxSort, given as any; nil or
// empty means defaults) into keys, and appends the id ascending as the final
// tie-breaker unless the id is already a key, so the order is total (which
// keyset cursors require). Later entries on a column already sorted are
// dropped. When nulls is not given, PostgreSQL's defaults apply on both
// databases: ASC -> NULLS LAST, DESC -> NULLS FIRST. Keys in defaults are
// used as given (their NullsFirst included). An unknown field, direction or
// nulls value is BadUserInput.
func (s *Spec) Sort(sorting any, defaults []SortKey) ([]SortKey, error) {
	var keys []SortKey
	v := reflect.ValueOf(sorting)
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && !v.IsNil() {
		v = v.Elem()
	}
	if v.IsValid() && v.Kind() == reflect.Slice {
		if v.Len() > MaxSortFields {
			return nil, apperr.BadInput("sorting", "at most %d sort fields are allowed", MaxSortFields)
		}
		for i := 0; i < v.Len(); i++ {
			e, ok := derefStruct(v.Index(i))
			if !ok {
				continue // a null entry sorts nothing
			}
			k, err := s.sortKey(e, "sorting."+strconv.Itoa(i))
			if err != nil {
				return nil, err
			}
			keys = append(keys, k)
		}
	} else if v.IsValid() && !(v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) {
		return nil, fmt.Errorf("nestquery: sorting is a %s, not a list", v.Type())
	}
	if len(keys) == 0 {
		keys = append(keys, defaults...)
	}
	out := make([]SortKey, 0, len(keys)+1)
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k.Column] {
			continue
		}
		seen[k.Column] = true
		out = append(out, k)
	}
	if s.IDColumn != "" && !seen[s.IDColumn] {
		// The tie-breaker runs in the direction of the last key, so that an
		// index on (..., key, id) serves the whole order in one scan.
		tie := SortKey{Column: s.IDColumn}
		if len(out) > 0 && out[len(out)-1].Desc {
			tie.Desc, tie.NullsFirst = true, true
		}
		out = append(out, tie)
	}
	return out, nil
}

// sortKey reads one {field, direction, nulls} entry.
func (s *Spec) sortKey(e reflect.Value, path string) (SortKey, error) {
	var fieldName, direction, nulls string
	var hasNulls bool
	for _, f := range structFields(e.Type()) {
		fv := e.Field(f.index)
		for fv.Kind() == reflect.Pointer {
			if fv.IsNil() {
				break
			}
			fv = fv.Elem()
		}
		if fv.Kind() != reflect.String {
			continue
		}
		switch f.name {
		case "field":
			fieldName = fv.String()
		case "direction":
			direction = fv.String()
		case "nulls":
			nulls, hasNulls = fv.String(), true
		}
	}
	col, ok := s.Columns[fieldName]
	if !ok {
		return SortKey{}, apperr.BadInput(path+".field", "sorting on %s.%s is not supported", s.name(), fieldName)
	}
	k := SortKey{Column: col}
	switch direction {
	case "ASC":
	case "DESC":
		k.Desc = true
	default:
		return SortKey{}, apperr.BadInput(path+".direction", "sort direction must be ASC or DESC")
	}
	switch {
	case !hasNulls:
		k.NullsFirst = k.Desc // PostgreSQL's default, made explicit
	case nulls == "NULLS_FIRST":
		k.NullsFirst = true
	case nulls == "NULLS_LAST":
	default:
		return SortKey{}, apperr.BadInput(path+".nulls", "nulls must be NULLS_FIRST or NULLS_LAST")
	}
	return k, nil
}

// OrderBy returns order options for keys, reversed (direction and NULL
// placement) when reverse is set, as for backward paging. NULLS FIRST /
// NULLS LAST is always written (PostgreSQL and SQLite >= 3.30 support it).
func OrderBy(keys []SortKey, reverse bool) []func(*sql.Selector) {
	return orderBy(keys, reverse, nil)
}

// orderBy is OrderBy leaving out the NULLS clause on the keys notNull marks:
// it changes nothing for a column without NULLs, and SQLite only uses an
// index for ORDER BY when NULL placement is its own (first for ASC, last for
// DESC), which PostgreSQL's defaults are not.
func orderBy(keys []SortKey, reverse bool, notNull []bool) []func(*sql.Selector) {
	out := make([]func(*sql.Selector), 0, len(keys))
	for i, k := range keys {
		col := k.Column
		term := " ASC"
		if k.Desc != reverse {
			term = " DESC"
		}
		switch {
		case i < len(notNull) && notNull[i]:
		case k.NullsFirst != reverse:
			term += " NULLS FIRST"
		default:
			term += " NULLS LAST"
		}
		out = append(out, func(s *sql.Selector) {
			s.OrderExprFunc(func(b *sql.Builder) {
				b.WriteString(s.C(col) + term)
			})
		})
	}
	return out
}
