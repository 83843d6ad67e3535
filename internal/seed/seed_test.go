package seed_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/seed"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// digest summarises what a seed wrote, in a form that does not depend on
// the backend's rendering of times and uuids.
func digest(t *testing.T, st *db.Store) string {
	t.Helper()
	ctx := context.Background()
	cs, err := st.Client.Customer.Query().Order(customer.ByCustomerID()).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "%s %s %v %v %s\n", c.ID, c.CustomerID, deref(c.Email), c.DeletedAt != nil, c.CreatedAt.UTC().Format("2006-01-02T15:04:05.000000"))
	}
	for _, q := range []string{
		"SELECT count(*) FROM customer_subscriptions",
		"SELECT count(*) FROM promotional_entitlements",
		"SELECT count(*) FROM sync_states",
	} {
		var n int
		if err := st.DB.QueryRowContext(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s: %d\n", q, n)
	}
	return b.String()
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func indexNames(t *testing.T, st *db.Store) []string {
	t.Helper()
	q := "SELECT name FROM sqlite_master WHERE type = 'index'"
	if st.Dialect == dialect.Postgres {
		q = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
	}
	rows, err := st.DB.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// TestSeed checks that a seed is deterministic, writes what it reports,
// puts most customers in the default environment and leaves every index
// in place.
func TestSeed(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		ctx := context.Background()
		before := indexNames(t, st)
		refs := filepath.Join(t.TempDir(), "refs.txt")
		res, err := seed.Run(ctx, st.Client, st.DB, st.Dialect, seed.Options{Customers: 1500, Seed: 7, RefsFile: refs})
		if err != nil {
			t.Fatal(err)
		}
		if res.Customers != 1500 || res.Subscriptions < 1500 || res.PromotionalEntitlements < 1000 || res.SyncStates < 1000 {
			t.Fatalf("unexpected counts %+v", res)
		}
		if after := indexNames(t, st); !slices.Equal(before, after) {
			t.Fatalf("indexes changed:\nbefore %v\nafter  %v", before, after)
		}
		inDefault, err := st.Client.Customer.Query().Where(customer.EnvironmentID(res.EnvironmentID), customer.DeletedAtIsNil()).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(refs)
		if err != nil {
			t.Fatal(err)
		}
		if lines := strings.Count(string(b), "\n"); lines != inDefault || inDefault < 1100 || inDefault > 1300 {
			t.Fatalf("refs file has %d lines, default environment %d live customers (want about 80%%)", lines, inDefault)
		}
		if _, err := seed.Run(ctx, st.Client, st.DB, st.Dialect, seed.Options{Customers: 10, Seed: 7}); err == nil {
			t.Fatal("a second seed into a filled database succeeded")
		}

		// The same seed on a fresh database of the same backend writes the same rows.
		other := testdb.Open(t, backendOf(st))
		if _, err := seed.Run(ctx, other.Client, other.DB, other.Dialect, seed.Options{Customers: 1500, Seed: 7}); err != nil {
			t.Fatal(err)
		}
		if a, b := digest(t, st), digest(t, other); a != b {
			t.Fatal("the same seed gave different data")
		}
	})
}

func backendOf(st *db.Store) string {
	if st.Dialect == dialect.SQLite {
		return testdb.SQLite
	}
	return testdb.Postgres
}
