package nestquery

import (
	"encoding/base64"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
)

// FuzzDecodeCursor checks that no cursor string makes decoding panic or fail
// with anything but BadUserInput, and that what decodes re-encodes to a
// cursor decoding to the same values.
func FuzzDecodeCursor(f *testing.F) {
	keys := []SortKey{{Column: "email", NullsFirst: true}, {Column: "created_at", Desc: true}, {Column: "id"}}
	kinds, _ := columnKinds(reflect.TypeFor[*ent.Customer](), keys)
	good, err := EncodeCursor(keys, []any{"a@b.c", time.Date(2024, 5, 1, 10, 0, 0, 123456000, time.UTC), uuid.MustParse("6f1c2a4e-0000-4000-8000-000000000001")})
	if err != nil {
		f.Fatal(err)
	}
	withNull, _ := EncodeCursor(keys, []any{nil, time.Unix(0, 0), uuid.Nil})
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, seed := range []string{
		good, withNull, "", "!!!", "e30", b64("{}"), b64("null"), b64("[]"),
		b64(`{"k":["AFemail","DLcreated_at","ALid"],"v":["s\u0000","t2024-01-01T00:00:00Z","u00000000-0000-0000-0000-000000000000"]}`),
		b64(`{"k":["AFemail","DLcreated_at","ALid"],"v":["i1","fNaN","b1"]}`),
		b64(`{"k":["AFemail","DLcreated_at","ALid"],"v":[null,null,null]}`),
		b64(`{"k":["AFemail"],"v":[1]}`),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, cursor string) {
		vals, err := DecodeCursor("after", cursor, keys, kinds)
		if err != nil {
			if e, ok := apperr.As(err); !ok || e.Code != apperr.BadUserInput {
				t.Fatalf("error %v is not BadUserInput", err)
			}
			return
		}
		again, err := EncodeCursor(keys, vals)
		if err != nil {
			t.Fatalf("re-encode %#v: %v", vals, err)
		}
		back, err := DecodeCursor("after", again, keys, kinds)
		if err != nil {
			t.Fatalf("decode re-encoded cursor: %v", err)
		}
		for i := range vals {
			if a, ok := vals[i].(time.Time); ok {
				if !a.Equal(back[i].(time.Time)) {
					t.Fatalf("value %d: %v != %v", i, a, back[i])
				}
				continue
			}
			if vals[i] != back[i] {
				t.Fatalf("value %d: %#v != %#v", i, vals[i], back[i])
			}
		}
	})
}
