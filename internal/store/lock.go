package store

import (
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
)

// LockRows is the query modifier every read-modify-write puts on the read
// of the row it is about to change: on PostgreSQL it makes the read
// SELECT ... FOR UPDATE, so a concurrent transaction that wants the same row
// waits until this one commits and then sees its result (under READ
// COMMITTED, PostgreSQL re-checks the WHERE clause on the new row version,
// so an archived customer no longer matches a "live customer" read). On
// SQLite it adds nothing: SQLite has no row locks and needs none, because
// every transaction takes the database's write lock at BEGIN
// (_txlock=immediate, see internal/db), which serialises read-modify-writes
// whole.
func LockRows(s *sql.Selector) {
	if s.Dialect() == dialect.Postgres {
		s.ForUpdate()
	}
}

// modifiable is an ent query with the sql/modifier feature's Modify.
type modifiable[S any] interface {
	Modify(...func(*sql.Selector)) S
}

// ForUpdate returns q with LockRows added (Modify changes q in place and
// returns a select builder; this keeps the query for Only, All, First).
func ForUpdate[Q modifiable[S], S any](q Q) Q {
	q.Modify(LockRows)
	return q
}
