//go:build tools

// Package tools pins the code generators so `go generate ./...` uses the
// versions recorded in go.mod.
package main

import (
	_ "entgo.io/ent/cmd/ent"
	_ "entgo.io/ent/entc" // ent/entc.go (go:build ignore) runs it
	_ "github.com/99designs/gqlgen"
)
