package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// OutboxEvent holds the schema definition for the OutboxEvent entity: one
// change that must reach an external billing vendor (Stripe). It is written
// in the same transaction as the change itself (the transactional outbox),
// so a committed change is never lost and a rolled-back one never synced,
// and internal/billing delivers it later, with retries.
//
// A row names the entity, not a payload: delivery reads the entity's latest
// state, so several pending rows of one entity are delivered as one request.
// There are deliberately no foreign keys: the outbox must never stand in the
// way of deleting what it refers to; a row whose entity is gone is dropped.
type OutboxEvent struct {
	ent.Schema
}

// Mixin of the OutboxEvent.
func (OutboxEvent) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}, EnvironmentMixin{}}
}

// Fields of the OutboxEvent.
func (OutboxEvent) Fields() []ent.Field {
	return []ent.Field{
		// kind is what to sync; each kind has one delivery function.
		field.Enum("kind").Values("CUSTOMER", "SUBSCRIPTION").Immutable(),
		// entity_id is the customer's or subscription's id.
		field.UUID("entity_id", uuid.UUID{}).Immutable(),
		// customer_id is the customer the entity belongs to (the entity
		// itself for customers), as the sync state records it.
		field.UUID("customer_id", uuid.UUID{}).Immutable(),
		field.String("vendor_identifier").Default("STRIPE").Immutable(),
		// idempotency_key is derived from the row id, so every attempt at
		// this row, in this process or after a restart, sends the vendor the
		// same key and a request that reached it before a crash is not
		// applied twice.
		field.String("idempotency_key").NotEmpty().Unique().Immutable(),
		field.Int("attempts").Default(0).NonNegative(),
		// next_attempt_at is when the row is due: the enqueue time, then
		// later after each failure (exponential backoff with jitter).
		field.Time("next_attempt_at"),
		// claimed_until is the lease of the worker delivering the row: other
		// workers leave the row (and its entity) alone until then, and a
		// crashed worker's claim simply runs out.
		field.Time("claimed_until").Optional().Nillable(),
		// claim_token identifies the claim, so a worker whose lease ran out
		// cannot record a result over a newer claim.
		field.UUID("claim_token", uuid.UUID{}).Optional().Nillable(),
		field.String("last_error").Optional().Nillable(),
		field.Time("delivered_at").Optional().Nillable(),
	}
}

// Indexes of the OutboxEvent.
func (OutboxEvent) Indexes() []ent.Index {
	return []ent.Index{
		// The worker's scan: undelivered rows by due time. Partial, so it
		// stays as small as the backlog however long delivered rows are kept.
		index.Fields("next_attempt_at").
			Annotations(entsql.IndexWhere("delivered_at IS NULL")).StorageKey("outboxevent_pending_due"),
		// Coalescing and "is this entity busy": the rows of one entity.
		index.Fields("entity_id", "vendor_identifier"),
		// Pruning delivered rows.
		index.Fields("delivered_at"),
	}
}
