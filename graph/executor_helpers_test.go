package graph

import (
	"context"
	"errors"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// TestMarshalSliceInOrder checks the helper gqlgenx generates for lists
// (graph/internal/gqlgenx/templates/server.gotpl) against what gqlgen's
// MarshalSliceConcurrently does (v0.17.90): each element gets a field
// context with its index, a panicking element's error is recorded at its
// path and the whole list is nil; and that it marshals the elements in
// order.
func TestMarshalSliceInOrder(t *testing.T) {
	ctx := graphql.WithOperationContext(context.Background(), &graphql.OperationContext{RecoverFunc: graphql.DefaultRecover})
	quiet := func(context.Context, any) error { return errors.New("internal system error") }
	ctx = graphql.WithResponseContext(ctx, graphql.DefaultErrorPresenter, quiet)
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Field: graphql.CollectedField{}})
	var order []int
	ret := marshalSliceInOrder(ctx, 3, 0, false, func(ctx context.Context, i int) graphql.Marshaler {
		order = append(order, i)
		if got := *graphql.GetFieldContext(ctx).Index; got != i {
			t.Errorf("element %d has field context index %d", i, got)
		}
		if i == 1 {
			panic("boom")
		}
		return graphql.MarshalInt(i)
	})
	if len(order) != 3 || order[0] != 0 || order[1] != 1 || order[2] != 2 {
		t.Errorf("elements marshalled in order %v, want [0 1 2]", order)
	}
	if ret != nil {
		t.Errorf("result %v: want nil, as a panicking element makes it", ret)
	}
	errs := graphql.GetErrors(ctx)
	if len(errs) != 1 || errs[0].Path.String() != "[1]" {
		t.Errorf("errors %v: want one, at path 1", errs)
	}
	ok := marshalSliceInOrder(ctx, 2, 0, false, func(ctx context.Context, i int) graphql.Marshaler { return graphql.MarshalInt(i) })
	if len(ok) != 2 || ok[0] == graphql.Null || ok[1] == graphql.Null {
		t.Errorf("result %v: want both elements", ok)
	}
}

// TestNoChildFieldsIsGqlgensError: the constant error the forked field.gotpl
// gives a scalar field's context says what gqlgen's errors.New said.
func TestNoChildFieldsIsGqlgensError(t *testing.T) {
	if got, want := noChildFields("String").Error(), "field of type String does not have child fields"; got != want {
		t.Errorf("noChildFields: %q, want %q", got, want)
	}
}
