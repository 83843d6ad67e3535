package nestquery

import (
	"encoding/json"
	"testing"
)

// TestAppendCursorJSONIsJSONMarshal: the direct encoding of a cursor is
// json.Marshal's byte for byte, or declines.
func TestAppendCursorJSONIsJSONMarshal(t *testing.T) {
	str := func(s string) *string { return &s }
	type cursor struct {
		keys []SortKey
		vals []*string
	}
	cases := []cursor{
		{[]SortKey{}, []*string{}},
		{[]SortKey{{Column: "created_at", Desc: true}, {Column: "id", Desc: true}}, []*string{str("t2026-11-22T04:05:06.789123Z"), str("u0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")}},
		{[]SortKey{{Column: "name", NullsFirst: true}}, []*string{nil}},
		{[]SortKey{{Column: "name"}}, []*string{str("sO'Brien & <Sons>")}},
		{[]SortKey{{Column: "name"}}, []*string{str("s\"quoted\" back\\slash")}},
		{[]SortKey{{Column: "name"}}, []*string{str("sünï\u2028\x01\xff")}},
		{[]SortKey{{Column: "<col>"}}, []*string{str("i42")}},
	}
	for i, c := range cases {
		j := cursorJSON{K: make([]string, len(c.keys)), V: c.vals}
		for i, k := range c.keys {
			j.K[i] = signature(k)
		}
		want, err := json.Marshal(j)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := appendCursorJSON(nil, c.keys, c.vals)
		if ok && string(got) != string(want) {
			t.Errorf("%+v: %s, want %s", c, got, want)
		}
		if plain := i < 3; ok != plain {
			t.Errorf("%+v: encoded directly %v, want %v", c, ok, plain)
		}
	}
}
