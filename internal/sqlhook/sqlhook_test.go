package sqlhook_test

import (
	"context"
	stdsql "database/sql"
	"strings"
	"testing"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/stigg-selfhost/stiggql/internal/sqlhook"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// TestEveryPathIsHooked sends statements through each method ent uses, on
// the driver and in a transaction, and checks each ran between its hook's
// two halves, and that COMMIT and ROLLBACK reach
// TxEnd.
func TestEveryPathIsHooked(t *testing.T) {
	st := testdb.Open(t, testdb.SQLite)
	var log []string
	drv := sqlhook.Wrap(entsql.OpenDB(st.Dialect, st.DB), sqlhook.Hooks{
		Statement: func(ctx context.Context, query string, args any) (context.Context, func(error)) {
			log = append(log, "before "+query)
			return ctx, func(err error) {
				log = append(log, "after "+query+" "+errText(err))
			}
		},
		TxEnd: func(ctx context.Context, op string) func(error) {
			log = append(log, "before "+op)
			return func(err error) { log = append(log, "after "+op+" "+errText(err)) }
		},
	})
	ctx := context.Background()
	var rows entsql.Rows
	must(t, drv.Exec(ctx, "SELECT 1", []any{}, nil))
	must(t, drv.Query(ctx, "SELECT 2", []any{}, &rows))
	rows.Close()
	// QueryContext, as ent's sql/execquery calls it.
	qc := drv.(interface {
		QueryContext(context.Context, string, ...any) (*stdsql.Rows, error)
	})
	r, err := qc.QueryContext(ctx, "SELECT 4")
	must(t, err)
	r.Close()
	tx, err := drv.Tx(ctx)
	must(t, err)
	must(t, tx.Exec(ctx, "SELECT 3", []any{}, nil))
	must(t, tx.Commit())
	tx, err = drv.Tx(ctx)
	must(t, err)
	if err := tx.Exec(ctx, "SELECT nope FROM nowhere", []any{}, nil); err == nil {
		t.Fatal("a bad statement succeeded")
	}
	must(t, tx.Rollback())
	want := []string{
		"before SELECT 1", "after SELECT 1 ok",
		"before SELECT 2", "after SELECT 2 ok",
		"before SELECT 4", "after SELECT 4 ok",
		"before SELECT 3", "after SELECT 3 ok",
		"before COMMIT", "after COMMIT ok",
		"before SELECT nope FROM nowhere", "after SELECT nope FROM nowhere error",
		"before ROLLBACK", "after ROLLBACK ok",
	}
	if strings.Join(log, "\n") != strings.Join(want, "\n") {
		t.Fatalf("hook calls:\n%s\nwant:\n%s", strings.Join(log, "\n"), strings.Join(want, "\n"))
	}
}

func errText(err error) string {
	if err != nil {
		return "error"
	}
	return "ok"
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
