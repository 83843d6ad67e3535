package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// Product holds the schema definition for the Product entity: a line of
// business in the catalog that groups plans and add-ons. A customer has at
// most one live subscription per product (per resource), which is why trial
// eligibility and plan replacement are decided per product.
type Product struct {
	ent.Schema
}

// Mixin of the Product.
func (Product) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}, EnvironmentMixin{}, CatalogMixin{}}
}

// Fields of the Product.
func (Product) Fields() []ent.Field {
	return []ent.Field{
		field.String("display_name").Optional().Nillable(),
		field.String("description").Optional().Nillable(),
		field.JSON("additional_meta_data", map[string]any{}).Optional(),
		field.Bool("is_default_product").Default(false),
		field.Bool("multiple_subscriptions").Default(false),
		field.Enum("status").Values("ARCHIVED", "PUBLISHED").Default("PUBLISHED"),
		// downgrade_plan_id is the plan a cancelled subscription falls back
		// to (productSettings.downgradePlan). A plain column rather than an
		// edge: plans already point at their product, and a second foreign
		// key in the other direction would make the two tables depend on
		// each other.
		field.UUID("downgrade_plan_id", uuid.UUID{}).Optional().Nillable(),
	}
}

// Edges of the Product.
func (Product) Edges() []ent.Edge {
	cascade := entsql.OnDelete(entsql.Cascade)
	return []ent.Edge{
		edge.From("environment", Environment.Type).Ref("products").Field("environment_id").Unique().Required().Immutable(),
		edge.To("plans", Plan.Type).Annotations(cascade),
		edge.To("addons", Addon.Type).Annotations(cascade),
	}
}

// Indexes of the Product.
func (Product) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("environment_id", "ref_id").Unique(),
		index.Fields("environment_id", "created_at", "id"),
	}
}
