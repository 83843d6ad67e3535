package httpapi_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/stigg-selfhost/stiggql/internal/apitest"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/httpapi"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// stringPath is one place a string goes into an operation: a root field,
// its argument, and the path below the argument to a String or ID.
type stringPath struct {
	field, arg string
	// steps go from the argument down: an input field name, or "[]" for
	// a list element.
	steps []string
}

func (p stringPath) String() string {
	s := p.arg
	for _, st := range p.steps {
		if st == "[]" {
			s += "[0]"
		} else {
			s += "." + st
		}
	}
	return s
}

// stringPaths lists every String and ID argument of every root field of
// the schema, through input objects and lists, so that a field added to
// the schema is in the table without anyone remembering it. Recursive
// input types are followed once.
func stringPaths(t *testing.T) []stringPath {
	sdl, err := os.ReadFile("../../schema.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: string(sdl)})
	var out []stringPath
	var walk func(p stringPath, typ *ast.Type, seen map[string]bool)
	walk = func(p stringPath, typ *ast.Type, seen map[string]bool) {
		if typ.Elem != nil {
			walk(stringPath{p.field, p.arg, append(append([]string{}, p.steps...), "[]")}, typ.Elem, seen)
			return
		}
		def := schema.Types[typ.NamedType]
		switch {
		case typ.NamedType == "String" || typ.NamedType == "ID":
			out = append(out, p)
		case def != nil && def.Kind == ast.InputObject && !seen[def.Name]:
			below := map[string]bool{def.Name: true}
			for k := range seen {
				below[k] = true
			}
			for _, f := range def.Fields {
				walk(stringPath{p.field, p.arg, append(append([]string{}, p.steps...), f.Name)}, f.Type, below)
			}
		}
	}
	for _, root := range []*ast.Definition{schema.Query, schema.Mutation, schema.Subscription} {
		if root == nil {
			continue
		}
		for _, f := range root.Fields {
			for _, a := range f.Arguments {
				walk(stringPath{field: f.Name, arg: a.Name}, a.Type, map[string]bool{})
			}
		}
	}
	return out
}

// nested builds the value of p's argument holding leaf at p's place, as a
// decoded variable (maps and lists) and as a literal.
func (p stringPath) nested(leaf string) (any, *ast.Value) {
	var v any = leaf
	lit := &ast.Value{Kind: ast.StringValue, Raw: leaf}
	for i := len(p.steps) - 1; i >= 0; i-- {
		if p.steps[i] == "[]" {
			v = []any{v}
			lit = &ast.Value{Kind: ast.ListValue, Children: ast.ChildValueList{{Value: lit}}}
		} else {
			v = map[string]any{p.steps[i]: v}
			lit = &ast.Value{Kind: ast.ObjectValue, Children: ast.ChildValueList{{Name: p.steps[i], Value: lit}}}
		}
	}
	return v, lit
}

// TestEveryStringArgumentRefusesNUL is the class check of issue 12's third
// defect: for every String and ID argument of the schema (found by walking
// it), a NUL passed as a variable or as a literal is refused at the one
// boundary, naming that argument.
func TestEveryStringArgumentRefusesNUL(t *testing.T) {
	paths := stringPaths(t)
	if len(paths) < 100 {
		t.Fatalf("found only %d string arguments; the schema walk is broken", len(paths))
	}
	for _, p := range paths {
		v, lit := p.nested("a\x00b")
		for _, form := range []struct {
			name string
			arg  *ast.Value
			vars map[string]any
		}{
			{"variable", &ast.Value{Kind: ast.Variable, Raw: "v"}, map[string]any{"v": v}},
			{"literal", lit, nil},
		} {
			op := &ast.OperationDefinition{SelectionSet: ast.SelectionSet{
				&ast.Field{Name: p.field, Arguments: ast.ArgumentList{{Name: p.arg, Value: form.arg}}},
			}}
			field, ok := httpapi.CheckInputStrings(nil, op, form.vars)
			if ok || field != p.String() {
				t.Errorf("%s(%s) as a %s: field %q, ok %v; want refused naming %s", p.field, p, form.name, field, ok, p)
			}
		}
		clean, _ := p.nested("ab")
		op := &ast.OperationDefinition{SelectionSet: ast.SelectionSet{
			&ast.Field{Name: p.field, Arguments: ast.ArgumentList{{Name: p.arg, Value: &ast.Value{Kind: ast.Variable, Raw: "v"}}}},
		}}
		if field, ok := httpapi.CheckInputStrings(nil, op, map[string]any{"v": clean}); !ok {
			t.Errorf("%s(%s): a string without NUL refused at %s", p.field, p, field)
		}
	}
}

// TestNULInLookedUpIDsIsBadUserInput is issue 12's reproducer through
// HTTP: on PostgreSQL these answered UnexpectedError (SQLSTATE 22021), on
// SQLite NotFound; both answer BadUserInput naming the argument now.
func TestNULInLookedUpIDsIsBadUserInput(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		s := apitest.New(t, st)
		for _, tc := range []struct{ query, field string }{
			{`query($id:String!){ getCustomerByRefId(input:{customerId:$id}){ __typename } }`, "input.customerId"},
			{`mutation($id:String!){ archiveCustomer(input:{customerId:$id}){ __typename } }`, "input.customerId"},
			{`mutation($id:String!){ unarchiveCustomer(input:{customerId:$id}){ __typename } }`, "input.customerId"},
			{`mutation($id:String!){ updateOneCustomer(input:{customerId:$id, name:"x"}){ __typename } }`, "input.customerId"},
			{`mutation($id:String!){ revokePromotionalEntitlement(input:{customerId:"c", featureId:$id}){ __typename } }`, "input.featureId"},
		} {
			r := s.Fail("BadUserInput", tc.query, map[string]any{"id": "a\x00b"})
			if got := fmt.Sprint(r.Errors[0].Extensions["field"]); got != tc.field {
				t.Errorf("%s: extensions.field = %q, want %q", tc.query, got, tc.field)
			}
		}
	})
}
