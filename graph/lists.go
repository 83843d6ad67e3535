package graph

import (
	"context"
	"reflect"

	"github.com/99designs/gqlgen/graphql"
)

// marshalList stands in for graphql.MarshalSliceConcurrently in the
// generated executor (see graph/internal/seqlists for why): the same
// per-element field context and panic handling, in order, on the calling
// goroutine.
func marshalList(ctx context.Context, length int, _ int64, omitPanicHandler bool, marshalElement func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	ret := make(graphql.Array, length)
	failed := false
	for i := range length {
		childCtx := graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &i})
		func() {
			if !omitPanicHandler {
				defer func() {
					if r := recover(); r != nil {
						graphql.AddError(childCtx, graphql.Recover(childCtx, r))
						failed = true
					}
				}()
			}
			ret[i] = marshalElement(childCtx, i)
		}()
	}
	if failed {
		return nil
	}
	return ret
}

// noChildFields is the error of asking a scalar field for a child field's
// context. It stands in for the errors.New gqlgen's generated executor
// makes for every scalar field it resolves (graph/internal/seqlists): as a
// constant of a string type it costs no allocation, and its message is
// gqlgen's.
type noChildFields string

func (t noChildFields) Error() string {
	return "field of type " + string(t) + " does not have child fields"
}

// unusedUnmarshalerMap stands in for graphql.BuildUnmarshalerMap in the
// generated Exec (graph/internal/seqlists). gqlgen builds that map of every
// input type's unmarshaler on each request for
// graphql.UnmarshalInputFromContext alone, which nothing in this server
// calls (TestNothingUnmarshalsInputFromContext).
func unusedUnmarshalerMap(...any) map[reflect.Type]reflect.Value { return nil }
