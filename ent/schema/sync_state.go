package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// SyncState holds the schema definition for the SyncState entity: whether an
// entity (a customer or a subscription) reached an external billing vendor,
// as last reported by the billing sync worker.
type SyncState struct {
	ent.Schema
}

// Mixin of the SyncState.
func (SyncState) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}, EnvironmentMixin{}}
}

// Fields of the SyncState.
func (SyncState) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("entity_type").Values("CUSTOMER", "SUBSCRIPTION"),
		// entity_id is the customer's or subscription's id.
		field.UUID("entity_id", uuid.UUID{}),
		field.UUID("customer_id", uuid.UUID{}),
		field.String("vendor_identifier"),
		field.Enum("status").Values("ERROR", "NO_SYNC_REQUIRED", "PENDING", "SUCCESS").Default("PENDING"),
		field.String("error").Optional().Nillable(),
		field.String("synced_entity_id").Optional().Nillable(),
	}
}

// Edges of the SyncState.
func (SyncState) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("environment", Environment.Type).Ref("sync_states").Field("environment_id").Unique().Required().Immutable(),
		edge.From("customer", Customer.Type).Ref("sync_states").Field("customer_id").Unique().Required(),
	}
}

// Indexes of the SyncState.
func (SyncState) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("entity_id", "vendor_identifier").Unique(),
		index.Fields("customer_id"),
	}
}
