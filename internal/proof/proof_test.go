package proof

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/proof/serverproc"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// longFlag selects the full-size proofs; PROOF_LONG=1 does the same for
// runs (like go test ./...) where a package flag cannot be passed.
var longFlag = flag.Bool("proof.long", false, "run the full-size proofs (minutes); also PROOF_LONG=1")

func long() bool {
	if *longFlag {
		return true
	}
	v, _ := strconv.ParseBool(os.Getenv("PROOF_LONG"))
	return v
}

// pick returns the long-mode value or the default-mode one.
func pick[T any](short, full T) T {
	if long() {
		return full
	}
	return short
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	serverproc.Cleanup()
	os.Exit(code)
}

// proofKey is the STIGG_API_KEY every proof server is started with.
const proofKey = "server-proof-key"

// database is a fresh database for one proof: a SQLite file or a PostgreSQL
// schema of its own.
type database struct {
	backend string
	// url is what the server gets as DATABASE_URL.
	url string
	// path is the SQLite file (empty on PostgreSQL).
	path string
	// schema is the PostgreSQL schema (empty on SQLite).
	schema string
	// admin is a connection to the PostgreSQL server outside the schema.
	admin *sql.DB
}

// eachBackend runs fn on a fresh database per backend TEST_BACKENDS selects
// (SQLite and PostgreSQL by default), as testdb.Each does for in-process
// tests.
func eachBackend(t *testing.T, fn func(t *testing.T, d *database)) {
	t.Helper()
	for _, b := range testdb.Backends() {
		t.Run(b, func(t *testing.T) { fn(t, freshDatabase(t, b)) })
	}
}

// freshDatabase returns a new, empty database on backend (the server
// migrates it at start), removed when t ends. An unreachable PostgreSQL
// skips the test, or fails it when CI=true.
func freshDatabase(t *testing.T, backend string) *database {
	t.Helper()
	switch backend {
	case testdb.SQLite:
		path := filepath.Join(t.TempDir(), "proof.db")
		return &database{backend: backend, path: path, url: sqliteURL(path)}
	case testdb.Postgres:
		return freshSchema(t)
	}
	t.Fatalf("unknown backend %q", backend)
	return nil
}

// sqliteURL escapes the characters SQLite URI filenames give a meaning.
func sqliteURL(path string) string {
	return "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(filepath.ToSlash(path))
}

var pgAdmin struct {
	once sync.Once
	db   *sql.DB
	err  error
}

func postgresBase() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return testdb.DefaultPostgresURL
}

// freshSchema creates a schema of its own on the test PostgreSQL server and
// returns a URL whose search_path selects it; the schema is dropped when t
// ends (after the servers of t are killed: cleanups run last-in first-out).
func freshSchema(t *testing.T) *database {
	t.Helper()
	base := postgresBase()
	pgAdmin.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		st, err := db.Open(ctx, base, db.WithoutMigrate())
		if err != nil {
			pgAdmin.err = err
			return
		}
		pgAdmin.db = st.DB
	})
	if pgAdmin.err != nil {
		msg := fmt.Sprintf("PostgreSQL not reachable (%v); set TEST_DATABASE_URL", pgAdmin.err)
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatal(msg + " (CI is set, so this fails instead of skipping)")
		}
		t.Skip(msg)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "proof_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := pgAdmin.db.ExecContext(ctx, `CREATE SCHEMA "`+schema+`"`); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := pgAdmin.db.ExecContext(ctx, `DROP SCHEMA IF EXISTS "`+schema+`" CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	// Names the server's connections, so a proof can find them in
	// pg_stat_activity among those of other tests.
	q.Set("application_name", schema)
	u.RawQuery = q.Encode()
	return &database{backend: testdb.Postgres, url: u.String(), schema: schema, admin: pgAdmin.db}
}

// open opens the proof's database directly (not through a server), for
// checks; it is closed when t ends.
func (d *database) open(t *testing.T) *db.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := db.Open(ctx, d.url, db.WithoutMigrate())
	if err != nil {
		t.Fatalf("open %s database: %v", d.backend, err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// serve starts a server on d with the proof key and args.
func (d *database) serve(t *testing.T, args ...string) *serverproc.Server {
	t.Helper()
	return serverproc.StartT(t, serverproc.Options{
		DB: d.url, APIKey: proofKey, Args: args,
		Watch: []string{"database is locked", `"level":"ERROR"`, "panic"},
	})
}

// unlimited are serve flags for load: the per-key rate limits would
// otherwise refuse what the proofs send on purpose.
var unlimited = []string{"--rate-limit-mutation", "0", "--rate-limit-query", "0"}

// okDo sends one operation through c and fails t unless it is answered
// 200 without errors.
func okDo(t testing.TB, c *serverproc.Client, query string, vars map[string]any) *serverproc.Response {
	t.Helper()
	r, err := c.Do(bg(), query, vars)
	if err != nil {
		t.Fatalf("%v\nquery: %s", err, query)
	}
	if !r.OK() {
		t.Fatalf("status %d: %.500s\nquery: %s", r.Status, r.Body, query)
	}
	return r
}

func bg() context.Context { return context.Background() }
