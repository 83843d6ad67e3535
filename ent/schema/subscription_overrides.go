package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// SubscriptionEntitlementOverride holds the schema definition for the
// SubscriptionEntitlementOverride entity: one subscription's own
// entitlement of a feature (Stigg's subscriptionEntitlements, the 4.x SDK's
// entitlements input), which replaces what the plan and add-ons grant of
// that feature for that subscription only.
type SubscriptionEntitlementOverride struct {
	ent.Schema
}

// Mixin of the SubscriptionEntitlementOverride.
func (SubscriptionEntitlementOverride) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}, EnvironmentMixin{}}
}

// Fields of the SubscriptionEntitlementOverride.
func (SubscriptionEntitlementOverride) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("subscription_id", uuid.UUID{}),
		field.UUID("feature_id", uuid.UUID{}),
		field.Float("usage_limit").Optional().Nillable(),
		field.Bool("has_unlimited_usage").Default(false),
		field.Bool("has_soft_limit").Default(false),
		field.Enum("reset_period").Values("DAY", "HOUR", "MONTH", "WEEK", "YEAR").Optional().Nillable(),
		field.Strings("enum_values").Optional(),
		field.String("description").Optional().Nillable(),
	}
}

// Edges of the SubscriptionEntitlementOverride.
func (SubscriptionEntitlementOverride) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("subscription", CustomerSubscription.Type).Ref("entitlement_overrides").Field("subscription_id").Unique().Required(),
		edge.To("feature", Feature.Type).Field("feature_id").Unique().Required(),
	}
}

// Indexes of the SubscriptionEntitlementOverride.
func (SubscriptionEntitlementOverride) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("subscription_id", "feature_id").Unique(),
	}
}

// SubscriptionPriceOverride holds the schema definition for the
// SubscriptionPriceOverride entity: what one subscription pays instead of a
// catalog price (Stigg's priceOverrides): an amount, tiers or block size
// that replace the price's own for that subscription only. price_id is the
// catalog price it replaces (the plan's base charge, a feature's price, or
// an add-on's price).
type SubscriptionPriceOverride struct {
	ent.Schema
}

// Mixin of the SubscriptionPriceOverride.
func (SubscriptionPriceOverride) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}, EnvironmentMixin{}}
}

// Fields of the SubscriptionPriceOverride.
func (SubscriptionPriceOverride) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("subscription_id", uuid.UUID{}),
		field.UUID("price_id", uuid.UUID{}),
		field.Float("amount").Optional().Nillable(),
		field.JSON("tiers", []PriceTier{}).Optional(),
		field.Float("block_size").Optional().Nillable(),
	}
}

// Edges of the SubscriptionPriceOverride.
func (SubscriptionPriceOverride) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("subscription", CustomerSubscription.Type).Ref("price_overrides").Field("subscription_id").Unique().Required(),
		edge.To("price", Price.Type).Field("price_id").Unique().Required(),
	}
}

// Indexes of the SubscriptionPriceOverride.
func (SubscriptionPriceOverride) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("subscription_id", "price_id").Unique(),
	}
}
