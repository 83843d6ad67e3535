package limits

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/stigg-selfhost/stiggql/internal/apperr"
)

// smallSchema has the shapes Measure cares about: a cursor-paged
// connection, plain lists of objects, a list of scalars and a cycle.
const smallSchema = `
type Query {
  customers(paging: CursorPaging = {first: 10}): CustomerConnection!
  customer(id: ID!): Customer
  tags: [String!]!
}
input CursorPaging { first: Int last: Int after: String before: String }
type CustomerConnection { edges: [CustomerEdge!]! totalCount: Int! }
type CustomerEdge { cursor: String! node: Customer! }
type Customer { id: ID! name: String subscriptions: [Subscription!]! friend: Customer }
type Subscription { id: ID! plan: Plan }
type Plan { id: ID! prices: [Price!] }
type Price { amount: Int }
`

func load(t *testing.T, query string, vars map[string]any) (*ast.OperationDefinition, map[string]any) {
	t.Helper()
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: smallSchema})
	doc, errs := gqlparser.LoadQuery(schema, query)
	if errs != nil {
		t.Fatalf("invalid test query: %v", errs)
	}
	op := doc.Operations[0]
	coerced, err := validator.VariableValues(schema, op, vars)
	if err != nil {
		t.Fatalf("variables: %v", err)
	}
	return op, coerced
}

func TestMeasure(t *testing.T) {
	for _, tc := range []struct {
		name  string
		query string
		vars  map[string]any
		want  Measures
	}{
		{
			name:  "flat object",
			query: `{ customer(id: 1) { id name } }`,
			want:  Measures{Depth: 2, Complexity: 3},
		},
		{
			name:  "scalar list counts once",
			query: `{ tags }`,
			want:  Measures{Depth: 1, Complexity: 1},
		},
		{
			// customers 1 + totalCount 1 + edges (1 + 10 × (node 1 + id 1))
			name:  "connection with the schema's default page",
			query: `{ customers { totalCount edges { node { id } } } }`,
			want:  Measures{Depth: 4, Complexity: 23},
		},
		{
			name:  "connection with first",
			query: `{ customers(paging: {first: 50}) { totalCount edges { node { id } } } }`,
			want:  Measures{Depth: 4, Complexity: 1 + 1 + 1 + 50*2},
		},
		{
			name:  "paging without first or last",
			query: `{ customers(paging: {after: "x"}) { edges { cursor } } }`,
			want:  Measures{Depth: 3, Complexity: 1 + 1 + 10},
		},
		{
			name:  "paging from a variable",
			query: `query($p: CursorPaging) { customers(paging: $p) { edges { cursor } } }`,
			vars:  map[string]any{"p": map[string]any{"last": 30}},
			want:  Measures{Depth: 3, Complexity: 1 + 1 + 30},
		},
		{
			name:  "unset variable falls back to the argument's default",
			query: `query($p: CursorPaging) { customers(paging: $p) { edges { cursor } } }`,
			want:  Measures{Depth: 3, Complexity: 1 + 1 + 10},
		},
		{
			name:  "first from a nested variable, capped at the maximum page",
			query: `query($n: Int) { customers(paging: {first: $n}) { edges { cursor } } }`,
			vars:  map[string]any{"n": 1000},
			want:  Measures{Depth: 3, Complexity: 1 + 1 + MaxPageSize},
		},
		{
			// customer 1 + subscriptions (1 + 1 × (plan 1 + prices (1 + 1 × amount 1)))
			name:  "nested plain lists",
			query: `{ customer(id: 1) { subscriptions { plan { prices { amount } } } } }`,
			want:  Measures{Depth: 5, Complexity: 1 + 1 + ListMultiplier*(1+1+ListMultiplier*1)},
		},
		{
			name:  "lists inside a connection's nodes use the plain multiplier",
			query: `{ customers(paging: {first: 5}) { edges { node { subscriptions { id } } } } }`,
			want:  Measures{Depth: 5, Complexity: 1 + 1 + 5*(1+1+ListMultiplier*1)},
		},
		{
			name: "fragments count once per spread, add no depth",
			query: `{ a: customer(id: 1) { ...F } b: customer(id: 2) { ...F } }
				fragment F on Customer { x: name y: id friend { id } }`,
			want: Measures{Depth: 3, Aliases: 2 + 2*2, Complexity: 2 * (1 + 1 + 1 + 2)},
		},
		{
			name:  "inline fragments",
			query: `{ customer(id: 1) { ... on Customer { friend { friend { id } } } } }`,
			want:  Measures{Depth: 4, Complexity: 4},
		},
		{
			name:  "alias equal to the field name is no alias",
			query: `{ customer: customer(id: 1) { id } }`,
			want:  Measures{Depth: 2, Complexity: 2},
		},
		{
			name:  "introspection and __typename cost nothing but have depth",
			query: `{ __typename __schema { types { fields { name } } } customer(id: 1) { __typename id } }`,
			want:  Measures{Depth: 4, Complexity: 2},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op, vars := load(t, tc.query, tc.vars)
			if got := Measure(op, vars); got != tc.want {
				t.Errorf("Measure = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestMeasureFragmentBomb checks that fragments spreading each other twice
// at every level (2^n fields once expanded) are measured in time linear in
// the document: the test would not finish otherwise.
func TestMeasureFragmentBomb(t *testing.T) {
	const n = 40
	var b strings.Builder
	b.WriteString("{ customer(id: 1) { ...F0 } }\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "fragment F%d on Customer { a: friend { ...F%d } b: friend { ...F%d } }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Customer { id }\n", n)
	op, vars := load(t, b.String(), nil)
	m := Measure(op, vars)
	if want := n + 2; m.Depth != want {
		t.Errorf("Depth = %d, want %d", m.Depth, want)
	}
	// Level i holds 2^(i+1) aliased fields: 2 + 4 + ... + 2^n.
	if want := 1<<(n+1) - 2; m.Aliases != want {
		t.Errorf("Aliases = %d, want %d", m.Aliases, want)
	}
	if m.Complexity < 1<<n {
		t.Errorf("Complexity = %d, want at least 2^%d", m.Complexity, n)
	}
}

func TestSaturatingArithmetic(t *testing.T) {
	const maxInt = int(^uint(0) >> 1)
	if got := add(maxInt-1, 5); got != maxInt {
		t.Errorf("add overflowed to %d", got)
	}
	if got := mul(maxInt/2, 3); got != maxInt {
		t.Errorf("mul overflowed to %d", got)
	}
	if got := mul(0, maxInt); got != 0 {
		t.Errorf("mul(0, max) = %d", got)
	}
}

func TestExtensionRefusals(t *testing.T) {
	deep := `{ customer(id: 1) { friend { friend { friend { id } } } } }` // depth 5, 5 values
	for _, tc := range []struct {
		name  string
		cfg   Config
		query string
		code  apperr.Code
	}{
		{"depth at the limit", Config{MaxDepth: 5}, deep, ""},
		{"depth over", Config{MaxDepth: 4}, deep, apperr.GraphQLDepthLimitExceeded},
		{"complexity at the limit", Config{MaxComplexity: 5}, deep, ""},
		{"complexity over", Config{MaxComplexity: 4}, deep, apperr.GraphQLComplexityLimitExceeded},
		{"aliases at the limit", Config{MaxAliases: 2}, `{ a: tags b: tags }`, ""},
		{"aliases over", Config{MaxAliases: 1}, `{ a: tags b: tags }`, apperr.GraphQLAliasesLimitExceeded},
		{"zero config limits nothing", Config{}, deep, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op, vars := load(t, tc.query, nil)
			err := NewExtension(tc.cfg).MutateOperationContext(context.Background(), &graphql.OperationContext{Operation: op, Variables: vars})
			switch {
			case tc.code == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.code != "" && err == nil:
				t.Fatalf("accepted, want %s", tc.code)
			case tc.code != "" && err.Extensions["code"] != string(tc.code):
				t.Fatalf("code = %v, want %s (%s)", err.Extensions["code"], tc.code, err.Message)
			}
		})
	}
}
