package db

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
)

func openTemp(t *testing.T, url string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(context.Background(), url, opts...)
	if err != nil {
		t.Fatalf("Open(%q): %v", url, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func pragma(t *testing.T, s *Store, name string) string {
	t.Helper()
	var v string
	if err := s.DB.QueryRowContext(context.Background(), "PRAGMA "+name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

func TestOpenSQLiteFile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, url string }{
		{"file", "file:" + filepath.Join(dir, "a.db")},
		{"sqlite scheme", "sqlite://" + filepath.Join(dir, "b.db")},
		{"bare path", filepath.Join(dir, "c.sqlite")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := openTemp(t, tc.url)
			if s.Dialect != dialect.SQLite {
				t.Errorf("Dialect = %q, want %q", s.Dialect, dialect.SQLite)
			}
			for name, want := range map[string]string{
				"journal_mode": "wal",
				"foreign_keys": "1",
				"busy_timeout": "10000",
				"synchronous":  "1", // NORMAL
				"cache_size":   "-4096",
				"mmap_size":    "0",
			} {
				if got := pragma(t, s, name); got != want {
					t.Errorf("PRAGMA %s = %q, want %q", name, got, want)
				}
			}
			env, err := s.Client.Environment.Create().SetSlug("x").SetDisplayName("X").Save(ctx)
			if err != nil {
				t.Fatalf("create environment: %v", err)
			}
			if n := s.Client.Environment.Query().CountX(ctx); n != 1 {
				t.Errorf("environments = %d, want 1 (created %v)", n, env.ID)
			}
		})
	}
}

func TestOpenAppliesMmapSize(t *testing.T) {
	s := openTemp(t, "file:"+filepath.Join(t.TempDir(), "m.db")+"?_mmap_size=1048576")
	if got := pragma(t, s, "mmap_size"); got != "1048576" {
		t.Errorf("mmap_size = %s, want 1048576", got)
	}
}

func TestOpenKeepsUserParameters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	s := openTemp(t, "file:"+path+"?_busy_timeout=2500&_fk=0&cache=private")
	if got := pragma(t, s, "busy_timeout"); got != "2500" {
		t.Errorf("busy_timeout = %s, want the user's 2500", got)
	}
	if got := pragma(t, s, "foreign_keys"); got != "1" {
		t.Errorf("foreign_keys = %s, want 1 even though the URL asked for 0", got)
	}
	if got := pragma(t, s, "journal_mode"); got != "wal" {
		t.Errorf("journal_mode = %s, want wal", got)
	}
}

func TestOpenWithoutMigrate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	s := openTemp(t, "file:"+path, WithoutMigrate())
	var n int
	if err := s.DB.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'table'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("tables = %d, want none without migration", n)
	}
}

func TestOpenReopensExistingDatabase(t *testing.T) {
	url := "file:" + filepath.Join(t.TempDir(), "r.db")
	ctx := context.Background()
	s, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	s.Client.Environment.Create().SetSlug("keep").SetDisplayName("Keep").SaveX(ctx)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	s = openTemp(t, url)
	if n := s.Client.Environment.Query().CountX(ctx); n != 1 {
		t.Errorf("environments after reopen = %d, want 1", n)
	}
}

// TestConcurrentWriteTransactions checks that transactions which read before
// they write do not fail with "database is locked" when they race: with
// deferred transactions both would hold read locks and neither could upgrade.
func TestConcurrentWriteTransactions(t *testing.T) {
	s := openTemp(t, "file:"+filepath.Join(t.TempDir(), "c.db"))
	ctx := context.Background()
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				tx, err := s.Client.Tx(ctx)
				if err != nil {
					errs <- err
					return
				}
				if _, err := tx.Environment.Query().Count(ctx); err != nil {
					tx.Rollback()
					errs <- err
					return
				}
				slug := fmt.Sprintf("w%d-%d", w, i)
				if _, err := tx.Environment.Create().SetSlug(slug).SetDisplayName(slug).Save(ctx); err != nil {
					tx.Rollback()
					errs <- err
					return
				}
				if err := tx.Commit(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := s.Client.Environment.Query().CountX(ctx); n != workers*each {
		t.Errorf("environments = %d, want %d", n, workers*each)
	}
}

func TestOpenMemory(t *testing.T) {
	s := openTemp(t, ":memory:")
	ctx := context.Background()
	s.Client.Environment.Create().SetSlug("m").SetDisplayName("M").SaveX(ctx)
	if n := s.Client.Environment.Query().CountX(ctx); n != 1 {
		t.Errorf("environments = %d, want 1", n)
	}
	if got := s.DB.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("MaxOpenConnections = %d, want 1 for an in-memory database", got)
	}
}

func TestOpenBadURL(t *testing.T) {
	for _, tc := range []struct {
		url, want string
	}{
		{"mysql://root:hunter2@localhost/db", `unsupported database URL scheme "mysql"`},
		{"http://example.com/x.db", `unsupported database URL scheme "http"`},
		{"host=localhost password=hunter2", "unrecognized database URL"},
		{"stigg.txt", "unrecognized database URL"},
		{"file:?mode=memory", "no file path"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			_, err := Open(context.Background(), tc.url)
			if err == nil {
				t.Fatal("Open succeeded, want an error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "open database: ") || !strings.Contains(msg, tc.want) {
				t.Errorf("error = %q, want prefix %q and %q", msg, "open database: ", tc.want)
			}
			if strings.Contains(msg, "hunter2") {
				t.Errorf("error leaks the password: %q", msg)
			}
		})
	}
}

func TestOpenPostgresErrorHidesPassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Nothing listens on port 1, so connecting fails fast.
	for _, url := range []string{
		"postgres://app:s3cr%3Ft@127.0.0.1:1/stigg?sslmode=disable&connect_timeout=2",
		"postgresql://app@127.0.0.1:1/stigg?sslmode=disable&connect_timeout=2&password=s3cr%3Ft",
		"postgres://app:s3cr%3Ft@127.0.0.1:1/stigg?sslmode=bogus",
	} {
		_, err := Open(ctx, url)
		if err == nil {
			t.Fatalf("Open(%q) succeeded, want an error", url)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "open database (postgres ") {
			t.Errorf("error = %q, want it to name the postgres backend", msg)
		}
		if strings.Contains(msg, "s3cr") {
			t.Errorf("error leaks the password: %q", msg)
		}
	}
}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in, driver, dial, dsnPrefix string
	}{
		{"", "sqlite3", dialect.SQLite, "file:stigg.db?"},
		{"file:data/x.db", "sqlite3", dialect.SQLite, "file:data/x.db?"},
		{"sqlite:///var/lib/stigg.db", "sqlite3", dialect.SQLite, "/var/lib/stigg.db?"},
		{"sqlite://rel.db?cache=shared", "sqlite3", dialect.SQLite, "rel.db?"},
		{"./stigg.sqlite", "sqlite3", dialect.SQLite, "./stigg.sqlite?"},
		{"postgres://u@h/db", "pgx", dialect.Postgres, "postgres://u@h/db"},
		{"POSTGRESQL://u@h/db", "pgx", dialect.Postgres, "postgresql://u@h/db"},
	} {
		driver, dsn, dial, err := parseURL(tc.in)
		if err != nil {
			t.Errorf("parseURL(%q): %v", tc.in, err)
			continue
		}
		if driver != tc.driver || dial != tc.dial || !strings.HasPrefix(dsn, tc.dsnPrefix) {
			t.Errorf("parseURL(%q) = %q, %q, %q; want %q, %q, prefix %q", tc.in, driver, dsn, dial, tc.driver, tc.dial, tc.dsnPrefix)
		}
		if dial == dialect.SQLite {
			for _, p := range []string{"_foreign_keys=1", "_journal_mode=WAL", "_synchronous=NORMAL", "_busy_timeout=10000", "_txlock=immediate", "_stmt_cache_size=32"} {
				if !strings.Contains(dsn, p) {
					t.Errorf("parseURL(%q) dsn %q lacks %s", tc.in, dsn, p)
				}
			}
		}
	}
}

// TestSQLiteSynchronousOption: NORMAL by default, FULL on request, the
// URL's own setting wins, anything else is refused.
func TestSQLiteSynchronousOption(t *testing.T) {
	mode := func(s *Store) int {
		t.Helper()
		var n int
		if err := s.DB.QueryRow("PRAGMA synchronous").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	dir := t.TempDir()
	// PRAGMA synchronous: 1 is NORMAL, 2 is FULL.
	if n := mode(openTemp(t, "file:"+filepath.Join(dir, "a.db"))); n != 1 {
		t.Errorf("default: synchronous = %d, want 1 (NORMAL)", n)
	}
	if n := mode(openTemp(t, "file:"+filepath.Join(dir, "b.db"), WithSQLiteSynchronous("full"))); n != 2 {
		t.Errorf("WithSQLiteSynchronous(full): synchronous = %d, want 2 (FULL)", n)
	}
	if n := mode(openTemp(t, "file:"+filepath.Join(dir, "c.db")+"?_sync=NORMAL", WithSQLiteSynchronous(SyncFull))); n != 1 {
		t.Errorf("URL _sync=NORMAL with the FULL option: synchronous = %d, want the URL's 1", n)
	}
	if _, err := Open(context.Background(), "file:"+filepath.Join(dir, "d.db"), WithSQLiteSynchronous("OFF")); err == nil {
		t.Error("synchronous OFF accepted")
	}
}
