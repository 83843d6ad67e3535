package graph

import (
	"context"

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
