package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// Environment holds the schema definition for the Environment entity: an
// isolated space (production, staging, ...) that owns customers and their
// data. An API key belongs to exactly one environment.
type Environment struct {
	ent.Schema
}

// Mixin of the Environment.
func (Environment) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}}
}

// Fields of the Environment.
func (Environment) Fields() []ent.Field {
	return []ent.Field{
		field.String("slug").NotEmpty().MaxLen(255).Unique(),
		field.String("display_name").NotEmpty().MaxLen(255),
		field.String("description").Optional().Nillable(),
		field.Bool("is_sandbox").Default(false),
		// SigningSecret signs customer tokens (X-CUSTOMER-KEY) for client
		// keys: HMAC-SHA256 over the customer id. Made on first use
		// (auth.SigningSecret); never exposed through GraphQL.
		field.String("signing_secret").Optional().Nillable().Sensitive(),
		// HardenedClientAccess requires a valid customer token on every
		// customer-scoped request made with a client key (Stigg's
		// "client-side security: enforced").
		field.Bool("hardened_client_access").Default(false),
	}
}

// Edges of the Environment.
func (Environment) Edges() []ent.Edge {
	cascade := entsql.OnDelete(entsql.Cascade)
	return []ent.Edge{
		edge.To("api_keys", APIKey.Type).Annotations(cascade),
		edge.To("customers", Customer.Type).Annotations(cascade),
		edge.To("subscriptions", CustomerSubscription.Type).Annotations(cascade),
		edge.To("promotional_entitlements", PromotionalEntitlement.Type).Annotations(cascade),
		edge.To("sync_states", SyncState.Type).Annotations(cascade),
		edge.To("products", Product.Type).Annotations(cascade),
		edge.To("features", Feature.Type).Annotations(cascade),
		edge.To("plans", Plan.Type).Annotations(cascade),
		edge.To("addons", Addon.Type).Annotations(cascade),
		edge.To("prices", Price.Type).Annotations(cascade),
		edge.To("package_entitlements", PackageEntitlement.Type).Annotations(cascade),
		edge.To("coupons", Coupon.Type).Annotations(cascade),
	}
}
