package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// SubscriptionSchedule holds the schema definition for the
// SubscriptionSchedule entity: a change to a subscription recorded to take
// effect later (updateOneSubscription with a schedule strategy,
// migrateSubscriptionToLatest at the period end), shown as the
// subscription's scheduledUpdates until it runs. internal/subscription
// (schedule.go) applies due ones and marks them Done.
type SubscriptionSchedule struct {
	ent.Schema
}

// Mixin of the SubscriptionSchedule.
func (SubscriptionSchedule) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}, EnvironmentMixin{}}
}

// Fields of the SubscriptionSchedule.
func (SubscriptionSchedule) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("subscription_id", uuid.UUID{}),
		// schedule_type is Stigg's SubscriptionScheduleType.
		field.Enum("schedule_type").Values("AdditionalMetaData", "Addon", "BillingPeriod", "Coupon", "Downgrade", "MigrateToLatest", "Plan", "UnitAmount"),
		// status is Stigg's SubscriptionScheduleStatus.
		field.Enum("status").Values("Canceled", "Done", "Failed", "PendingPayment", "Scheduled").Default("Scheduled"),
		field.Time("execute_at"),
		field.JSON("change", ScheduledChange{}),
		// error is why a Failed schedule could not be applied.
		field.String("error").Optional().Nillable(),
	}
}

// Edges of the SubscriptionSchedule.
func (SubscriptionSchedule) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("subscription", CustomerSubscription.Type).Ref("schedules").Field("subscription_id").Unique().Required(),
	}
}

// Indexes of the SubscriptionSchedule.
func (SubscriptionSchedule) Indexes() []ent.Index {
	return []ent.Index{
		// The worker's scan: due scheduled changes, oldest first.
		index.Fields("status", "execute_at"),
		index.Fields("subscription_id", "status"),
	}
}

// ScheduledChange is what a scheduled update changes, by its type: one
// add-on's quantity (0 removes it), one feature's unit quantity, the
// billing period, the coupon, the metadata, or the plan (a plan change or a
// migration to the plan's latest version).
type ScheduledChange struct {
	AddonRefID    string         `json:"addonRefId,omitempty"`
	AddonQuantity *float64       `json:"addonQuantity,omitempty"`
	FeatureRefID  string         `json:"featureRefId,omitempty"`
	UnitQuantity  *float64       `json:"unitQuantity,omitempty"`
	BillingPeriod string         `json:"billingPeriod,omitempty"`
	CouponRefID   string         `json:"couponRefId,omitempty"`
	Metadata      map[string]any `json:"metadata,omitempty"`
	PlanRefID     string         `json:"planRefId,omitempty"`
}
