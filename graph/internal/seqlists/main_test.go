package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// generatedFiles are the files go generate rewrites (graph/generate.go).
var generatedFiles = []string{
	filepath.Join("..", "..", "generated.go"),
	filepath.Join("..", "..", "model", "models_gen.go"),
}

// TestRewritesApplied: every rewrite took effect in the committed generated
// code. Should a gqlgen upgrade change what a rewrite replaces, the server
// would silently go back to gqlgen's slower code (a goroutine per list
// element or resolver field, an allocation per scalar or enum); this fails
// instead, naming the rewrite to update.
func TestRewritesApplied(t *testing.T) {
	var all [][]byte
	for _, path := range generatedFiles {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, src)
	}
	contains := func(s []byte) bool {
		for _, src := range all {
			if bytes.Contains(src, s) {
				return true
			}
		}
		return false
	}
	for _, r := range rewrites {
		if contains([]byte(r.old)) {
			t.Errorf("generated code still has %s: run go generate ./graph", r.old)
		}
		if !contains([]byte(r.new)) {
			t.Errorf("generated code has no %s: gqlgen's output changed, update the rewrite of %s", r.new, r.old)
		}
	}
	for _, src := range all {
		if noChildFieldsError.Match(src) {
			t.Error("generated code still builds errors.New(\"field of type … does not have child fields\"): run go generate ./graph")
		}
	}
	if !contains([]byte(`noChildFields("`)) {
		t.Error("generated code has no noChildFields: gqlgen's scalar field contexts changed, update noChildFieldsError")
	}
}
