package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/google/uuid"
	"github.com/stigg-selfhost/stiggql/ent/schema/schematype"
)

// Customer holds the schema definition for the Customer entity: Stigg's
// customer object, a tenant or end-user organisation of the team running the
// server. Every scalar of the GraphQL Customer type that is data lives here;
// the computed ones (hasPaymentMethod, totals, ...) are derived on read.
type Customer struct {
	ent.Schema
}

// Mixin of the Customer.
func (Customer) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}, EnvironmentMixin{}}
}

// Fields of the Customer.
func (Customer) Fields() []ent.Field {
	return []ent.Field{
		// customer_id is the customer's slug (GraphQL customerId and refId).
		field.String("customer_id").NotEmpty().MaxLen(255),
		field.String("name").Optional().Nillable(),
		field.String("email").Optional().Nillable(),
		field.String("billing_id").Optional().Nillable(),
		field.String("billing_currency").Optional().Nillable(),
		field.String("billing_link_url").Optional().Nillable(),
		field.JSON("additional_meta_data", map[string]any{}).Optional(),
		// billing_info is the billingInformation last given, for the billing sync.
		field.JSON("billing_info", &schematype.BillingInfo{}).Optional(),
		field.String("crm_id").Optional().Nillable(),
		field.String("crm_hubspot_company_id").Optional().Nillable(),
		field.String("crm_hubspot_company_url").Optional().Nillable(),
		field.String("salesforce_id").Optional().Nillable(),
		field.String("aws_marketplace_customer_id").Optional().Nillable(),
		field.String("default_payment_method_id").Optional().Nillable(),
		field.String("default_payment_method_type").Optional().Nillable(),
		field.String("default_payment_method_last4_digits").Optional().Nillable(),
		field.Int("default_payment_expiration_month").Optional().Nillable(),
		field.Int("default_payment_expiration_year").Optional().Nillable(),
		field.Bool("exclude_from_experiment").Optional().Nillable(),
		// coupon_id is the coupon set on the customer (setCouponOnCustomer).
		field.UUID("coupon_id", uuid.UUID{}).Optional().Nillable(),
		// deleted_at marks an archived customer: hidden from reads unless a
		// filter asks for it, and out of the customer_id uniqueness rule.
		field.Time("deleted_at").Optional().Nillable(),
	}
}

// Edges of the Customer.
func (Customer) Edges() []ent.Edge {
	cascade := entsql.OnDelete(entsql.Cascade)
	return []ent.Edge{
		edge.From("environment", Environment.Type).Ref("customers").Field("environment_id").Unique().Required().Immutable(),
		edge.To("subscriptions", CustomerSubscription.Type).Annotations(cascade),
		edge.To("paid_subscriptions", CustomerSubscription.Type),
		edge.To("promotional_entitlements", PromotionalEntitlement.Type).Annotations(cascade),
		edge.To("sync_states", SyncState.Type).Annotations(cascade),
		edge.To("usage_counters", UsageCounter.Type).Annotations(cascade),
		edge.To("usage_measurements", UsageMeasurement.Type).Annotations(cascade),
		edge.To("usage_events", UsageEvent.Type).Annotations(cascade),
		edge.From("coupon", Coupon.Type).Ref("customers").Field("coupon_id").Unique(),
	}
}

// Indexes of the Customer.
func (Customer) Indexes() []ent.Index {
	return []ent.Index{
		// customerId is unique per environment among live customers only, so
		// an archived customer's slug can be reused. The database enforces it,
		// which keeps it true under races between replicas.
		index.Fields("environment_id", "customer_id").Unique().
			Annotations(entsql.IndexWhere("deleted_at IS NULL")).StorageKey("customer_env_customer_id_live"),
		index.Fields("environment_id", "customer_id").StorageKey("customer_env_customer_id"),
		// The default order, newest first, and the column filters Q2 and Q3
		// of the benchmark need: with deleted_at and email in the index,
		// counting the live customers of an environment and scanning their
		// emails read the index alone, never the table (see
		// docs/performance.md). On PostgreSQL a hand-made index with
		// lower(email) added takes its place (internal/db/migrations/search.go).
		index.Fields("environment_id", "created_at", "id", "deleted_at", "email").StorageKey("customer_env_created_covering"),
		index.Fields("environment_id", "updated_at", "id"),
		index.Fields("environment_id", "email"),
		index.Fields("environment_id", "billing_id"),
	}
}
