package customers_test

import (
	"context"
	"testing"

	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/internal/customers"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// TestReadEveryColumn: a read names the columns it takes, and
// ReadEveryColumn makes it take all of them (what the GraphQL layer's test
// of pruned reads compares with), with and without reused SQL text.
func TestReadEveryColumn(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		ctx := context.Background()
		env, err := st.Client.Environment.Create().SetSlug("e").SetDisplayName("E").Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Client.Customer.Create().SetEnvironmentID(env.ID).SetCustomerID("c").SetName("Named").Save(ctx); err != nil {
			t.Fatal(err)
		}
		cols := []string{customer.FieldID, customer.FieldCustomerID}
		for _, cached := range []bool{false, true} {
			reads := customers.NewReads(st.Client)
			if cached {
				reads.EnableCaches(nil)
			}
			for range 2 { // the second read reuses the text when cached
				pruned, err := reads.Customer(ctx, env.ID, "c", cols)
				if err != nil {
					t.Fatal(err)
				}
				full, err := reads.Customer(customers.ReadEveryColumn(ctx), env.ID, "c", cols)
				if err != nil {
					t.Fatal(err)
				}
				if pruned.CustomerID != "c" || pruned.Name != nil {
					t.Fatalf("cached %v: pruned read took %q, name %v", cached, pruned.CustomerID, pruned.Name)
				}
				if full.Name == nil || *full.Name != "Named" {
					t.Fatalf("cached %v: full read has no name", cached)
				}
			}
		}
	})
}
