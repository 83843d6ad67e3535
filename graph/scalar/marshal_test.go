package scalar

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// nonBuffer is an io.Writer that is not a *bytes.Buffer.
type nonBuffer struct{ strings.Builder }

// TestMarshalDateTimeAndUUIDQuoteAsBefore: the allocation-free writers give
// what strconv.Quote of the formatted value gave, into gqlgen's
// bytes.Buffer and into any other writer.
func TestMarshalDateTimeAndUUIDQuoteAsBefore(t *testing.T) {
	times := []time.Time{
		time.Date(2026, 11, 22, 4, 5, 6, 789_123_000, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.FixedZone("x", -7*3600)),
		time.Date(12345, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-44, 3, 15, 12, 0, 0, 0, time.UTC),
	}
	for _, tm := range times {
		want := strconv.Quote(tm.UTC().Format(dateTimeLayout))
		var bb bytes.Buffer
		bb.WriteString("prefix")
		MarshalDateTime(tm).MarshalGQL(&bb)
		if got := strings.TrimPrefix(bb.String(), "prefix"); got != want {
			t.Errorf("DateTime %v into a buffer: %s, want %s", tm, got, want)
		}
		var nb nonBuffer
		MarshalDateTime(tm).MarshalGQL(&nb)
		if got := nb.String(); got != want {
			t.Errorf("DateTime %v: %s, want %s", tm, got, want)
		}
	}
	for _, u := range []uuid.UUID{uuid.Nil, uuid.Max, uuid.MustParse("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"), uuid.New()} {
		want := strconv.Quote(u.String())
		var bb bytes.Buffer
		MarshalUUID(u).MarshalGQL(&bb)
		if got := bb.String(); got != want {
			t.Errorf("UUID into a buffer: %s, want %s", got, want)
		}
		var nb nonBuffer
		MarshalUUID(u).MarshalGQL(&nb)
		if got := nb.String(); got != want {
			t.Errorf("UUID: %s, want %s", got, want)
		}
	}
}

func BenchmarkMarshalUUID(b *testing.B) {
	u := uuid.New()
	var bb bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		bb.Reset()
		MarshalUUID(u).MarshalGQL(&bb)
	}
}

// TestUnmarshalJSONRefusesNumbersOutOfRange: metadata holding 1e400 was
// stored and could never be read back (issue 12); it is bad input now.
func TestUnmarshalJSONRefusesNumbersOutOfRange(t *testing.T) {
	for _, v := range []any{
		map[string]any{"n": json.Number("1e400")},
		map[string]any{"a": []any{map[string]any{"n": json.Number("-1E+309")}}},
	} {
		_, err := UnmarshalJSON(v)
		var ge *gqlerror.Error
		if !errors.As(err, &ge) || ge.Extensions["code"] != CodeBadUserInput {
			t.Errorf("UnmarshalJSON(%v) = %v, want BadUserInput", v, err)
		}
	}
	if _, err := UnmarshalJSON(map[string]any{"n": json.Number("1e308"), "m": json.Number("12")}); err != nil {
		t.Errorf("in-range numbers refused: %v", err)
	}
}
