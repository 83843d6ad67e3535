//go:build ignore

// entc.go runs ent's code generation (go generate, ent/generate.go) with
// the features the project uses and its own templates (ent/template):
// rendered.tmpl gives every query type Render / AllRendered, so that hot
// statements can be run from SQL text rendered once (graph/rendered.go).
package main

import (
	"log"

	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
)

func main() {
	err := entc.Generate("./schema", &gen.Config{
		Features: []gen.Feature{
			gen.FeatureUpsert,
			gen.FeatureExecQuery,
			gen.FeatureLock,
			gen.FeatureModifier,
			gen.FeatureVersionedMigration,
		},
	}, entc.TemplateDir("./template"))
	if err != nil {
		log.Fatal("running ent codegen: ", err)
	}
}
