package nestquery

import (
	"reflect"
	"sync"
)

// missingColumn stands for a column the row type has no field for; cursor
// encoding reports it as an error.
type missingColumn struct {
	typ    reflect.Type
	column string
}

var columnsCache sync.Map // reflect.Type (struct) -> map[string]int

// columnFields maps the json names of struct type t's fields to their
// indexes. ent entities tag each field with its column name
// (CustomerID string `json:"customer_id,omitempty"`).
func columnFields(t reflect.Type) map[string]int {
	if m, ok := columnsCache.Load(t); ok {
		return m.(map[string]int)
	}
	m := map[string]int{}
	for _, f := range structFields(t) {
		if _, dup := m[f.name]; !dup {
			m[f.name] = f.index
		}
	}
	columnsCache.Store(t, m)
	return m
}

// structOf returns the struct type behind t (T or *T), if any.
func structOf(t reflect.Type) (reflect.Type, bool) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t, t != nil && t.Kind() == reflect.Struct
}

// ValuesByColumn returns a function reading the values of keys' columns
// from an ent entity (T is *ent.Customer or the like), matching columns to
// fields by json tag. Nillable fields are pointers: nil reads as NULL, others
// are dereferenced.
//
// Sort only on columns that are NOT NULL or Nillable in the ent schema. An
// Optional field that is not Nillable is a plain Go value in which ent reads
// NULL as the zero value, so its cursor would not hold the NULL and paging
// over such rows would repeat or skip them; Paginate also takes a
// non-pointer field to mean a NOT NULL column. A column without a field reads as a value that makes
// cursor encoding (and so Paginate) fail with an error. Reflection is cached
// per type.
//
//	values := nestquery.ValuesByColumn[*ent.Customer](keys)
func ValuesByColumn[T any](keys []SortKey) func(T) []any {
	t, ok := structOf(reflect.TypeFor[T]())
	idx := make([]int, len(keys))
	for i, k := range keys {
		idx[i] = -1
		if ok {
			if j, found := columnFields(t)[k.Column]; found {
				idx[i] = j
			}
		}
	}
	return func(row T) []any {
		out := make([]any, len(keys))
		v := reflect.ValueOf(any(row))
		for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && !v.IsNil() {
			v = v.Elem()
		}
		valid := v.IsValid() && v.Kind() == reflect.Struct
		for i, j := range idx {
			if j < 0 {
				out[i] = missingColumn{typ: reflect.TypeFor[T](), column: keys[i].Column}
				continue
			}
			if !valid {
				continue // a nil row reads as NULLs
			}
			f := v.Field(j)
			if f.Kind() == reflect.Pointer {
				if f.IsNil() {
					continue
				}
				f = f.Elem()
			}
			out[i] = f.Interface()
		}
		return out
	}
}

// columnKinds gives, per key, the cursor type tag of T's field for the
// column (0 when T has no such field), so cursors can be type-checked
// before their values are bound, and whether the column is NOT NULL: a
// field that is not a pointer (ent makes nillable columns pointers).
func columnKinds(t reflect.Type, keys []SortKey) (kinds []byte, notNull []bool) {
	st, ok := structOf(t)
	if !ok {
		return nil, nil
	}
	fields := columnFields(st)
	kinds = make([]byte, len(keys))
	notNull = make([]bool, len(keys))
	for i, k := range keys {
		if j, found := fields[k.Column]; found {
			ft := st.Field(j).Type
			kinds[i] = kindTag(ft)
			notNull[i] = kinds[i] != 0 && ft.Kind() != reflect.Pointer
		}
	}
	return kinds, notNull
}
