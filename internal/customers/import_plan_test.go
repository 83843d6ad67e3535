package customers_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/customers"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// TestLargeImportAfterAnotherUsesTheIndex is issue 12's fifth defect: on
// PostgreSQL a large import right after another timed out, its existence
// lookups planned on statistics from before the first import. Here the
// empty table is analysed (as autovacuum does), two large imports run back
// to back, and after each the planner's statistics count the rows the
// import wrote.
func TestLargeImportAfterAnotherUsesTheIndex(t *testing.T) {
	st := testdb.Open(t, testdb.Postgres)
	ctx := context.Background()
	env := newEnv(t, st)
	svc := customers.New(st.Client, clock.System{})
	if _, err := st.DB.ExecContext(ctx, "ANALYZE customers"); err != nil {
		t.Fatal(err)
	}
	const n = 20000
	for round := range 2 {
		in := make([]customers.ImportInput, n)
		for i := range in {
			in[i] = customers.ImportInput{CustomerID: fmt.Sprintf("r%d-c%d", round, i)}
		}
		if _, err := svc.ImportBulk(ctx, env, in); err != nil {
			t.Fatalf("import %d: %v", round, err)
		}
		// The planner's row count of the table must be today's, not the
		// empty table's: the statistics every later plan starts from.
		var planned float64
		if err := st.DB.QueryRowContext(ctx, "SELECT reltuples FROM pg_class WHERE oid = 'customers'::regclass").Scan(&planned); err != nil {
			t.Fatal(err)
		}
		if want := float64((round + 1) * n); planned < 0.9*want {
			t.Fatalf("after import %d the planner believes customers has %.0f rows, want about %.0f", round, planned, want)
		}
	}
}
