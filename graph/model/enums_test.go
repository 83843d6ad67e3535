package model

import (
	"bytes"
	"os"
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

// TestGeneratedEnumsUseWriteEnum: go generate's rewrite of models_gen.go
// (graph/internal/seqlists) took effect.
func TestGeneratedEnumsUseWriteEnum(t *testing.T) {
	src, err := os.ReadFile("models_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(src, []byte("fmt.Fprint(w, strconv.Quote(e.String()))")); n > 0 {
		t.Fatalf("models_gen.go writes %d enums with fmt.Fprint: run go generate ./graph", n)
	}
	if !bytes.Contains(src, []byte("writeEnum(w, string(e))")) {
		t.Fatal("models_gen.go does not call writeEnum: gqlgen's enum marshalling changed, update graph/internal/seqlists")
	}
}
