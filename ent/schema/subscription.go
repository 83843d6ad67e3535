package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// CustomerSubscription holds the schema definition for the CustomerSubscription
// entity: a customer's subscription to a plan. Its lifecycle lives in
// internal/subscription; the status stored here is the one last written, and
// reads derive the status at the current time from the dates.
type CustomerSubscription struct {
	ent.Schema
}

// Mixin of the CustomerSubscription.
func (CustomerSubscription) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}, EnvironmentMixin{}}
}

// Fields of the CustomerSubscription.
func (CustomerSubscription) Fields() []ent.Field {
	return []ent.Field{
		// ref_id is the subscription's public id (GraphQL subscriptionId / refId).
		field.String("ref_id").NotEmpty().MaxLen(255),
		field.UUID("customer_id", uuid.UUID{}),
		field.UUID("paying_customer_id", uuid.UUID{}).Optional().Nillable(),
		field.String("resource_id").Optional().Nillable(),
		field.UUID("plan_id", uuid.UUID{}),
		field.UUID("coupon_id", uuid.UUID{}).Optional().Nillable(),
		field.Enum("status").Values("ACTIVE", "CANCELED", "EXPIRED", "IN_TRIAL", "NOT_STARTED", "PAYMENT_PENDING").Default("ACTIVE"),
		field.Enum("pricing_type").Values("CUSTOM", "FREE", "PAID").Default("FREE"),
		field.Enum("payment_collection").Values("ACTION_REQUIRED", "FAILED", "NOT_REQUIRED", "PROCESSING").Default("NOT_REQUIRED"),
		field.String("billing_period").Optional().Nillable(),
		field.Time("start_date"),
		field.Time("end_date").Optional().Nillable(),
		field.Time("trial_end_date").Optional().Nillable(),
		field.Time("cancellation_date").Optional().Nillable(),
		field.Time("effective_end_date").Optional().Nillable(),
		field.String("cancel_reason").Optional().Nillable(),
		field.Time("current_billing_period_start").Optional().Nillable(),
		field.Time("current_billing_period_end").Optional().Nillable(),
		// billing_cycle_anchor is set when the anchor was moved (billingCycleAnchor NOW):
		// billing periods then follow from it instead of the trial end or start.
		field.Time("billing_cycle_anchor").Optional().Nillable(),
		field.String("billing_id").Optional().Nillable(),
		field.String("billing_link_url").Optional().Nillable(),
		field.String("previous_billing_id").Optional().Nillable(),
		field.String("crm_id").Optional().Nillable(),
		field.String("crm_link_url").Optional().Nillable(),
		field.String("salesforce_id").Optional().Nillable(),
		field.JSON("additional_meta_data", map[string]any{}).Optional(),
		field.Bool("was_in_trial").Default(false),
		// trial_end_behavior says what happens when the trial ends: with
		// CANCEL_SUBSCRIPTION the subscription is created end-dated at the
		// trial end, so it expires by the clock like any end-dated one.
		field.Enum("trial_end_behavior").Values("CANCEL_SUBSCRIPTION", "CONVERT_TO_PAID").Optional().Nillable(),
	}
}

// Edges of the CustomerSubscription.
func (CustomerSubscription) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("environment", Environment.Type).Ref("subscriptions").Field("environment_id").Unique().Required().Immutable(),
		edge.From("customer", Customer.Type).Ref("subscriptions").Field("customer_id").Unique().Required(),
		edge.From("paying_customer", Customer.Type).Ref("paid_subscriptions").Field("paying_customer_id").Unique(),
		edge.From("plan", Plan.Type).Ref("subscriptions").Field("plan_id").Unique().Required(),
		edge.From("coupon", Coupon.Type).Ref("subscriptions").Field("coupon_id").Unique(),
		edge.To("addons", SubscriptionAddon.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("prices", SubscriptionPrice.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("schedules", SubscriptionSchedule.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("entitlement_overrides", SubscriptionEntitlementOverride.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("price_overrides", SubscriptionPriceOverride.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the CustomerSubscription.
func (CustomerSubscription) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("environment_id", "ref_id").Unique(),
		index.Fields("customer_id", "status"),
		index.Fields("environment_id", "created_at", "id"),
		index.Fields("plan_id"),
	}
}
