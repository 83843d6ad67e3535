// Command seqlists rewrites gqlgen's generated executor so that lists of
// objects are marshalled one element after the other (graph/lists.go)
// instead of in a goroutine per element. It runs after gqlgen in `go
// generate` (graph/generate.go) and is idempotent.
//
// Why: every list of two or more objects costs gqlgen a goroutine, a
// WaitGroup and a stack per element (a customers page of 50 with their
// subscriptions and grants: hundreds). This server's nested fields are
// loaded for whole sibling groups in one statement (graph/loaders.go), so
// the elements have no I/O of their own to overlap: under load the
// goroutines only cost CPU (Q2 about 25 % more throughput without them,
// bench/).
package main

import (
	"bytes"
	"log"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: seqlists graph/generated.go")
	}
	path := os.Args[1]
	src, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	out := bytes.ReplaceAll(src, []byte("graphql.MarshalSliceConcurrently("), []byte("marshalList("))
	if bytes.Equal(out, src) {
		return
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		log.Fatal(err)
	}
}
