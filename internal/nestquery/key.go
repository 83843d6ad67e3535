package nestquery

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Key returns a canonical text for a filter (or any input value): two
// filters have the same key exactly when they select the same fields with
// the same values, so a key can name a cached result. Unlike JSON, it tells
// an explicit null (is: null, set) from an absent field, and it never
// depends on pointer addresses.
func Key(v any) string {
	var b strings.Builder
	writeKey(&b, reflect.ValueOf(v), 0)
	return b.String()
}

func writeKey(b *strings.Builder, v reflect.Value, depth int) {
	if depth > 4*MaxFilterDepth {
		b.WriteString("…")
		return
	}
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) {
		if v.IsNil() {
			b.WriteString("null")
			return
		}
		v = v.Elem()
	}
	if !v.IsValid() {
		b.WriteString("null")
		return
	}
	switch v.Type() {
	case timeType:
		b.WriteString(v.Interface().(time.Time).UTC().Format(time.RFC3339Nano))
		return
	case uuidType:
		fmt.Fprint(b, v.Interface())
		return
	}
	if o, ok := omittable(v); ok {
		if !o.set {
			b.WriteString("unset")
			return
		}
		writeKey(b, reflect.ValueOf(o.value), depth+1)
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		b.WriteByte('{')
		for _, f := range structFields(v.Type()) {
			fv := v.Field(f.index)
			if !isSet(fv) {
				continue
			}
			b.WriteString(f.name)
			b.WriteByte(':')
			writeKey(b, fv, depth+1)
			b.WriteByte(',')
		}
		b.WriteByte('}')
	case reflect.Slice, reflect.Array:
		b.WriteByte('[')
		for i := 0; i < v.Len(); i++ {
			writeKey(b, v.Index(i), depth+1)
			b.WriteByte(',')
		}
		b.WriteByte(']')
	case reflect.Map:
		// Filters hold no maps; be exact rather than clever.
		fmt.Fprintf(b, "%v", v.Interface())
	case reflect.String:
		b.WriteString(strconv.Quote(v.String()))
	default:
		fmt.Fprintf(b, "%v", v.Interface())
	}
}
