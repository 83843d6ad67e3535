package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// PromotionalEntitlement holds the schema definition for the
// PromotionalEntitlement entity: a feature granted to one customer outside
// their plan, for a period or for life.
type PromotionalEntitlement struct {
	ent.Schema
}

// Mixin of the PromotionalEntitlement.
func (PromotionalEntitlement) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}, EnvironmentMixin{}}
}

// Fields of the PromotionalEntitlement.
func (PromotionalEntitlement) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("customer_id", uuid.UUID{}),
		field.String("feature_ref_id").NotEmpty(),
		field.Enum("grant_period").Values("CUSTOM", "LIFETIME", "ONE_MONTH", "ONE_WEEK", "ONE_YEAR", "SIX_MONTH"),
		field.Time("start_date"),
		// end_date is null for LIFETIME grants; status is derived from it.
		field.Time("end_date").Optional().Nillable(),
		field.Float("usage_limit").Optional().Nillable(),
		field.Bool("has_unlimited_usage").Optional().Nillable(),
		field.Bool("has_soft_limit").Optional().Nillable(),
		field.String("reset_period").Optional().Nillable(),
		field.JSON("reset_period_configuration", map[string]any{}).Optional(),
		field.Strings("enum_values").Optional(),
		field.Bool("is_visible").Default(true),
		field.String("description").Optional().Nillable(),
		// feature_group_ids are the promotional entitlement groups the
		// grant was issued with (grantPromotionalEntitlementsGroup):
		// revoking a group revokes its grants, unlinking keeps them.
		field.Strings("feature_group_ids").Optional(),
	}
}

// Edges of the PromotionalEntitlement.
func (PromotionalEntitlement) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("environment", Environment.Type).Ref("promotional_entitlements").Field("environment_id").Unique().Required().Immutable(),
		edge.From("customer", Customer.Type).Ref("promotional_entitlements").Field("customer_id").Unique().Required(),
	}
}

// Indexes of the PromotionalEntitlement.
func (PromotionalEntitlement) Indexes() []ent.Index {
	return []ent.Index{
		// One grant per customer and feature: granting again replaces it.
		index.Fields("customer_id", "feature_ref_id").Unique(),
		index.Fields("environment_id", "created_at", "id"),
	}
}
