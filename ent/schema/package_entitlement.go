package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// PackageEntitlement holds the schema definition for the PackageEntitlement
// entity: what a plan or an add-on (exactly one of plan_id and addon_id is
// set) grants of one feature: access, a usage limit or unlimited usage, enum
// values.
type PackageEntitlement struct {
	ent.Schema
}

// Mixin of the PackageEntitlement.
func (PackageEntitlement) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}, EnvironmentMixin{}}
}

// Fields of the PackageEntitlement.
func (PackageEntitlement) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("plan_id", uuid.UUID{}).Optional().Nillable(),
		field.UUID("addon_id", uuid.UUID{}).Optional().Nillable(),
		field.UUID("feature_id", uuid.UUID{}),
		field.Float("usage_limit").Optional().Nillable(),
		field.Bool("has_unlimited_usage").Default(false),
		field.Bool("has_soft_limit").Default(false),
		field.Enum("reset_period").Values("DAY", "HOUR", "MONTH", "WEEK", "YEAR").Optional().Nillable(),
		field.Strings("enum_values").Optional(),
		field.String("display_name_override").Optional().Nillable(),
		field.String("description").Optional().Nillable(),
		field.Strings("hidden_from_widgets").Optional(),
		field.Bool("is_custom").Default(false),
		field.Enum("behavior").Values("Increment", "Override").Default("Increment"),
		// position keeps the order the catalog file lists entitlements in.
		field.Int("position").Default(0),
	}
}

// Edges of the PackageEntitlement.
func (PackageEntitlement) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("environment", Environment.Type).Ref("package_entitlements").Field("environment_id").Unique().Required().Immutable(),
		edge.From("plan", Plan.Type).Ref("entitlements").Field("plan_id").Unique(),
		edge.From("addon", Addon.Type).Ref("entitlements").Field("addon_id").Unique(),
		edge.From("feature", Feature.Type).Ref("entitlements").Field("feature_id").Unique().Required(),
	}
}

// Indexes of the PackageEntitlement.
func (PackageEntitlement) Indexes() []ent.Index {
	return []ent.Index{
		// One entitlement per feature and package: a reload updates it.
		index.Fields("plan_id", "feature_id").Unique(),
		index.Fields("addon_id", "feature_id").Unique(),
		index.Fields("feature_id"),
	}
}
