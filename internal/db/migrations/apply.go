package migrations

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	atlas "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
)

//go:embed sqlite postgres
var files embed.FS

// Table records applied migrations.
const Table = "stiggql_schema_migrations"

// File is one migration.
type File struct {
	Version  string // the timestamp prefix, which orders files
	Name     string // the file name
	Checksum string
	stmts    []string
}

func dirOf(dial string) (string, error) {
	switch dial {
	case dialect.SQLite:
		return "sqlite", nil
	case dialect.Postgres:
		return "postgres", nil
	}
	return "", fmt.Errorf("migrations: unsupported dialect %q", dial)
}

// Files returns the dialect's migrations in order.
func Files(dial string) ([]File, error) {
	dir, err := dirOf(dial)
	if err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(files, dir)
	if err != nil {
		return nil, err
	}
	var out []File
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		b, err := fs.ReadFile(files, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		stmts, err := scanStmts(dial, string(b))
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(b)
		version, _, _ := strings.Cut(e.Name(), "_")
		out = append(out, File{Version: version, Name: e.Name(), Checksum: hex.EncodeToString(sum[:]), stmts: stmts})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// scanStmts splits a migration file into statements the way the dialect's
// own tooling does: SQLite trigger bodies (BEGIN ... END) and PostgreSQL
// dollar-quoted function bodies hold semicolons that do not end the
// statement.
func scanStmts(dial, src string) ([]string, error) {
	var opts atlas.ScannerOptions
	if dial == dialect.SQLite {
		opts = atlas.ScannerOptions{MatchBegin: true}
	} else {
		opts = atlas.ScannerOptions{MatchBeginAtomic: true, MatchDollarQuote: true}
	}
	stmts, err := (&atlas.Scanner{ScannerOptions: opts}).Scan(src)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(stmts))
	for i, s := range stmts {
		out[i] = s.Text
	}
	return out, nil
}

// pending returns the migrations not yet applied. It fails when an applied
// migration's file changed or disappeared: a released migration is never
// edited.
func pending(ctx context.Context, conn *sql.Conn, dial string) ([]File, error) {
	all, err := Files(dial)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+Table+
		" (version VARCHAR(64) PRIMARY KEY, name TEXT NOT NULL, checksum VARCHAR(64) NOT NULL, applied_at TIMESTAMP NOT NULL)"); err != nil {
		return nil, fmt.Errorf("create %s: %w", Table, err)
	}
	rows, err := conn.QueryContext(ctx, "SELECT version, name, checksum FROM "+Table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	applied := map[string][2]string{}
	for rows.Next() {
		var v, n, c string
		if err := rows.Scan(&v, &n, &c); err != nil {
			return nil, err
		}
		applied[v] = [2]string{n, c}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []File
	for _, f := range all {
		if a, ok := applied[f.Version]; ok {
			if a[1] != f.Checksum {
				return nil, fmt.Errorf("migration %s was changed after it was applied", f.Name)
			}
			delete(applied, f.Version)
			continue
		}
		out = append(out, f)
	}
	for v, a := range applied {
		return nil, fmt.Errorf("database has migration %s (%s) that this release does not know: it was migrated by a newer release", v, a[0])
	}
	if len(out) > 0 && len(out) < len(all) && out[0].Version < all[len(all)-len(out)].Version {
		return nil, fmt.Errorf("migration %s is older than the latest applied one", out[0].Name)
	}
	return out, nil
}

// Apply applies every pending migration in order, each in its own
// transaction, and returns the names applied. Concurrent starts of several
// replicas are serialised (a PostgreSQL advisory lock; SQLite's write lock).
func Apply(ctx context.Context, db *sql.DB, dial string) ([]string, error) {
	return ApplyUpTo(ctx, db, dial, "")
}

// ApplyUpTo is Apply stopping after the migration of the given version
// (all when empty): upgrade tests use it to build a previous release's
// database.
func ApplyUpTo(ctx context.Context, db *sql.DB, dial, version string) ([]string, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if dial == dialect.Postgres {
		// One key for this server's migrations in this database.
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(727100001)"); err != nil {
			return nil, fmt.Errorf("lock migrations: %w", err)
		}
		defer conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock(727100001)") //nolint:errcheck
	}
	todo, err := pending(ctx, conn, dial)
	if err != nil {
		return nil, err
	}
	var done []string
	for _, f := range todo {
		if version != "" && f.Version > version {
			break
		}
		if err := applyOne(ctx, conn, dial, f); err != nil {
			return done, fmt.Errorf("migration %s: %w", f.Name, err)
		}
		done = append(done, f.Name)
	}
	return done, nil
}

// applyOne runs one file in a transaction. On SQLite, table rebuilds need
// foreign keys off, which only takes effect outside a transaction; the
// foreign key check before commit keeps the data consistent.
func applyOne(ctx context.Context, conn *sql.Conn, dial string, f File) (err error) {
	if dial == dialect.SQLite {
		if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
			return err
		}
		defer func() {
			if _, ferr := conn.ExecContext(context.Background(), "PRAGMA foreign_keys = ON"); ferr != nil && err == nil {
				err = ferr
			}
		}()
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	for _, stmt := range f.stmts {
		if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(stmt)), "PRAGMA FOREIGN_KEYS") {
			continue // handled around the transaction
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	if dial == dialect.SQLite {
		rows, err := tx.QueryContext(ctx, "PRAGMA foreign_key_check")
		if err != nil {
			return err
		}
		bad := rows.Next()
		rows.Close()
		if bad {
			return fmt.Errorf("foreign key check failed after the migration")
		}
	}
	arg := func(i int) string {
		if dial == dialect.Postgres {
			return fmt.Sprintf("$%d", i)
		}
		return "?"
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s (version, name, checksum, applied_at) VALUES (%s, %s, %s, %s)",
		Table, arg(1), arg(2), arg(3), arg(4)), f.Version, f.Name, f.Checksum, time.Now().UTC()); err != nil {
		return err
	}
	return tx.Commit()
}

// PendingCount returns how many migrations of this release the database
// lacks, reading only: a database without the migrations table has them all
// pending. Readiness checks use it.
func PendingCount(ctx context.Context, db *sql.DB, dial string) (int, error) {
	all, err := Files(dial)
	if err != nil {
		return 0, err
	}
	rows, err := db.QueryContext(ctx, "SELECT version FROM "+Table)
	if err != nil {
		return len(all), nil
	}
	defer rows.Close()
	applied := map[string]bool{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return 0, err
		}
		applied[v] = true
	}
	n := 0
	for _, f := range all {
		if !applied[f.Version] {
			n++
		}
	}
	return n, rows.Err()
}
