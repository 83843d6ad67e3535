package scalar

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/gqlerror"
)

// FuzzUnmarshalJSON decodes arbitrary JSON the way gqlgen decodes request
// variables (numbers as json.Number) and passes it to the JSON scalar,
// padded with pad bytes of string: no input may panic, a refusal must be
// BadUserInput, anything accepted must encode within MaxJSONBytes and read
// back, and any object within the cap must be accepted unless it holds a
// NUL or a number out of float64's range.
//
//	go test ./graph/scalar -run '^$' -fuzz FuzzUnmarshalJSON -fuzztime 30s
func FuzzUnmarshalJSON(f *testing.F) {
	for _, seed := range []struct {
		json string
		pad  uint16
	}{
		{`{}`, 0},
		{`{"plan": "gold", "seats": 12, "trial": true, "tags": ["a", "b"], "owner": null}`, 0},
		{`{"nested": {"deeper": {"deepest": [1, 2.5, -3e10, {"x": "\u0000\ud83d\ude00"}]}}}`, 100},
		{`{"big": 1e400, "int": 123456789012345678901234567890}`, 0},
		{`[1, 2, 3]`, 0},
		{`"just a string"`, 0},
		{`null`, 0},
		{`{"a": "b"}`, 32700},
		{`{"a": "b"}`, 40000},
	} {
		f.Add([]byte(seed.json), seed.pad)
	}
	f.Fuzz(func(t *testing.T, data []byte, pad uint16) {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return // not JSON: the transport refuses the request first
		}
		if obj, ok := v.(map[string]any); ok && pad > 0 {
			obj["__pad"] = strings.Repeat("p", int(pad))
		}
		m, err := UnmarshalJSON(v)
		if err != nil {
			var ge *gqlerror.Error
			if !errors.As(err, &ge) || ge.Extensions["code"] != CodeBadUserInput {
				t.Fatalf("error %v (%T) is not BadUserInput", err, err)
			}
		}
		obj, isObject := v.(map[string]any)
		var enc bytes.Buffer
		encErr := json.NewEncoder(&enc).Encode(v)
		switch {
		case v == nil:
			if err != nil || m != nil {
				t.Fatalf("null: got %v, %v; want nil, nil", m, err)
			}
		case !isObject:
			if err == nil {
				t.Fatalf("%T accepted; only objects are", v)
			}
		case err == nil:
			if enc.Len() > MaxJSONBytes {
				t.Fatalf("accepted %d bytes, over the cap of %d", enc.Len(), MaxJSONBytes)
			}
			if len(m) != len(obj) {
				t.Fatalf("accepted object changed: %d keys, want %d", len(m), len(obj))
			}
			out := &bytes.Buffer{}
			MarshalJSON(m).MarshalGQL(out)
			if !json.Valid(out.Bytes()) {
				t.Fatalf("the accepted value does not marshal back to JSON: %s", out)
			}
			// What is accepted is stored, and must read back (issue 12).
			var back map[string]any
			if err := json.Unmarshal(out.Bytes(), &back); err != nil {
				t.Fatalf("the accepted value does not read back: %v", err)
			}
		case encErr == nil && enc.Len() <= MaxJSONBytes && !HasNUL(v) && !hasOutOfRange(v):
			t.Fatalf("object of %d bytes refused: %v", enc.Len(), err)
		}
	})
}

func hasOutOfRange(v any) bool { _, ok := outOfRange(v); return ok }
