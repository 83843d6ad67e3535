package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// APIKey holds the schema definition for the APIKey entity. Only a SHA-256
// hash of the secret is stored: a leaked database does not leak usable keys,
// and lookups by hash stay a single indexed read.
type APIKey struct {
	ent.Schema
}

// Mixin of the APIKey.
func (APIKey) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{}, TimeMixin{}, EnvironmentMixin{}}
}

// Fields of the APIKey.
func (APIKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("display_name").NotEmpty(),
		field.Enum("key_type").Values("SERVER", "CLIENT").Default("SERVER"),
		field.String("secret_hash").Sensitive().Unique().NotEmpty(),
		// Prefix is the first characters of the key, shown by `keys list` so an
		// operator can tell keys apart without the secret.
		field.String("prefix").NotEmpty(),
		field.Time("expire_at").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
	}
}

// Edges of the APIKey.
func (APIKey) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("environment", Environment.Type).Ref("api_keys").Field("environment_id").Unique().Required().Immutable(),
	}
}

// Indexes of the APIKey.
func (APIKey) Indexes() []ent.Index {
	return []ent.Index{index.Fields("environment_id")}
}
