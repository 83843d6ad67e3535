package customers_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/customers"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

func strp(s string) *string { return &s }

// TestImportBatchOutcomes checks that ImportBatch says, per input, whether
// it created, updated or (stored customer newer than updatedAt) skipped it,
// and that hooks see exactly the writes.
func TestImportBatchOutcomes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		ctx := context.Background()
		env, err := st.Client.Environment.Create().SetSlug("e").SetDisplayName("E").Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		clk := clock.NewManual(time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC))
		var ops []customers.Op
		svc := customers.New(st.Client, clk, func(ctx context.Context, tx *ent.Tx, op customers.Op, c *ent.Customer) error {
			ops = append(ops, op)
			return nil
		})
		for _, id := range []string{"old", "newer", "archived"} {
			if _, err := svc.Create(ctx, env.ID, customers.CreateInput{CustomerID: id, Fields: customers.Fields{Name: strp("before")}}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := svc.Archive(ctx, env.ID, "archived"); err != nil {
			t.Fatal(err)
		}
		ops = nil
		clk.Advance(time.Hour)
		past := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		in := []customers.ImportInput{
			{CustomerID: "fresh", Fields: customers.Fields{Name: strp("after")}},
			{CustomerID: "old", Fields: customers.Fields{Name: strp("after")}},
			{CustomerID: "newer", Fields: customers.Fields{Name: strp("after")}, UpdatedAt: &past},
			{CustomerID: "archived", Fields: customers.Fields{Name: strp("after")}},
		}
		got, err := svc.ImportBatch(ctx, env.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		want := []customers.Outcome{customers.OutcomeCreated, customers.OutcomeUpdated, customers.OutcomeSkipped, customers.OutcomeCreated}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("outcomes = %v, want %v", got, want)
		}
		if len(ops) != 3 {
			t.Fatalf("hooks saw %v, want one update and two creates", ops)
		}
		for id, name := range map[string]string{"fresh": "after", "old": "after", "newer": "before", "archived": "after"} {
			c, err := svc.Get(ctx, env.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			if c.Name == nil || *c.Name != name {
				t.Errorf("%s: name = %v, want %q", id, c.Name, name)
			}
		}

		// An invalid input fails the whole batch before anything is written.
		bad := []customers.ImportInput{{CustomerID: "x1"}, {CustomerID: "x2", Fields: customers.Fields{Email: strp("not an email")}}}
		if _, err := svc.ImportBatch(ctx, env.ID, bad); err == nil {
			t.Fatal("batch with an invalid email imported")
		}
		if customers.ValidateImport(bad[1]) == nil || customers.ValidateImport(bad[0]) != nil {
			t.Fatal("ValidateImport disagrees with ImportBatch")
		}
		if n, _ := st.Client.Customer.Query().Where(customer.CustomerID("x1")).Count(ctx); n != 0 {
			t.Fatal("a failed batch kept a row")
		}
	})
}
