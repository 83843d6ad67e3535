package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Feature holds the schema definition for the Feature entity: something a
// customer may be entitled to, either on/off (BOOLEAN), a quantity (NUMBER,
// metered or not) or one of a set of values (ENUM).
type Feature struct {
	ent.Schema
}

// Mixin of the Feature.
func (Feature) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}, EnvironmentMixin{}, CatalogMixin{}}
}

// Fields of the Feature.
func (Feature) Fields() []ent.Field {
	return []ent.Field{
		field.String("display_name").NotEmpty().MaxLen(255),
		field.String("description").Optional().Nillable(),
		field.JSON("additional_meta_data", map[string]any{}).Optional(),
		field.Enum("feature_type").Values("BOOLEAN", "ENUM", "NUMBER"),
		field.Enum("meter_type").Values("Fluctuating", "Incremental", "None").Default("None"),
		field.Enum("feature_status").Values("ACTIVE", "NEW", "SUSPENDED").Default("ACTIVE"),
		field.String("feature_units").Optional().Nillable(),
		field.String("feature_units_plural").Optional().Nillable(),
		field.JSON("enum_configuration", []EnumValue{}).Optional(),
		// meter makes a metered feature count raw events (reportEvent)
		// instead of reported usage; nil for reported usage.
		field.JSON("meter", &Meter{}).Optional(),
	}
}

// Edges of the Feature.
func (Feature) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("environment", Environment.Type).Ref("features").Field("environment_id").Unique().Required().Immutable(),
		edge.To("entitlements", PackageEntitlement.Type),
		edge.To("prices", Price.Type),
		// A feature that leaves the catalog takes its usage with it.
		edge.To("usage_counters", UsageCounter.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("usage_measurements", UsageMeasurement.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the Feature.
func (Feature) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("environment_id", "ref_id").Unique(),
		index.Fields("environment_id", "created_at", "id"),
	}
}
