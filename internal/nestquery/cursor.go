package nestquery

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/internal/apperr"
)

// A cursor is the unpadded base64url encoding of
//
//	{"k":["ALcreated_at","ALid"],"v":["t2024-05-01T10:00:00.123456Z","u6f1c..."]}
//
// k holds one signature per sort key: A/D (ascending / descending), F/L
// (nulls first / last) and the column; a cursor only applies to the sort it
// was made for. v holds the row's values for those keys, each tagged with
// its type so it decodes to the Go type the column needs on PostgreSQL:
// t time (RFC 3339, UTC), u uuid, s string, i integer, f float, b bool;
// JSON null for NULL.

// maxCursorLength bounds the cursors accepted, in encoded bytes.
const maxCursorLength = 4096

// Cursor value type tags.
const (
	tagTime   = 't'
	tagUUID   = 'u'
	tagString = 's'
	tagInt    = 'i'
	tagFloat  = 'f'
	tagBool   = 'b'
)

type cursorJSON struct {
	K []string  `json:"k"`
	V []*string `json:"v"`
}

// signature is a key's entry in a cursor's "k" list.
func signature(k SortKey) string {
	var b strings.Builder
	b.Grow(len(k.Column) + 2)
	if k.Desc {
		b.WriteByte('D')
	} else {
		b.WriteByte('A')
	}
	if k.NullsFirst {
		b.WriteByte('F')
	} else {
		b.WriteByte('L')
	}
	b.WriteString(k.Column)
	return b.String()
}

// EncodeCursor returns the cursor of a row whose values for keys (in key
// order) are values. Values may be nil, time.Time, uuid.UUID, strings,
// integers, floats, bools, named types of those kinds, or pointers to any of
// them.
func EncodeCursor(keys []SortKey, values []any) (string, error) {
	if len(values) != len(keys) {
		return "", fmt.Errorf("nestquery: %d cursor values for %d sort keys", len(values), len(keys))
	}
	vals := make([]*string, len(keys))
	for i, k := range keys {
		v, err := encodeValue(values[i])
		if err != nil {
			return "", fmt.Errorf("nestquery: cursor value for %s: %w", k.Column, err)
		}
		vals[i] = v
	}
	b, ok := appendCursorJSON(make([]byte, 0, 128), keys, vals)
	if !ok {
		c := cursorJSON{K: make([]string, len(keys)), V: vals}
		for i, k := range keys {
			c.K[i] = signature(k)
		}
		var err error
		if b, err = json.Marshal(c); err != nil {
			return "", fmt.Errorf("nestquery: encode cursor: %w", err)
		}
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// appendCursorJSON appends the JSON of the cursorJSON of keys and vals, as
// json.Marshal writes it, without reflection or a string per signature,
// when every string is printable ASCII that encoding/json copies unescaped
// (sort columns, times, UUIDs: every cursor of the default orders); ok
// false leaves the rest to json.Marshal. A page encodes a cursor per row.
func appendCursorJSON(b []byte, keys []SortKey, vals []*string) ([]byte, bool) {
	b = append(b, `{"k":[`...)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		if !plainJSON(k.Column) {
			return nil, false
		}
		dir, nulls := byte('A'), byte('L')
		if k.Desc {
			dir = 'D'
		}
		if k.NullsFirst {
			nulls = 'F'
		}
		b = append(append(append(b, '"', dir, nulls), k.Column...), '"')
	}
	b = append(b, `],"v":[`...)
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		switch {
		case v == nil:
			b = append(b, "null"...)
		case plainJSON(*v):
			b = append(append(append(b, '"'), *v...), '"')
		default:
			return nil, false
		}
	}
	return append(b, "]}"...), true
}

// plainJSON reports whether encoding/json writes s between quotes as it is:
// printable ASCII without quotes, backslashes or the HTML characters it
// escapes.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

func encodeValue(x any) (*string, error) {
	v := reflect.ValueOf(x)
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) {
		if v.IsNil() {
			return nil, nil
		}
		v = v.Elem()
	}
	if !v.IsValid() {
		return nil, nil
	}
	var s string
	switch v.Type() {
	case timeType:
		s = string(tagTime) + v.Interface().(time.Time).UTC().Format(time.RFC3339Nano)
		return &s, nil
	case uuidType:
		s = string(tagUUID) + v.Interface().(uuid.UUID).String()
		return &s, nil
	}
	switch v.Kind() {
	case reflect.String:
		s = string(tagString) + v.String()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		s = string(tagInt) + strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if v.Uint() > math.MaxInt64 {
			return nil, fmt.Errorf("value %d out of range", v.Uint())
		}
		s = string(tagInt) + strconv.FormatUint(v.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("value %v is not finite", f)
		}
		s = string(tagFloat) + strconv.FormatFloat(f, 'g', -1, 64)
	case reflect.Bool:
		s = string(tagBool) + strconv.FormatBool(v.Bool())
	default:
		if m, ok := x.(missingColumn); ok {
			return nil, fmt.Errorf("%s has no field with json name %q", m.typ, m.column)
		}
		return nil, fmt.Errorf("unsupported type %s", v.Type())
	}
	return &s, nil
}

// DecodeCursor reads a cursor made by EncodeCursor for keys. field names
// the input ("after" / "before") in errors. kinds, when not nil, gives the
// expected type tag per key (0 when unknown), so a forged cursor cannot
// bind a value of the wrong type. Errors are BadUserInput: "cursor is
// malformed" or "cursor does not match the requested sorting".
func DecodeCursor(field, cursor string, keys []SortKey, kinds []byte) ([]any, error) {
	malformed := apperr.BadInput(field, "cursor is malformed")
	if cursor == "" || len(cursor) > maxCursorLength {
		return nil, malformed
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, malformed
	}
	var c cursorJSON
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || dec.More() {
		return nil, malformed
	}
	if len(c.K) == 0 || len(c.K) != len(c.V) {
		return nil, malformed
	}
	if len(c.K) != len(keys) {
		return nil, apperr.BadInput(field, "cursor does not match the requested sorting")
	}
	for i, k := range keys {
		if c.K[i] != signature(k) {
			return nil, apperr.BadInput(field, "cursor does not match the requested sorting")
		}
	}
	values := make([]any, len(keys))
	for i, s := range c.V {
		if s == nil {
			continue
		}
		v, tag, ok := decodeValue(*s)
		if !ok {
			return nil, malformed
		}
		if kinds != nil && kinds[i] != 0 && kinds[i] != tag {
			return nil, malformed
		}
		values[i] = v
	}
	return values, nil
}

func decodeValue(s string) (any, byte, bool) {
	if s == "" {
		return nil, 0, false
	}
	tag, body := s[0], s[1:]
	switch tag {
	case tagTime:
		t, err := time.Parse(time.RFC3339Nano, body)
		if err != nil {
			return nil, 0, false
		}
		return t.UTC(), tag, true
	case tagUUID:
		u, err := uuid.Parse(body)
		if err != nil || len(body) != 36 {
			return nil, 0, false
		}
		return u, tag, true
	case tagString:
		if !utf8.ValidString(body) || strings.IndexByte(body, 0) >= 0 {
			return nil, 0, false
		}
		return body, tag, true
	case tagInt:
		n, err := strconv.ParseInt(body, 10, 64)
		if err != nil {
			return nil, 0, false
		}
		return n, tag, true
	case tagFloat:
		f, err := strconv.ParseFloat(body, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, 0, false
		}
		return f, tag, true
	case tagBool:
		b, err := strconv.ParseBool(body)
		if err != nil || (body != "true" && body != "false") {
			return nil, 0, false
		}
		return b, tag, true
	}
	return nil, 0, false
}

// kindTag is the cursor type tag for values of Go type t (0 when unknown).
func kindTag(t reflect.Type) byte {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case timeType:
		return tagTime
	case uuidType:
		return tagUUID
	}
	switch t.Kind() {
	case reflect.String:
		return tagString
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return tagInt
	case reflect.Float32, reflect.Float64:
		return tagFloat
	case reflect.Bool:
		return tagBool
	}
	return 0
}
