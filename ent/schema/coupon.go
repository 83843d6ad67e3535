package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Coupon holds the schema definition for the Coupon entity: a discount, a
// percentage (percent_off) or fixed amounts per currency (amounts_off), for
// a number of months or forever, set on customers.
type Coupon struct {
	ent.Schema
}

// Mixin of the Coupon.
func (Coupon) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}, EnvironmentMixin{}, CatalogMixin{}}
}

// Fields of the Coupon.
func (Coupon) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(255),
		field.String("description").Optional().Nillable(),
		field.JSON("additional_meta_data", map[string]any{}).Optional(),
		field.Enum("type").Values("FIXED", "PERCENTAGE"),
		// discount_value is the percentage, or the first fixed amount.
		field.Float("discount_value"),
		field.Float("percent_off").Optional().Nillable(),
		field.JSON("amounts_off", []Money{}).Optional(),
		// duration_in_months is nil for a coupon that applies forever.
		field.Int("duration_in_months").Optional().Nillable(),
		field.Enum("status").Values("ACTIVE", "ARCHIVED").Default("ACTIVE"),
		field.Enum("source").Values("STIGG", "STIGG_ADHOC", "STRIPE").Default("STIGG"),
		field.String("billing_id").Optional().Nillable(),
		field.String("billing_link_url").Optional().Nillable(),
	}
}

// Edges of the Coupon.
func (Coupon) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("environment", Environment.Type).Ref("coupons").Field("environment_id").Unique().Required().Immutable(),
		edge.To("customers", Customer.Type),
		edge.To("subscriptions", CustomerSubscription.Type),
	}
}

// Indexes of the Coupon.
func (Coupon) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("environment_id", "ref_id").Unique(),
		index.Fields("environment_id", "created_at", "id"),
	}
}
