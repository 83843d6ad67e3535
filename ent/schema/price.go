package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// Price holds the schema definition for the Price entity: one price point
// of a plan or an add-on (exactly one of plan_id and addon_id is set) for a
// billing period: a flat fee, a per-unit price for a feature (seats), or a
// usage-based price, optionally tiered.
type Price struct {
	ent.Schema
}

// Mixin of the Price.
func (Price) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}, EnvironmentMixin{}}
}

// Fields of the Price.
func (Price) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("plan_id", uuid.UUID{}).Optional().Nillable(),
		field.UUID("addon_id", uuid.UUID{}).Optional().Nillable(),
		field.UUID("feature_id", uuid.UUID{}).Optional().Nillable(),
		// key identifies the price within its package across catalog
		// reloads (billing period, model, feature, currency, country), so a
		// reload updates it in place and subscriptions keep pointing at it.
		field.String("key").NotEmpty(),
		field.Enum("billing_model").Values("CREDIT_BASED", "FLAT_FEE", "MINIMUM_SPEND", "PER_UNIT", "USAGE_BASED"),
		field.Enum("billing_period").Values("ANNUALLY", "MONTHLY"),
		field.Enum("billing_cadence").Values("ONE_OFF", "RECURRING").Default("RECURRING"),
		// amount is the (unit) price; nil for a tiered price.
		field.Float("amount").Optional().Nillable(),
		field.String("currency").Default("USD"),
		field.JSON("tiers", []PriceTier{}).Optional(),
		field.Enum("tiers_mode").Values("GRADUATED", "VOLUME").Optional().Nillable(),
		field.Float("min_unit_quantity").Optional().Nillable(),
		field.Float("max_unit_quantity").Optional().Nillable(),
		field.Float("block_size").Optional().Nillable(),
		field.String("billing_country_code").Optional().Nillable(),
		field.String("billing_id").Optional().Nillable(),
		// position keeps the order the catalog file lists prices in.
		field.Int("position").Default(0),
		// archived prices left the catalog file but are still used by a
		// subscription; they no longer show on their package.
		field.Bool("archived").Default(false),
	}
}

// Edges of the Price.
func (Price) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("environment", Environment.Type).Ref("prices").Field("environment_id").Unique().Required().Immutable(),
		edge.From("plan", Plan.Type).Ref("prices").Field("plan_id").Unique(),
		edge.From("addon", Addon.Type).Ref("prices").Field("addon_id").Unique(),
		edge.From("feature", Feature.Type).Ref("prices").Field("feature_id").Unique(),
		edge.To("subscription_prices", SubscriptionPrice.Type),
	}
}

// Indexes of the Price.
func (Price) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("plan_id", "key").Unique(),
		index.Fields("addon_id", "key").Unique(),
		index.Fields("feature_id"),
	}
}
