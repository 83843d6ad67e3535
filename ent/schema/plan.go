package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// Plan holds the schema definition for the Plan entity: one version of a
// package of entitlements and prices a customer subscribes to. A plan may
// inherit the entitlements of a base plan (a "Pro" plan built on "Basic"),
// and lists the add-ons that can be bought on top of it.
//
// A plan is versioned as Stigg versions it: each row is one version of the
// plan refId (version_number 1, 2, ...), with its own entitlements, prices
// and compatible add-ons. Publishing a changed declaration adds a row and
// clears is_latest on the previous one; a subscription points at the row it
// was created on (or migrated to), so it keeps that version's content.
type Plan struct {
	ent.Schema
}

// Mixin of the Plan.
func (Plan) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}, EnvironmentMixin{}, CatalogMixin{}, PackageMixin{}}
}

// Fields of the Plan.
func (Plan) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("product_id", uuid.UUID{}),
		field.UUID("base_plan_id", uuid.UUID{}).Optional().Nillable(),
		// is_latest marks the newest version of the refId: the one new
		// subscriptions get and lists show. Exactly one row per refId has it.
		field.Bool("is_latest").Default(true),
		// The default trial: a subscription to the plan starts IN_TRIAL for
		// trial_duration trial_units when the customer is eligible.
		field.Int("trial_duration").Optional().Nillable(),
		field.Enum("trial_units").Values("DAY", "MONTH").Optional().Nillable(),
		field.Enum("trial_end_behavior").Values("CANCEL_SUBSCRIPTION", "CONVERT_TO_PAID").Optional().Nillable(),
	}
}

// Edges of the Plan.
func (Plan) Edges() []ent.Edge {
	cascade := entsql.OnDelete(entsql.Cascade)
	return []ent.Edge{
		edge.From("environment", Environment.Type).Ref("plans").Field("environment_id").Unique().Required().Immutable(),
		edge.From("product", Product.Type).Ref("plans").Field("product_id").Unique().Required(),
		edge.To("children", Plan.Type).From("base_plan").Field("base_plan_id").Unique(),
		edge.To("compatible_addons", Addon.Type),
		edge.To("entitlements", PackageEntitlement.Type).Annotations(cascade),
		edge.To("prices", Price.Type).Annotations(cascade),
		// No cascade: a plan a subscription uses cannot be deleted.
		edge.To("subscriptions", CustomerSubscription.Type),
	}
}

// Indexes of the Plan.
func (Plan) Indexes() []ent.Index {
	return []ent.Index{
		// One row per version of a refId; the latest is found by is_latest
		// within the same index prefix.
		index.Fields("environment_id", "ref_id", "version_number").Unique(),
		index.Fields("environment_id", "created_at", "id"),
		index.Fields("product_id"),
	}
}
