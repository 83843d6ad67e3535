// Package scalar binds the schema's custom scalars to Go types, once:
// DateTime to time.Time (RFC 3339, UTC, millisecond precision as Stigg's
// JavaScript-based API prints it), UUID to uuid.UUID, JSON to a JSON object,
// and ConnectionCursor to an opaque string.
//
// Every parse error is a *gqlerror.Error with code BadUserInput, so a bad
// scalar reaches the client as a coded error like any other bad input.
package scalar

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// CodeBadUserInput is Stigg's error code for invalid input; it is repeated
// here (and not imported from graph) to keep this package a leaf.
const CodeBadUserInput = "BadUserInput"

// MaxJSONBytes caps the encoded size of a JSON scalar input (metadata), so one
// request cannot store megabytes in a customer row.
const MaxJSONBytes = 32 * 1024

func badInput(format string, args ...any) error {
	return &gqlerror.Error{
		Message:    fmt.Sprintf(format, args...),
		Extensions: map[string]any{"code": CodeBadUserInput},
	}
}

// dateTimeLayout is ISO 8601 with milliseconds and a Z suffix, the form
// JavaScript's Date.toISOString prints and Stigg's clients parse.
const dateTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// MarshalDateTime writes t in UTC.
func MarshalDateTime(t time.Time) graphql.Marshaler {
	if t.IsZero() {
		return graphql.Null
	}
	return graphql.WriterFunc(func(w io.Writer) {
		writeQuotedASCII(w, func(b []byte) []byte { return t.UTC().AppendFormat(b, dateTimeLayout) })
	})
}

// UnmarshalDateTime reads an RFC 3339 string (any offset, optional fraction)
// and returns it in UTC, truncated to microseconds, the precision both
// SQLite and PostgreSQL keep.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, badInput("DateTime must be an RFC 3339 string, got %T", v)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		// Accept a bare date, as JavaScript's Date does.
		if d, derr := time.Parse("2006-01-02", s); derr == nil {
			return d.UTC(), nil
		}
		return time.Time{}, badInput("DateTime %q is not an RFC 3339 date-time", s)
	}
	return t.UTC().Truncate(time.Microsecond), nil
}

// MarshalUUID writes the canonical lower-case form.
func MarshalUUID(u uuid.UUID) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		writeQuotedASCII(w, func(b []byte) []byte { return appendUUID(b, u) })
	})
}

// writeQuotedASCII writes the value appendValue appends, in double quotes.
// The value must be printable ASCII without quotes or backslashes (a
// formatted date, a UUID), which JSON and strconv.Quote leave as it is.
// gqlgen marshals a response into a bytes.Buffer, whose free capacity
// takes the value without an allocation.
func writeQuotedASCII(w io.Writer, appendValue func([]byte) []byte) {
	if bb, ok := w.(*bytes.Buffer); ok {
		b := appendValue(append(bb.AvailableBuffer(), '"'))
		_, _ = bb.Write(append(b, '"'))
		return
	}
	b := appendValue(append(make([]byte, 0, 48), '"'))
	_, _ = w.Write(append(b, '"'))
}

// appendUUID appends u's canonical lower-case form (uuid.UUID.String's).
func appendUUID(b []byte, u uuid.UUID) []byte {
	const hexDigits = "0123456789abcdef"
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[c>>4], hexDigits[c&0x0f])
	}
	return b
}

// UnmarshalUUID accepts any form uuid.Parse accepts.
func UnmarshalUUID(v any) (uuid.UUID, error) {
	s, ok := v.(string)
	if !ok {
		return uuid.Nil, badInput("UUID must be a string, got %T", v)
	}
	u, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, badInput("%q is not a valid UUID", s)
	}
	return u, nil
}

// MarshalJSON writes a JSON object; nil is null.
func MarshalJSON(m map[string]any) graphql.Marshaler {
	if m == nil {
		return graphql.Null
	}
	return graphql.WriterFunc(func(w io.Writer) {
		if err := json.NewEncoder(w).Encode(m); err != nil {
			_, _ = io.WriteString(w, "null")
		}
	})
}

// UnmarshalJSON accepts a JSON object (from a literal or a variable) of at
// most MaxJSONBytes once encoded. Metadata in Stigg is always an object.
func UnmarshalJSON(v any) (map[string]any, error) {
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, badInput("JSON value must be an object, got %s", jsonKind(v))
	}
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(m); err != nil {
		return nil, badInput("JSON value cannot be encoded: %v", err)
	}
	if HasNUL(m) {
		// PostgreSQL's jsonb refuses them; SQLite would keep them.
		return nil, badInput("JSON value must not contain NUL characters")
	}
	if n, ok := outOfRange(m); ok {
		// Stored verbatim, it could never be decoded again (issue 12).
		return nil, badInput("JSON value holds the number %s, outside the double-precision range", n)
	}
	if buf.Len() > MaxJSONBytes {
		return nil, badInput("JSON value is %d bytes; the limit is %d", buf.Len(), MaxJSONBytes)
	}
	return m, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case []any:
		return "an array"
	case bool:
		return "a boolean"
	case json.Number, int, int64, float64:
		return "a number"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// MarshalCursor writes an opaque paging cursor.
func MarshalCursor(s string) graphql.Marshaler { return graphql.MarshalString(s) }

// UnmarshalCursor reads an opaque paging cursor; its content is checked by
// the paging code, which knows what it must hold.
func UnmarshalCursor(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", badInput("cursor must be a string, got %T", v)
	}
	return s, nil
}

// outOfRange returns a number in a decoded JSON value that does not fit a
// float64 (variables are decoded with UseNumber, so 1e400 arrives as a
// json.Number and would be stored as written).
func outOfRange(v any) (string, bool) {
	switch x := v.(type) {
	case json.Number:
		if _, err := strconv.ParseFloat(string(x), 64); err != nil {
			return string(x), true
		}
	case map[string]any:
		for _, e := range x {
			if n, ok := outOfRange(e); ok {
				return n, true
			}
		}
	case []any:
		for _, e := range x {
			if n, ok := outOfRange(e); ok {
				return n, true
			}
		}
	}
	return "", false
}

// HasNUL reports whether a decoded JSON value has a NUL character in any
// key or string.
func HasNUL(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.ContainsRune(x, 0)
	case map[string]any:
		for k, e := range x {
			if strings.ContainsRune(k, 0) || HasNUL(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if HasNUL(e) {
				return true
			}
		}
	}
	return false
}

// MarshalTimeAsUUID writes a time bound to a UUID field as a DateTime. The
// reference SDL types a few timestamps as UUID (its best guess of Stigg's
// scalar names: UsageMeasurementWithCurrentUsage.timestamp,
// UsageHistoryPoint.timestamp, UsageMarker.timestamp), but they hold dates:
// the SDK reads them with new Date(timestamp).
func MarshalTimeAsUUID(t time.Time) graphql.Marshaler { return MarshalDateTime(t) }

// UnmarshalTimeAsUUID reads such a timestamp like a DateTime.
func UnmarshalTimeAsUUID(v any) (time.Time, error) { return UnmarshalDateTime(v) }
