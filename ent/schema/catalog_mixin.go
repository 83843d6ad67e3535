package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
)

// CatalogMixin holds what every catalog entity loaded from a catalog file
// shares: the refId it is declared and upserted by, and a hash of its
// declaration, so a reload can tell an unchanged entry from a changed one
// (and bump a package's version only when it changed).
type CatalogMixin struct{ mixin.Schema }

// Fields of the CatalogMixin.
func (CatalogMixin) Fields() []ent.Field {
	return []ent.Field{
		field.String("ref_id").NotEmpty().MaxLen(255),
		field.String("source_hash").Optional(),
	}
}

// PackageMixin holds the fields plans and add-ons share: Stigg calls both
// packages (PackageDto) and gives them the same descriptive fields.
type PackageMixin struct{ mixin.Schema }

// Fields of the PackageMixin.
func (PackageMixin) Fields() []ent.Field {
	return []ent.Field{
		field.String("display_name").NotEmpty().MaxLen(255),
		field.String("description").Optional().Nillable(),
		field.JSON("additional_meta_data", map[string]any{}).Optional(),
		field.String("billing_id").Optional().Nillable(),
		field.Enum("pricing_type").Values("CUSTOM", "FREE", "PAID").Default("FREE"),
		// version_number starts at 1 and grows each time a catalog reload
		// changes the package's declaration: for a plan, each version is a
		// row of its own (Plan); an add-on is updated in place.
		field.Int("version_number").Default(1),
		// status is ARCHIVED when the package left the catalog file while a
		// subscription still uses it: kept for those, hidden from new ones.
		field.Enum("status").Values("ARCHIVED", "DRAFT", "PUBLISHED").Default("PUBLISHED"),
		field.Strings("hidden_from_widgets").Optional(),
	}
}
