// Command seqlists rewrites gqlgen's generated executor so that lists of
// objects are marshalled one element after the other (graph/lists.go)
// instead of in a goroutine per element, and so that the resolver fields of
// a nested object run one after the other instead of in a goroutine per
// field. It runs after gqlgen in `go generate` (graph/generate.go) and is
// idempotent.
//
// Why: every list of two or more objects costs gqlgen a goroutine, a
// WaitGroup and a stack per element (a customers page of 50 with their
// subscriptions and grants: hundreds). This server's nested fields are
// loaded for whole sibling groups in one statement (graph/loaders.go), so
// the elements have no I/O of their own to overlap: under load the
// goroutines only cost CPU (Q2 about 25 % more throughput without them,
// bench/).
//
// The same holds within an object: gqlgen runs every field that has a
// resolver concurrently with its siblings (each but the first in a
// goroutine of its own), whether the resolver computes a status from the
// row's columns, looks a plan up in the catalog snapshot, or reads a group
// load another sibling already made. A page of 50 customers with their
// subscriptions and grants started some 200 goroutines for that. Only the
// fields of nested objects are rewritten: the root Query's fields (rrm in
// the generated code) stay concurrent, as independent top-level reads may
// well overlap; Mutation's are sequential already.
//
// Two more rewrites remove per-request allocations that buy nothing here
// (named after the first rewrite, the command does all three):
//   - gqlgen gives every scalar field's context an errors.New("field of
//     type X does not have child fields"), one allocation per scalar value
//     written (a customers page: about a thousand); noChildFields("X")
//     (graph/lists.go) is the same error as a constant, which costs none.
//   - Exec builds a map of every input type's unmarshaler per request
//     (about a hundred method values) for graphql.UnmarshalInputFromContext,
//     which nothing in this server calls; unusedUnmarshalerMap
//     (graph/lists.go) skips it.
//
// In the models (graph/model/models_gen.go), an enum value was written with
// fmt.Fprint of strconv.Quote (two allocations and fmt's machinery per
// status in a response); writeEnum (graph/model/enums.go) writes it.
package main

import (
	"bytes"
	"log"
	"os"
	"regexp"
)

// rewrites are the generated calls replaced, and their replacements.
var rewrites = []struct{ old, new string }{
	// A list of objects: marshalList (graph/lists.go).
	{"graphql.MarshalSliceConcurrently(", "marshalList("},
	// The per-request map of input unmarshalers (see above).
	{"graphql.BuildUnmarshalerMap(", "unusedUnmarshalerMap("},
	// An enum value (models_gen.go).
	{"fmt.Fprint(w, strconv.Quote(e.String()))", "writeEnum(w, string(e))"},
	// A resolver field of a nested object: run it where gqlgen would have
	// queued it for FieldSet.Dispatch. innerFunc keeps the field's panic
	// recovery and non-null bookkeeping.
	{
		"out.Concurrently(i, func(ctx context.Context) graphql.Marshaler { return innerFunc(ctx, out) })",
		"out.Values[i] = innerFunc(ctx, out)",
	},
}

// noChildFieldsError matches the error gqlgen builds for a scalar field's
// children; the group is the type name.
var noChildFieldsError = regexp.MustCompile(`errors\.New\("field of type ([A-Za-z0-9_]+) does not have child fields"\)`)

func main() {
	if len(os.Args) < 2 {
		log.Fatal("usage: seqlists graph/generated.go graph/model/models_gen.go")
	}
	for _, path := range os.Args[1:] {
		rewrite(path)
	}
}

// rewrite applies every rewrite that matches in the file at path.
func rewrite(path string) {
	src, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	out := src
	for _, r := range rewrites {
		out = bytes.ReplaceAll(out, []byte(r.old), []byte(r.new))
	}
	out = noChildFieldsError.ReplaceAll(out, []byte(`noChildFields("${1}")`))
	// The errors package was imported for those errors.New only; should
	// gqlgen use it for something else, the import stays.
	if !bytes.Contains(out, []byte("errors.")) {
		out = bytes.Replace(out, []byte("\n\t\"errors\"\n"), []byte("\n"), 1)
	}
	if bytes.Equal(out, src) {
		return
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		log.Fatal(err)
	}
}
