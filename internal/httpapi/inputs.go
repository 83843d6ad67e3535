package httpapi

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/stigg-selfhost/stiggql/internal/apperr"
)

// InputStrings is the one boundary where every string an operation passes
// in is checked, whatever the field and however it is given (a literal in
// the document or a variable): a NUL character is BadUserInput naming the
// argument (extensions.field). PostgreSQL refuses NUL in text (SQLSTATE
// 22021), which made 13 operations answer UnexpectedError there while
// SQLite answered NotFound; no identifier, name or value of this API may
// hold one. It runs after validation and variable coercion, before any
// resolver.
type InputStrings struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = InputStrings{}

// ExtensionName implements graphql.HandlerExtension.
func (InputStrings) ExtensionName() string { return "InputStrings" }

// Validate implements graphql.HandlerExtension.
func (InputStrings) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext refuses the operation when an argument holds a NUL.
func (InputStrings) MutateOperationContext(_ context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if opCtx.Operation == nil {
		return nil
	}
	field, ok := CheckInputStrings(opCtx.Doc, opCtx.Operation, opCtx.Variables)
	if ok {
		return nil
	}
	return &gqlerror.Error{
		Message:    fmt.Sprintf("%s must not contain a NUL character", field),
		Extensions: map[string]any{"code": string(apperr.BadUserInput), "field": field},
	}
}

// CheckInputStrings walks every argument of op (fragments of doc included)
// with its variables' values and returns the path of the first string
// holding a NUL (argument, then input fields and list indexes:
// input.customerId, input.addons[1].addonId), ok when there is none.
func CheckInputStrings(doc *ast.QueryDocument, op *ast.OperationDefinition, vars map[string]any) (field string, ok bool) {
	w := nulWalker{vars: vars}
	if doc != nil {
		for _, f := range doc.Fragments {
			w.frags = append(w.frags, f)
		}
	}
	w.selections(op.SelectionSet)
	for _, f := range w.frags {
		if w.found != "" {
			break
		}
		w.selections(f.SelectionSet)
	}
	return w.found, w.found == ""
}

type nulWalker struct {
	vars  map[string]any
	frags []*ast.FragmentDefinition
	found string
}

func (w *nulWalker) selections(set ast.SelectionSet) {
	for _, sel := range set {
		if w.found != "" {
			return
		}
		switch s := sel.(type) {
		case *ast.Field:
			for _, a := range s.Arguments {
				w.value(a.Name, a.Value)
			}
			for _, d := range s.Directives {
				for _, a := range d.Arguments {
					w.value(a.Name, a.Value)
				}
			}
			w.selections(s.SelectionSet)
		case *ast.InlineFragment:
			w.selections(s.SelectionSet)
		}
	}
}

// value checks an argument's value as written: literals directly, a
// variable through its coerced value.
func (w *nulWalker) value(path string, v *ast.Value) {
	if v == nil || w.found != "" {
		return
	}
	switch v.Kind {
	case ast.Variable:
		w.any(path, w.vars[v.Raw])
	case ast.StringValue, ast.BlockValue, ast.EnumValue:
		if strings.ContainsRune(v.Raw, 0) {
			w.found = path
		}
	case ast.ListValue:
		for i, c := range v.Children {
			w.value(fmt.Sprintf("%s[%d]", path, i), c.Value)
		}
	case ast.ObjectValue:
		for _, c := range v.Children {
			if strings.ContainsRune(c.Name, 0) {
				w.found = path
				return
			}
			w.value(path+"."+c.Name, c.Value)
		}
	}
}

// any checks a variable's value (decoded JSON: strings, maps, lists, and
// whatever gqlgen coerced them to).
func (w *nulWalker) any(path string, v any) {
	if w.found != "" {
		return
	}
	switch x := v.(type) {
	case string:
		if strings.ContainsRune(x, 0) {
			w.found = path
		}
	case map[string]any:
		for k, e := range x {
			if strings.ContainsRune(k, 0) {
				w.found = path
				return
			}
			w.any(path+"."+k, e)
		}
	case []any:
		for i, e := range x {
			w.any(fmt.Sprintf("%s[%d]", path, i), e)
		}
	}
}
