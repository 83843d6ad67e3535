// Package testdb gives tests a brand-new, migrated database on every backend
// the application supports, so store code is exercised against SQLite and
// PostgreSQL alike without tests sharing state.
//
// Environment:
//
//	TEST_BACKENDS      comma-separated backends to run (default "sqlite,postgres")
//	TEST_DATABASE_URL  PostgreSQL server to create test schemas in
//	                   (default postgres://postgres@127.0.0.1:5432/test?sslmode=disable)
//	CI                 when true, an unreachable PostgreSQL fails the tests
//	                   instead of skipping them
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
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
)

// DefaultPostgresURL is the server used when TEST_DATABASE_URL is unset: the
// local development and CI PostgreSQL, which trusts local connections.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Backend names.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

const (
	// pingTimeout bounds the reachability check, so a missing server costs
	// a test run seconds, not minutes.
	pingTimeout = 5 * time.Second
	// openTimeout bounds opening and migrating one test database.
	openTimeout = time.Minute
	// cleanupTimeout bounds dropping a test schema.
	cleanupTimeout = 30 * time.Second
)

// Backend is a database engine tests can run against. Open creates a fresh,
// migrated database for one test and arranges for its removal.
type Backend struct {
	Name string
	open func(t testing.TB) *db.Store
}

// Open returns a new, migrated store on b that is closed and deleted when
// the test finishes.
func (b Backend) Open(t testing.TB) *db.Store {
	t.Helper()
	return b.open(t)
}

// ByName returns the backend named name (SQLite or Postgres).
func ByName(name string) (Backend, bool) { return lookup(name) }

// all lists the supported backends in the order Each runs them.
var all = []Backend{
	{Name: SQLite, open: openSQLite},
	{Name: Postgres, open: openPostgres},
}

// Backends returns the backend names selected by TEST_BACKENDS, in the
// order given, or every supported backend when it is unset. Unknown names are
// returned as well so that Each and Open fail loudly on a typo rather than
// quietly running nothing.
func Backends() []string {
	env := strings.TrimSpace(os.Getenv("TEST_BACKENDS"))
	if env == "" {
		names := make([]string, len(all))
		for i, b := range all {
			names[i] = b.Name
		}
		return names
	}
	var names []string
	seen := map[string]bool{}
	for _, n := range strings.Split(env, ",") {
		n = strings.ToLower(strings.TrimSpace(n))
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		names = append(names, n)
	}
	return names
}

// Each runs fn as one subtest per selected backend (named "sqlite" and
// "postgres"), each with its own brand-new, migrated store. fn may call
// t.Parallel; the store lives until its subtest and all of that subtest's
// own subtests have finished.
func Each(t *testing.T, fn func(t *testing.T, s *db.Store)) {
	t.Helper()
	names := Backends()
	if len(names) == 0 {
		t.Fatalf("TEST_BACKENDS=%q selects no backend; want a comma list of %s", os.Getenv("TEST_BACKENDS"), supported())
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			fn(t, Open(t, name))
		})
	}
}

// Open returns a new, migrated store on the named backend, closed and
// removed when t finishes, for tests that target one backend. It skips the
// test when TEST_BACKENDS leaves the backend out.
func Open(t *testing.T, backend string) *db.Store {
	t.Helper()
	b, ok := lookup(backend)
	if !ok {
		t.Fatalf("testdb: unknown backend %q; want one of %s", backend, supported())
	}
	if !selected(backend) {
		t.Skipf("testdb: backend %q not in TEST_BACKENDS=%q", backend, os.Getenv("TEST_BACKENDS"))
	}
	return b.Open(t)
}

func lookup(name string) (Backend, bool) {
	for _, b := range all {
		if b.Name == name {
			return b, true
		}
	}
	return Backend{}, false
}

func selected(name string) bool {
	for _, n := range Backends() {
		if n == name {
			return true
		}
	}
	return false
}

func supported() string {
	names := make([]string, len(all))
	for i, b := range all {
		names[i] = strconv.Quote(b.Name)
	}
	return strings.Join(names, ", ")
}

// openSQLite opens a database file in the test's temporary directory through
// db.Open, so it gets the production settings (WAL, foreign keys, busy
// timeout) rather than an in-memory database that behaves differently.
func openSQLite(t testing.TB) *db.Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
	defer cancel()
	s, err := db.Open(ctx, fileURI(path))
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	remember(t, s, fileURI(path))
	// Registered after TempDir's cleanup, so it runs first: the file is
	// closed before the directory is removed.
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("testdb: close sqlite store: %v", err)
		}
	})
	return s
}

// fileURI returns the SQLite URI filename for path. Characters with a
// meaning in URIs are escaped: test temp dirs are named after the test, and a
// repeated subtest is called "name#01", which would otherwise cut the path at
// the '#' and make every such test share one file outside its temp dir.
func fileURI(path string) string {
	return "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(filepath.ToSlash(path))
}

// postgresServer is the PostgreSQL server at one base URL. It is checked
// once per process; admin is the connection used to create and drop test
// schemas.
type postgresServer struct {
	once  sync.Once
	url   string
	admin *sql.DB
	err   error
}

var (
	serversMu sync.Mutex
	servers   = map[string]*postgresServer{}
)

// postgresURL is the base URL of the test server.
func postgresURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// server returns the checked server for url, connecting on first use.
func server(url string) *postgresServer {
	serversMu.Lock()
	srv, ok := servers[url]
	if !ok {
		srv = &postgresServer{url: url}
		servers[url] = srv
	}
	serversMu.Unlock()
	srv.once.Do(srv.connect)
	return srv
}

// connect opens the admin pool and checks the server answers. The store's
// migration is skipped: the admin connection only manages schemas.
func (p *postgresServer) connect() {
	if l := strings.ToLower(p.url); !strings.HasPrefix(l, "postgres://") && !strings.HasPrefix(l, "postgresql://") {
		p.err = fmt.Errorf("not a postgres:// URL")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
	defer cancel()
	s, err := db.Open(ctx, p.url, db.WithoutMigrate())
	if err != nil {
		p.err = err
		return
	}
	p.admin = s.DB
}

// openPostgres creates a uniquely named schema, opens a store whose
// search_path points at it, migrates it and drops the schema on cleanup.
// Schemas keep tests isolated while sharing one server and database, and are
// far cheaper to create than databases.
func openPostgres(t testing.TB) *db.Store {
	t.Helper()
	base := postgresURL()
	srv := server(base)
	if srv.err != nil {
		unreachable(t, fmt.Sprintf("testdb: PostgreSQL not reachable at %s: %v; set TEST_DATABASE_URL", redacted(base), srv.err))
		return nil
	}

	schema := "t_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
	defer cancel()
	if _, err := srv.admin.ExecContext(ctx, "CREATE SCHEMA "+quoteIdent(schema)); err != nil {
		t.Fatalf("testdb: create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if _, err := srv.admin.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+quoteIdent(schema)+" CASCADE"); err != nil {
			t.Errorf("testdb: drop schema %s: %v", schema, err)
		}
	})

	u, err := withSearchPath(base, schema)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	s, err := db.Open(ctx, u)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	remember(t, s, u)
	// Runs before the schema is dropped: cleanups run last-in first-out.
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("testdb: close postgres store: %v", err)
		}
	})
	return s
}

// urls maps the stores this package opened to their URLs, for Reopen.
var urls sync.Map // *db.Store -> string

func remember(t testing.TB, s *db.Store, url string) {
	urls.Store(s, url)
	t.Cleanup(func() { urls.Delete(s) })
}

// Reopen returns a second store on the database of s (which Each or Open
// returned): the same SQLite file, or the same PostgreSQL schema. Tests use
// it to run two servers on one database, as replicas do, or to add options
// (db.WithDriver). It is closed when t finishes, before the database is
// removed.
func Reopen(t testing.TB, s *db.Store, opts ...db.Option) *db.Store {
	t.Helper()
	u, ok := urls.Load(s)
	if !ok {
		t.Fatalf("testdb: Reopen: the store was not opened by testdb")
	}
	ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
	defer cancel()
	s2, err := db.Open(ctx, u.(string), append([]db.Option{db.WithoutMigrate()}, opts...)...)
	if err != nil {
		t.Fatalf("testdb: reopen: %v", err)
	}
	t.Cleanup(func() {
		if err := s2.Close(); err != nil {
			t.Errorf("testdb: close reopened store: %v", err)
		}
	})
	return s2
}

// unreachable skips the test for a missing PostgreSQL, so developers without
// one can still run the suite, but fails it on CI, where a broken service
// setup must not let the PostgreSQL half of the suite pass unexercised.
func unreachable(t testing.TB, msg string) {
	t.Helper()
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		t.Fatal(msg + " (CI is set, so this fails instead of skipping)")
		return
	}
	t.Skip(msg)
}

// withSearchPath returns base with search_path set to schema; pgx sends
// unknown URL parameters to the server as run-time parameters, so every
// connection in the pool starts in the test's schema.
func withSearchPath(base, schema string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("parse TEST_DATABASE_URL %s: invalid URL", redacted(base))
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// redacted returns raw with any password masked, for messages.
func redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
