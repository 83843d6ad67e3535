// Command gqlgenx is `gqlgen generate` with this server's plugin: go
// generate runs it in place of gqlgen's own command (graph/generate.go). It
// reads gqlgen.yml as gqlgen does and calls api.Generate with the plugin
// NestedInPlace; what it writes is gqlgen's output for that data, never
// edited afterwards.
package main

import (
	"fmt"
	"os"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen/config"
)

func main() {
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gqlgenx: loading gqlgen.yml:", err)
		os.Exit(2)
	}
	if err := api.Generate(cfg, api.AddPlugin(NestedInPlace{})); err != nil {
		fmt.Fprintln(os.Stderr, "gqlgenx:", err)
		os.Exit(3)
	}
}
