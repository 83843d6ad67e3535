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
//   - customer_email_trgm (PostgreSQL): a pg_trgm GIN index on
//     lower(email) (on email before *_customer_email_lower.sql), which
//     serves the email filter's iLike, run on PostgreSQL as
//     lower(email) LIKE lower(pattern) (what ILIKE computes in a UTF-8
//     database; nestquery.Spec.LowerILike).
//   - customer_env_created_email_lower (PostgreSQL,
//     *_customer_email_lower.sql): ent's customer_env_created_covering with
//     lower(email) added as a last key column, in its place. The page of an
//     email search matching many customers walks it newest first and checks
//     lower(email) LIKE lower(pattern) on the stored value instead of
//     lowering each email (internal/customers/search.go). SQLite keeps ent's
//     index.
//
// Tables ent does not know are left alone by its diff; indexes on its tables
// are not, so the hand-made ones are listed here and KeepHandIndexes stops
// the generator (and the schema test) from dropping them, and from creating
// again an index of ent's that a hand-made one replaces.

// HandIndexes are the indexes on ent's tables created by hand-written
// migrations.
var HandIndexes = map[string]bool{
	"customer_email_trgm":              true,
	"customer_env_created_email_lower": true,
}

// ReplacedIndexes maps an index of ent's schema to the hand-made index that
// replaces it where the hand-made one exists (on PostgreSQL).
var ReplacedIndexes = map[string]string{
	"customer_env_created_covering": "customer_env_created_email_lower",
}

// KeepHandIndexes is a diff hook that drops the planned removal of
// HandIndexes, and the planned creation of an index of ReplacedIndexes on a
// table that holds its replacement.
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
					if a, ok := tc.(*atlasschema.AddIndex); ok && replaced(current, m.T.Name, a.I.Name) {
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

// replaced reports whether the table of current holds the hand-made
// replacement of its index name.
func replaced(current *atlasschema.Schema, table, name string) bool {
	by, ok := ReplacedIndexes[name]
	if !ok || current == nil {
		return false
	}
	t, ok := current.Table(table)
	if !ok {
		return false
	}
	_, has := t.Index(by)
	return has
}
