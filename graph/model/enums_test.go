package model

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// TestWriteEnumQuotesAsBefore: writeEnum gives what gqlgen's
// fmt.Fprint(w, strconv.Quote(v)) gave, for enum names and for values that
// are not names, into a buffer and into any other writer.
func TestWriteEnumQuotesAsBefore(t *testing.T) {
	for _, v := range []string{"ACTIVE", "IN_TRIAL", "Stripe", "x9_", "", "with space", `q"uote`, "back\\slash", "ünï", "tab\t", "<&>"} {
		want := strconv.Quote(v)
		var bb bytes.Buffer
		writeEnum(&bb, v)
		if got := bb.String(); got != want {
			t.Errorf("writeEnum(%q) into a buffer: %s, want %s", v, got, want)
		}
		var sb strings.Builder
		writeEnum(&sb, v)
		if got := sb.String(); got != want {
			t.Errorf("writeEnum(%q): %s, want %s", v, got, want)
		}
	}
	var bb bytes.Buffer
	SubscriptionStatusActive.MarshalGQL(&bb)
	if got := bb.String(); got != `"ACTIVE"` {
		t.Errorf("SubscriptionStatusActive: %s", got)
	}
}
