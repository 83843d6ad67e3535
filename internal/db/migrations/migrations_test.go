package migrations_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	entschema "entgo.io/ent/dialect/sql/schema"

	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/db/migrations"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// TestMigrationsMatchSchema: a database built from the migration files is
// exactly what the ent schema describes (ent would change nothing, not even
// drop something).
func TestMigrationsMatchSchema(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		var buf bytes.Buffer
		if err := st.Client.Schema.WriteTo(context.Background(), &buf, entschema.WithDropColumn(true), entschema.WithDropIndex(true),
			entschema.WithDiffHook(migrations.KeepHandIndexes)); err != nil {
			t.Fatal(err)
		}
		plan := strings.TrimSpace(strings.NewReplacer("BEGIN;", "", "COMMIT;", "").Replace(buf.String()))
		if plan != "" {
			t.Fatalf("ent schema and migrations differ; run go generate ./... to add a migration:\n%s", plan)
		}
		if n, err := migrations.PendingCount(context.Background(), st.DB, st.Dialect); err != nil || n != 0 {
			t.Fatalf("pending = %d, %v", n, err)
		}
		if err := st.Ready(context.Background()); err != nil {
			t.Fatalf("ready: %v", err)
		}
	})
}

// TestUpgradeFromPreviousRelease builds the database the previous release
// created (all migrations but the last), writes data, then upgrades it the
// way a new release starts, and checks the data survived.
func TestUpgradeFromPreviousRelease(t *testing.T) {
	for _, dial := range []string{dialect.SQLite, dialect.Postgres} {
		files, err := migrations.Files(dial)
		if err != nil {
			t.Fatal(err)
		}
		if len(files) < 2 {
			t.Skipf("%s: only one migration; nothing to upgrade from", dial)
		}
	}
	testdb.Each(t, func(t *testing.T, fresh *db.Store) {
		ctx := context.Background()
		// Start from an empty database of the same backend.
		st := emptyStore(t, fresh)
		files, _ := migrations.Files(st.Dialect)
		prev := files[len(files)-2].Version
		if _, err := migrations.ApplyUpTo(ctx, st.DB, st.Dialect, prev); err != nil {
			t.Fatal(err)
		}
		if err := st.Ready(ctx); err == nil {
			t.Fatal("a database one migration behind must not be ready")
		}
		q := `INSERT INTO environments (id, created_at, updated_at, slug, display_name, is_sandbox) VALUES (%s)`
		if _, err := st.DB.ExecContext(ctx, fmt.Sprintf(q, params(st.Dialect, 6)),
			"11111111-1111-4111-8111-111111111111", "2025-01-01 00:00:00", "2025-01-01 00:00:00", "old", "Old", false); err != nil {
			t.Fatal(err)
		}
		q = `INSERT INTO customers (id, created_at, updated_at, customer_id, name, environment_id) VALUES (%s)`
		if _, err := st.DB.ExecContext(ctx, fmt.Sprintf(q, params(st.Dialect, 6)),
			"22222222-2222-4222-8222-222222222222", "2025-01-01 00:00:00", "2025-01-01 00:00:00", "kept", "Kept Inc", "11111111-1111-4111-8111-111111111111"); err != nil {
			t.Fatal(err)
		}
		applied, err := migrations.Apply(ctx, st.DB, st.Dialect)
		if err != nil || len(applied) != 1 {
			t.Fatalf("upgrade applied %v, %v", applied, err)
		}
		c, err := st.Client.Customer.Query().Only(ctx)
		if err != nil || c.CustomerID != "kept" || *c.Name != "Kept Inc" {
			t.Fatalf("customer after upgrade: %+v, %v", c, err)
		}
		if err := st.Ready(ctx); err != nil {
			t.Fatalf("not ready after upgrade: %v", err)
		}
	})
}

func TestAppliedMigrationMustNotChange(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		ctx := context.Background()
		if _, err := st.DB.ExecContext(ctx, "UPDATE "+migrations.Table+" SET checksum = 'edited'"); err != nil {
			t.Fatal(err)
		}
		if _, err := migrations.Apply(ctx, st.DB, st.Dialect); err == nil || !strings.Contains(err.Error(), "changed after it was applied") {
			t.Fatalf("err = %v", err)
		}
		if _, err := migrations.Apply(ctx, st.DB, st.Dialect); err == nil {
			t.Fatal("still refused on a second try")
		}
	})
}

func TestApplyIsIdempotent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		applied, err := migrations.Apply(context.Background(), st.DB, st.Dialect)
		if err != nil || len(applied) != 0 {
			t.Fatalf("second apply: %v %v", applied, err)
		}
	})
}

func params(dial string, n int) string {
	p := make([]string, n)
	for i := range p {
		p[i] = "?"
		if dial == dialect.Postgres {
			p[i] = fmt.Sprintf("$%d", i+1)
		}
	}
	return strings.Join(p, ", ")
}

// emptyStore returns an unmigrated store of fresh's backend: a new SQLite
// file, or fresh's PostgreSQL schema dropped and created again.
func emptyStore(t *testing.T, fresh *db.Store) *db.Store {
	t.Helper()
	ctx := context.Background()
	if fresh.Dialect == dialect.SQLite {
		st, err := db.Open(ctx, "file:"+filepath.Join(t.TempDir(), "old.db"), db.WithoutMigrate())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	var schema string
	if err := fresh.DB.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	// Everything goes: tables, and the functions hand-written migrations
	// create.
	for _, q := range []string{`DROP SCHEMA "` + schema + `" CASCADE`, `CREATE SCHEMA "` + schema + `"`} {
		if _, err := fresh.DB.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	return fresh
}
