package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// Addon holds the schema definition for the Addon entity: an optional
// package bought on top of a compatible plan, possibly several times (up to
// max_quantity), possibly only together with other add-ons (dependencies).
type Addon struct {
	ent.Schema
}

// Mixin of the Addon.
func (Addon) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}, EnvironmentMixin{}, CatalogMixin{}, PackageMixin{}}
}

// Fields of the Addon.
func (Addon) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("product_id", uuid.UUID{}),
		// max_quantity is nil for an add-on bought at most once.
		field.Float("max_quantity").Optional().Nillable(),
	}
}

// Edges of the Addon.
func (Addon) Edges() []ent.Edge {
	cascade := entsql.OnDelete(entsql.Cascade)
	return []ent.Edge{
		edge.From("environment", Environment.Type).Ref("addons").Field("environment_id").Unique().Required().Immutable(),
		edge.From("product", Product.Type).Ref("addons").Field("product_id").Unique().Required(),
		edge.From("compatible_plans", Plan.Type).Ref("compatible_addons"),
		edge.To("dependencies", Addon.Type).From("dependents"),
		edge.To("entitlements", PackageEntitlement.Type).Annotations(cascade),
		edge.To("prices", Price.Type).Annotations(cascade),
		// No cascade: an add-on a subscription uses cannot be deleted.
		edge.To("subscription_addons", SubscriptionAddon.Type),
	}
}

// Indexes of the Addon.
func (Addon) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("environment_id", "ref_id").Unique(),
		index.Fields("environment_id", "created_at", "id"),
		index.Fields("product_id"),
	}
}
