// Command gen writes versioned migration files for the ent schema, one
// directory per dialect, by replaying the existing files on a scratch
// database and diffing it against the schema. It writes nothing when the
// files already describe the schema, so `go generate ./...` is a no-op on a
// clean tree and scripts/check-generated.sh catches a schema change that
// has no migration.
//
// SQLite uses an in-memory scratch database. PostgreSQL needs a server:
// MIGRATIONS_DEV_DATABASE_URL (default the local test database), in which a
// throwaway schema is created and dropped. Without a reachable server the
// PostgreSQL step is skipped with a warning, or fails when CI=true.
//
// What ent cannot describe (triggers, virtual tables, extension indexes) is
// written by hand as a migration file of its own; `go run ./gen -hash` then
// records its checksum in atlas.sum. Hand-made indexes on ent's tables must
// be listed in migrations.HandIndexes, or the next diff would drop them.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	atlas "ariga.io/atlas/sql/migrate"
	entschema "entgo.io/ent/dialect/sql/schema"
	"github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3"

	"github.com/stigg-selfhost/stiggql/ent/migrate"
	"github.com/stigg-selfhost/stiggql/internal/db/migrations"
)

func init() {
	// ent's diff opens PostgreSQL under the driver name "postgres".
	sql.Register("postgres", stdlib.GetDefaultDriver())
}

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	name := "changes"
	if len(os.Args) > 1 {
		name = os.Args[1]
	}
	if name == "-hash" {
		// After writing a migration by hand: record its checksum.
		for _, d := range []string{"sqlite", "postgres"} {
			if err := rehash(d); err != nil {
				log.Fatalf("%s: %v", d, err)
			}
		}
		return
	}
	if err := diff(ctx, "sqlite", "sqlite3://file?mode=memory&_fk=1", name); err != nil {
		log.Fatalf("sqlite migrations: %v", err)
	}
	pgURL, cleanup, err := scratchPostgres(ctx)
	if err != nil {
		if os.Getenv("CI") == "true" {
			log.Fatalf("postgres migrations: %v", err)
		}
		log.Printf("warning: postgres migrations not checked: %v", err)
		return
	}
	defer cleanup()
	if err := diff(ctx, "postgres", pgURL, name); err != nil {
		log.Fatalf("postgres migrations: %v", err)
	}
}

func diff(ctx context.Context, dirName, url, name string) error {
	dir, err := atlas.NewLocalDir(dirName)
	if err != nil {
		return err
	}
	return migrate.NamedDiff(ctx, url, name,
		entschema.WithDir(dir),
		entschema.WithMigrationMode(entschema.ModeReplay),
		entschema.WithDropColumn(true),
		entschema.WithDropIndex(true),
		entschema.WithFormatter(atlas.DefaultFormatter),
		entschema.WithDiffHook(migrations.KeepHandIndexes),
	)
}

// rehash rewrites dirName's atlas.sum for its current files.
func rehash(dirName string) error {
	dir, err := atlas.NewLocalDir(dirName)
	if err != nil {
		return err
	}
	sum, err := dir.Checksum()
	if err != nil {
		return err
	}
	return atlas.WriteSumFile(dir, sum)
}

func scratchPostgres(ctx context.Context) (string, func(), error) {
	base := os.Getenv("MIGRATIONS_DEV_DATABASE_URL")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	db, err := sql.Open("postgres", base)
	if err != nil {
		return "", nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("no PostgreSQL at %s: %w", redact(base), err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schemaName := "migrations_dev_" + hex.EncodeToString(b[:])
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schemaName); err != nil {
		db.Close()
		return "", nil, err
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	url := base + sep + "search_path=" + schemaName
	return url, func() {
		_, _ = db.ExecContext(context.Background(), "DROP SCHEMA "+schemaName+" CASCADE")
		db.Close()
	}, nil
}

func redact(u string) string {
	if i := strings.Index(u, "@"); i > 0 {
		if j := strings.Index(u, "://"); j > 0 && j < i {
			return u[:j+3] + "…" + u[i:]
		}
	}
	return u
}
