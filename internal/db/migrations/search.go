package migrations

import (
	atlasschema "ariga.io/atlas/sql/schema"
	entschema "entgo.io/ent/dialect/sql/schema"
)

// Some of the schema is written by hand, in the *_customer_search.sql and
// *_catalog_versions.sql migrations, because ent cannot describe it:
//
//   - customer_versions (both databases): a version per environment,
//     bumped by triggers on every write to customers in the writing
//     transaction. A cached totalCount of customers is reused only while its
//     environment's version is unchanged (graph/counts.go), whichever process
//     or replica wrote.
//   - catalog_versions (both databases, *_catalog_versions.sql): the same
//     for the catalog tables and their link tables, so that a catalog
//     snapshot shared across requests (graph/catalog_snapshot.go) is reused
//     only while its environment's catalog is unchanged.
//   - entitlement_versions (both databases, *_entitlement_versions.sql): a
//     version per customer (environment and customerId), bumped by triggers
//     on writes to customers, their subscriptions, subscription add-ons and
//     prices, and promotional grants, so that a customer's entitlements
//     cached across requests (internal/entitlements/cache.go) are reused
//     only while unchanged.
//   - customer_email_grams (SQLite): an FTS4 table (FTS3/4 is compiled into
//     go-sqlite3 by default, so no build tag is needed) holding, per customer
//     with an email, the trigrams of lower(email) in order, kept in step by
//     triggers; a phrase query finds the emails containing a term
//     (graph/search.go).
//   - customer_email_trgm (PostgreSQL): a pg_trgm GIN index on email, which
//     PostgreSQL's ILIKE uses by itself.
//
// Tables ent does not know are left alone by its diff; indexes on its tables
// are not, so the hand-made ones are listed here and KeepHandIndexes stops
// the generator (and the schema test) from dropping them.

// HandIndexes are the indexes on ent's tables created by hand-written
// migrations.
var HandIndexes = map[string]bool{
	"customer_email_trgm": true,
}

// KeepHandIndexes is a diff hook that drops the planned removal of
// HandIndexes.
func KeepHandIndexes(next entschema.Differ) entschema.Differ {
	return entschema.DiffFunc(func(current, desired *atlasschema.Schema) ([]atlasschema.Change, error) {
		changes, err := next.Diff(current, desired)
		if err != nil {
			return nil, err
		}
		out := changes[:0]
		for _, c := range changes {
			if m, ok := c.(*atlasschema.ModifyTable); ok {
				kept := m.Changes[:0]
				for _, tc := range m.Changes {
					if d, ok := tc.(*atlasschema.DropIndex); ok && HandIndexes[d.I.Name] {
						continue
					}
					kept = append(kept, tc)
				}
				if m.Changes = kept; len(kept) == 0 {
					continue
				}
			}
			out = append(out, c)
		}
		return out, nil
	})
}
