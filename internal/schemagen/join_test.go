package main

import (
	"os"
	"strings"
	"testing"
)

// TestJoinMergesExtensions: the root types come first with every
// extension's fields in part order; other definitions follow, per part.
func TestJoinMergesExtensions(t *testing.T) {
	parts := []Part{
		{Name: "s/a.graphqls", Text: "# Part a.\n\nextend type Query {\n  \"\"\"A.\"\"\"\n  a: A\n}\n\n\"\"\"A thing.\"\"\"\ntype A {\n  \"\"\"Braces in a description: { are fine.\"\"\"\n  x(p: I = {n: 1}): Int\n}\n\ninput I {\n  n: Int\n}\n"},
		{Name: "s/b.graphqls", Text: "\"\"\"Reads.\"\"\"\ntype Query\n\n\"\"\"\nA multi-line\n\ndescription.\n\"\"\"\nscalar B\n\nextend type Query {\n  b: B\n}\n"},
	}
	got, err := Join([]string{"Header."}, parts)
	if err != nil {
		t.Fatal(err)
	}
	want := `# Header.

"""Reads."""
type Query {
  """A."""
  a: A
  b: B
}

# s/a.graphqls
# Part a.

"""A thing."""
type A {
  """Braces in a description: { are fine."""
  x(p: I = {n: 1}): Int
}

input I {
  n: Int
}

# s/b.graphqls

"""
A multi-line

description.
"""
scalar B
`
	if string(got) != want {
		t.Errorf("joined:\n%s\nwant:\n%s", got, want)
	}
}

func TestJoinRefuses(t *testing.T) {
	for _, c := range []struct {
		name, text, want string
	}{
		{"unknown base", "type Query { a: Int }\n\nextend type Nope {\n  b: Int\n}\n", "no `type Nope`"},
		{"extension with a directive", "type Query { a: Int }\n\nextend type Query @deprecated {\n  b: Int\n}\n", "only `extend type X {`"},
		{"twice defined", "type Query {\n  a: Int\n}\n\ntype Query {\n  b: Int\n}\n", "defined twice"},
		{"unbalanced", "type Query {\n  a: Int\n}\n}\n", "unbalanced"},
		{"invalid", "type Query {\n  a: Nope\n}\n", "not form a valid schema"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Join(nil, []Part{{Name: "p.graphqls", Text: c.text}})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
}

// TestCommittedSchemaIsCurrent: schema.graphqls is the join of
// graph/schema/*.graphqls (also checked by scripts/check-generated.sh; this
// says it sooner, in `go test`).
func TestCommittedSchemaIsCurrent(t *testing.T) {
	parts, err := ReadParts("../../graph/schema", "graph/schema")
	if err != nil {
		t.Fatal(err)
	}
	want, err := Join(header, parts)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../schema.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatal("schema.graphqls is not the join of graph/schema/*.graphqls; run `go generate ./graph/`")
	}
}
