package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
	"github.com/google/uuid"
)

// IDMixin gives an entity a random UUID primary key, the id type every Stigg
// entity exposes through GraphQL.
type IDMixin struct{ mixin.Schema }

// Fields of the IDMixin.
func (IDMixin) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Default(uuid.New).Immutable(),
	}
}

// TimeMixin records when a row was created and last changed. The store sets
// both from its injectable clock; the defaults only cover writes made outside it.
type TimeMixin struct{ mixin.Schema }

// Fields of the TimeMixin.
func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Default(now).Immutable(),
		field.Time("updated_at").Default(now).UpdateDefault(now),
	}
}

// EnvironmentMixin scopes a row to one environment: every read and write of
// the API filters on environment_id, which is why it leads the indexes.
type EnvironmentMixin struct{ mixin.Schema }

// Fields of the EnvironmentMixin.
func (EnvironmentMixin) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("environment_id", uuid.UUID{}).Immutable(),
	}
}

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
