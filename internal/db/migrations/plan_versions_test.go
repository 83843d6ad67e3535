package migrations_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/db/migrations"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// TestPlanVersionsUpgrade: a database from before plan versions keeps its
// plans as their version 1, latest, and its plans table keeps the triggers
// that bump the catalog version (SQLite's migration is written by hand so
// that the table is not rebuilt without them).
func TestPlanVersionsUpgrade(t *testing.T) {
	testdb.Each(t, func(t *testing.T, fresh *db.Store) {
		ctx := context.Background()
		st := emptyStore(t, fresh)
		files, err := migrations.Files(st.Dialect)
		if err != nil {
			t.Fatal(err)
		}
		prev := ""
		for i, f := range files {
			if strings.HasSuffix(f.Name, "_plan_versions.sql") {
				prev = files[i-1].Version
			}
		}
		if prev == "" {
			t.Fatal("no plan_versions migration")
		}
		if _, err := migrations.ApplyUpTo(ctx, st.DB, st.Dialect, prev); err != nil {
			t.Fatal(err)
		}
		env, prod, pl := "11111111-1111-4111-8111-111111111111", "33333333-3333-4333-8333-333333333333", "44444444-4444-4444-8444-444444444444"
		at := "2025-01-01 00:00:00"
		for _, row := range []struct {
			q    string
			args []any
		}{
			{`INSERT INTO environments (id, created_at, updated_at, slug, display_name, is_sandbox) VALUES (%s)`,
				[]any{env, at, at, "old", "Old", false}},
			{`INSERT INTO products (id, created_at, updated_at, ref_id, environment_id) VALUES (%s)`,
				[]any{prod, at, at, "product-a", env}},
			// A plan a reload changed twice before versions: version 3.
			{`INSERT INTO plans (id, created_at, updated_at, ref_id, display_name, version_number, environment_id, product_id) VALUES (%s)`,
				[]any{pl, at, at, "plan-a", "A", 3, env, prod}},
		} {
			if _, err := st.DB.ExecContext(ctx, fmt.Sprintf(row.q, params(st.Dialect, len(row.args))), row.args...); err != nil {
				t.Fatalf("%s: %v", row.q, err)
			}
		}
		if _, err := migrations.Apply(ctx, st.DB, st.Dialect); err != nil {
			t.Fatal(err)
		}
		p, err := st.Client.Plan.Query().Only(ctx)
		if err != nil || p.VersionNumber != 1 || !p.IsLatest || p.RefID != "plan-a" {
			t.Fatalf("plan after upgrade: %+v, %v", p, err)
		}
		version := func() int64 {
			var v int64
			if err := st.DB.QueryRowContext(ctx, fmt.Sprintf("SELECT version FROM catalog_versions WHERE environment_id = %s", params(st.Dialect, 1)), env).Scan(&v); err != nil {
				t.Fatal(err)
			}
			return v
		}
		before := version()
		if err := st.Client.Plan.UpdateOne(p).SetDisplayName("A2").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if after := version(); after <= before {
			t.Fatalf("a plan write no longer bumps the catalog version (%d, then %d)", before, after)
		}
	})
}
