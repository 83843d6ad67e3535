package main

import (
	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/plugin"
)

// NestedInPlace is a gqlgen plugin that makes the executor run the fields of
// every object but the roots where it meets them, on the request's
// goroutine, instead of a goroutine per resolver field (gqlgen's default for
// a field with a resolver or a method taking a context).
//
// Why: a nested object's resolver fields here compute from the row (a
// subscription's status), look up a cached catalog (its plan), or read a
// group load a sibling already made (graph/loaders.go): they have no I/O of
// their own to overlap, so a goroutine each only costs CPU, and a customers
// page of 50 started some 200 of them. The root Query's fields stay
// concurrent (independent top-level reads may overlap); Mutation's are
// sequential in gqlgen already.
//
// The rule is by kind, not by name, so it covers every object the schema
// has or will have. Two things gqlgen does for concurrent fields only, and
// which this server does not rely on: a panic in such a field is recovered
// by the enclosing list element or root field (still a GraphQL error, with
// more of the response null) rather than by the field itself, and @defer
// on such a field is not deferred (the server has no transport that
// streams deferred results, internal/httpapi).
type NestedInPlace struct{}

var _ plugin.CodeGenerator = NestedInPlace{}

// Name is the plugin's name in gqlgen's plugin list.
func (NestedInPlace) Name() string { return "nestedinplace" }

// GenerateCode marks every non-root object of the data gqlgen is about to
// render as one whose fields run in place (codegen.Object.DisableConcurrency,
// which gqlgen itself sets for Mutation).
func (NestedInPlace) GenerateCode(data *codegen.Data) error {
	for _, o := range data.Objects {
		if !o.Root {
			o.DisableConcurrency = true
		}
	}
	return nil
}
