// Command stiggql is a self-hostable GraphQL server that mirrors Stigg's
// customer API: customers, their subscriptions, promotional entitlements and
// sync states. `go run .` serves it on an embedded SQLite database; the
// commands live in internal/cli.
package main

import (
	"context"
	_ "embed"
	"os"

	"github.com/stigg-selfhost/stiggql/internal/cli"
)

// schemaSDL is the whole schema users read, served at /schema.graphql and
// printed by `stiggql schema`.
//
//go:embed schema.graphqls
var schemaSDL string

func main() {
	os.Exit(cli.App{SchemaSDL: schemaSDL}.Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}
