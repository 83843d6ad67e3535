// Command gqlgenx is `gqlgen generate` with this server's plugin and
// templates: go generate runs it in place of gqlgen's own command
// (graph/generate.go). It reads gqlgen.yml as gqlgen does and calls
// api.Generate with the plugin NestedInPlace (nested objects run their
// fields in place). Then it renders the executor once more from the same
// data with gqlgen's own renderer and templates, three of them replaced by
// the one-line forks in templates/ plus templates/server.gotpl (lists in
// order, no error per scalar field, no per-request map of input
// unmarshalers), after checking that rendering gqlgen's templates itself
// gives gqlgen's file byte for byte (executor.go). What it writes is
// rendered by gqlgen's renderer, never edited afterwards.
//
// With -plain it stops after api.Generate, leaving gqlgen's executor for
// that data as gqlgen's own templates make it: `git diff graph/generated.go`
// then shows exactly what the templates in templates/ change (go generate
// restores the committed file).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen/config"
)

func main() {
	plain := flag.Bool("plain", false, "write gqlgen's plain executor, without this server's templates")
	flag.Parse()
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gqlgenx: loading gqlgen.yml:", err)
		os.Exit(2)
	}
	own := &OwnTemplates{}
	if err := api.Generate(cfg, api.AddPlugin(NestedInPlace{}), api.AddPlugin(own)); err != nil {
		fmt.Fprintln(os.Stderr, "gqlgenx:", err)
		os.Exit(3)
	}
	if *plain {
		return
	}
	if err := own.Render(); err != nil {
		fmt.Fprintln(os.Stderr, "gqlgenx: rendering the executor:", err)
		os.Exit(4)
	}
}
