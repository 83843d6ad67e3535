package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// UsageCounter holds the schema definition for the UsageCounter entity: the
// running usage of one metered feature by one customer (and resource) in
// one usage period. reportUsage changes it with one atomic upsert
// (value = value + delta), so concurrent reports never lose an increment.
// period_start is the start of the reset period the usage falls in, or the
// Unix epoch for a feature whose usage never resets.
type UsageCounter struct {
	ent.Schema
}

// Mixin of the UsageCounter.
func (UsageCounter) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}, EnvironmentMixin{}}
}

// Fields of the UsageCounter.
func (UsageCounter) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("customer_id", uuid.UUID{}),
		field.UUID("feature_id", uuid.UUID{}),
		// resource_id is "" for usage not scoped to a resource, so that the
		// unique index treats it as a value (NULLs would never conflict).
		field.String("resource_id").Default("").MaxLen(255),
		field.Time("period_start"),
		field.Float("value").Default(0),
	}
}

// Edges of the UsageCounter.
func (UsageCounter) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).Ref("usage_counters").Field("customer_id").Unique().Required(),
		edge.From("feature", Feature.Type).Ref("usage_counters").Field("feature_id").Unique().Required(),
	}
}

// Indexes of the UsageCounter.
func (UsageCounter) Indexes() []ent.Index {
	return []ent.Index{
		// The upsert's conflict target: one counter per period.
		index.Fields("customer_id", "feature_id", "resource_id", "period_start").Unique(),
		index.Fields("feature_id"),
	}
}

// UsageMeasurement holds the schema definition for the UsageMeasurement
// entity: one accepted usage report (reportUsage), kept for the usage
// history: what was reported, how (DELTA or SET), when, with which
// dimensions, and the change it made to its counter.
type UsageMeasurement struct {
	ent.Schema
}

// Mixin of the UsageMeasurement.
func (UsageMeasurement) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}, EnvironmentMixin{}}
}

// Fields of the UsageMeasurement.
func (UsageMeasurement) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("customer_id", uuid.UUID{}),
		field.UUID("feature_id", uuid.UUID{}),
		field.String("resource_id").Default("").MaxLen(255),
		// value is the reported value; delta what it changed the counter by
		// (the value itself for DELTA, new minus old for SET).
		field.Float("value"),
		field.Enum("update_behavior").Values("DELTA", "SET").Default("DELTA"),
		field.Float("delta"),
		// current_usage is the counter's value right after this report.
		field.Float("current_usage"),
		field.Time("period_start"),
		// timestamp is when the usage happened: the report's createdAt, or
		// when it was received.
		field.Time("timestamp"),
		field.JSON("dimensions", map[string]any{}).Optional(),
	}
}

// Edges of the UsageMeasurement.
func (UsageMeasurement) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).Ref("usage_measurements").Field("customer_id").Unique().Required(),
		edge.From("feature", Feature.Type).Ref("usage_measurements").Field("feature_id").Unique().Required(),
	}
}

// Indexes of the UsageMeasurement.
func (UsageMeasurement) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("customer_id", "feature_id", "resource_id", "timestamp"),
		index.Fields("feature_id"),
	}
}

// UsageEvent holds the schema definition for the UsageEvent entity: a raw
// event sent with reportEvent. Features whose meter (catalog file) matches
// the event aggregate it into their usage. The idempotency key is unique
// per environment: an event sent twice is stored and counted once.
type UsageEvent struct {
	ent.Schema
}

// Mixin of the UsageEvent.
func (UsageEvent) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}, EnvironmentMixin{}}
}

// Fields of the UsageEvent.
func (UsageEvent) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("customer_id", uuid.UUID{}),
		field.String("resource_id").Default("").MaxLen(255),
		field.String("event_name").NotEmpty().MaxLen(255),
		field.String("idempotency_key").NotEmpty().MaxLen(255),
		field.Time("timestamp"),
		field.JSON("dimensions", map[string]any{}).Optional(),
	}
}

// Edges of the UsageEvent.
func (UsageEvent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).Ref("usage_events").Field("customer_id").Unique().Required(),
	}
}

// Indexes of the UsageEvent.
func (UsageEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("environment_id", "idempotency_key").Unique(),
		index.Fields("customer_id", "resource_id", "timestamp"),
	}
}

// EntitlementCheck holds the schema definition for the EntitlementCheck
// entity: one reportEntitlementCheckRequested call, as the SDK reports the
// checks it answered from its cache, kept so they can be counted.
type EntitlementCheck struct {
	ent.Schema
}

// Mixin of the EntitlementCheck.
func (EntitlementCheck) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}, EnvironmentMixin{}}
}

// Fields of the EntitlementCheck.
func (EntitlementCheck) Fields() []ent.Field {
	return []ent.Field{
		// The refs as the SDK sent them: a check may name a customer or a
		// feature that does not exist, which is what it reports.
		field.String("customer_ref_id").MaxLen(255),
		field.String("feature_ref_id").MaxLen(255),
		field.String("resource_id").Default("").MaxLen(255),
		field.Bool("has_access"),
		field.String("access_denied_reason").Optional().Nillable(),
		field.Float("requested_usage").Optional().Nillable(),
		field.Strings("requested_values").Optional(),
	}
}

// Indexes of the EntitlementCheck.
func (EntitlementCheck) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("environment_id", "customer_ref_id", "feature_ref_id", "created_at"),
	}
}
