package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestNestedObjectsRunFieldsInPlace reads the committed executor
// (graph/generated.go, which scripts/check-generated.sh keeps equal to what
// this command generates) and checks NestedInPlace's effect: the marshaler
// of every nested object (a method _Type with an obj parameter) runs its
// fields in place, never through FieldSet.Concurrently, while the root
// Query still does. Should a gqlgen upgrade stop honouring
// DisableConcurrency, or the plugin stop being applied, this fails.
func TestNestedObjectsRunFieldsInPlace(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join("..", "..", "generated.go"), nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	nested, rootConcurrent := 0, false
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv == nil || !isObjectMarshaler(fn) {
			continue
		}
		concurrent := callsConcurrently(fn.Body)
		switch {
		case fn.Name.Name == "_Query":
			rootConcurrent = concurrent
		case hasObjParam(fn):
			nested++
			if concurrent {
				t.Errorf("%s runs fields through FieldSet.Concurrently: the executor was not generated with NestedInPlace (go generate ./graph)", fn.Name.Name)
			}
		}
	}
	if nested < 50 {
		t.Fatalf("found %d nested object marshalers in generated.go; gqlgen's layout changed, update this test", nested)
	}
	if !rootConcurrent {
		t.Error("_Query no longer runs its fields concurrently: NestedInPlace must leave the root objects alone")
	}
}

// isObjectMarshaler: gqlgen names an object's marshaler _<Object>(ctx, sel
// [, obj]); field marshalers are _<Object>_<field>.
func isObjectMarshaler(fn *ast.FuncDecl) bool {
	name := fn.Name.Name
	if !strings.HasPrefix(name, "_") || strings.Contains(name[1:], "_") {
		return false
	}
	params := fn.Type.Params.List
	return len(params) >= 2 && len(params[1].Names) == 1 && params[1].Names[0].Name == "sel"
}

func hasObjParam(fn *ast.FuncDecl) bool {
	for _, p := range fn.Type.Params.List {
		for _, n := range p.Names {
			if n.Name == "obj" {
				return true
			}
		}
	}
	return false
}

// callsConcurrently reports whether body calls a method named Concurrently.
func callsConcurrently(body *ast.BlockStmt) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok {
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Concurrently" {
				found = true
			}
		}
		return !found
	})
	return found
}
