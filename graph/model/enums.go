package model

import (
	"bytes"
	"io"
	"strconv"
)

// writeEnum writes an enum value as a JSON string. It stands in for the
// fmt.Fprint(w, strconv.Quote(e.String())) of gqlgen's generated enums
// (graph/internal/seqlists rewrites models_gen.go): enum values are GraphQL
// names, which quoting leaves as they are, so they are written between
// quotes without the two allocations and fmt's machinery. Anything else
// (a value read from a row that is not one of the enum's) is quoted as
// before.
func writeEnum(w io.Writer, v string) {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c == '_' || '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			_, _ = io.WriteString(w, strconv.Quote(v))
			return
		}
	}
	if bb, ok := w.(*bytes.Buffer); ok {
		// gqlgen marshals responses into a bytes.Buffer.
		bb.WriteByte('"')
		bb.WriteString(v)
		bb.WriteByte('"')
		return
	}
	b := make([]byte, 0, len(v)+2)
	b = append(append(append(b, '"'), v...), '"')
	_, _ = w.Write(b)
}
