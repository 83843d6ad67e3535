package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// SubscriptionAddon holds the schema definition for the SubscriptionAddon
// entity: an add-on on a subscription, with its quantity.
type SubscriptionAddon struct {
	ent.Schema
}

// Mixin of the SubscriptionAddon.
func (SubscriptionAddon) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}, EnvironmentMixin{}}
}

// Fields of the SubscriptionAddon.
func (SubscriptionAddon) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("subscription_id", uuid.UUID{}),
		field.UUID("addon_id", uuid.UUID{}),
		field.Float("quantity").Default(1),
	}
}

// Edges of the SubscriptionAddon.
func (SubscriptionAddon) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("subscription", CustomerSubscription.Type).Ref("addons").Field("subscription_id").Unique().Required(),
		edge.From("addon", Addon.Type).Ref("subscription_addons").Field("addon_id").Unique().Required(),
	}
}

// Indexes of the SubscriptionAddon.
func (SubscriptionAddon) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("subscription_id", "addon_id").Unique(),
		index.Fields("addon_id"),
	}
}

// SubscriptionPrice holds the schema definition for the SubscriptionPrice
// entity: a price of the plan that a subscription is billed, chosen for its
// billing period when it was created or updated. usage_limit is the
// purchased quantity of a per-unit price (seats).
type SubscriptionPrice struct {
	ent.Schema
}

// Mixin of the SubscriptionPrice.
func (SubscriptionPrice) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}, EnvironmentMixin{}}
}

// Fields of the SubscriptionPrice.
func (SubscriptionPrice) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("subscription_id", uuid.UUID{}),
		field.UUID("price_id", uuid.UUID{}),
		field.Float("usage_limit").Optional().Nillable(),
	}
}

// Edges of the SubscriptionPrice.
func (SubscriptionPrice) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("subscription", CustomerSubscription.Type).Ref("prices").Field("subscription_id").Unique().Required(),
		edge.From("price", Price.Type).Ref("subscription_prices").Field("price_id").Unique().Required(),
	}
}

// Indexes of the SubscriptionPrice.
func (SubscriptionPrice) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("subscription_id", "price_id").Unique(),
		index.Fields("price_id"),
	}
}
