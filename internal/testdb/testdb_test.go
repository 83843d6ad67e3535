package testdb

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/stigg-selfhost/stiggql/ent/environment"
	"github.com/stigg-selfhost/stiggql/internal/db"
)

var wantDialect = map[string]string{SQLite: dialect.SQLite, Postgres: dialect.Postgres}

// TestEachIsolated checks that every Each run starts from an empty database:
// the first run's row must not be visible to the second, which would also
// hit the unique slug if the databases were shared.
func TestEachIsolated(t *testing.T) {
	ctx := context.Background()
	runs := map[string]int{} // by dialect
	for run := range 2 {
		Each(t, func(t *testing.T, s *db.Store) {
			runs[s.Dialect]++
			if n := s.Client.Environment.Query().CountX(ctx); n != 0 {
				t.Fatalf("run %d: fresh database has %d environments, want 0", run, n)
			}
			s.Client.Environment.Create().SetSlug("shared").SetDisplayName("Shared").SaveX(ctx)
		})
	}
	for _, name := range Backends() {
		if d := wantDialect[name]; runs[d] != 2 {
			t.Errorf("backend %s (dialect %s) ran %d times, want 2", name, d, runs[d])
		}
	}
}

// TestEachConcurrentStoresIsolated runs Each from parallel tests, so stores
// on the same backend exist at the same time, and checks none sees another's
// rows.
func TestEachConcurrentStoresIsolated(t *testing.T) {
	for i := range 4 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			Each(t, func(t *testing.T, s *db.Store) {
				ctx := context.Background()
				slug := fmt.Sprintf("env-%d", i)
				s.Client.Environment.Create().SetSlug(slug).SetDisplayName(slug).SaveX(ctx)
				slugs := s.Client.Environment.Query().Select(environment.FieldSlug).StringsX(ctx)
				if len(slugs) != 1 || slugs[0] != slug {
					t.Errorf("environments = %v, want only [%s]", slugs, slug)
				}
			})
		})
	}
}

// TestEachParallelSubtests checks that fn may run parallel subtests against
// its store and that the store outlives them.
func TestEachParallelSubtests(t *testing.T) {
	const n = 6
	Each(t, func(t *testing.T, s *db.Store) {
		t.Parallel()
		ctx := context.Background()
		t.Run("group", func(t *testing.T) {
			for i := range n {
				t.Run(fmt.Sprint(i), func(t *testing.T) {
					t.Parallel()
					tx, err := s.Client.Tx(ctx)
					if err != nil {
						t.Fatal(err)
					}
					// Read before writing, the pattern that deadlocks
					// deferred SQLite transactions.
					tx.Environment.Query().CountX(ctx)
					slug := fmt.Sprintf("p-%d", i)
					if _, err := tx.Environment.Create().SetSlug(slug).SetDisplayName(slug).Save(ctx); err != nil {
						tx.Rollback()
						t.Fatal(err)
					}
					if err := tx.Commit(); err != nil {
						t.Fatal(err)
					}
				})
			}
		})
		if got := s.Client.Environment.Query().CountX(ctx); got != n {
			t.Errorf("environments after parallel subtests = %d, want %d", got, n)
		}
	})
}

// TestPostgresUsesOwnSchema checks that the store's tables live in the test
// schema, not in public, so dropping the schema removes them.
func TestPostgresUsesOwnSchema(t *testing.T) {
	var schema string
	t.Run("open", func(t *testing.T) {
		s := Open(t, Postgres)
		if err := s.DB.QueryRow(`SELECT current_schema()`).Scan(&schema); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(schema, "t_") {
			t.Fatalf("current_schema() = %q, want a t_ test schema", schema)
		}
		var tables int
		err := s.DB.QueryRow(`SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'environments'`, schema).Scan(&tables)
		if err != nil {
			t.Fatal(err)
		}
		if tables != 1 {
			t.Errorf("environments tables in %s = %d, want 1", schema, tables)
		}
	})
	if schema == "" {
		return // skipped or failed above
	}
	// The subtest's cleanups have run: the schema must be gone.
	var n int
	err := server(postgresURL()).admin.QueryRow(`SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1`, schema).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("schema %s still exists after cleanup", schema)
	}
}

func TestOpenSQLite(t *testing.T) {
	s := Open(t, SQLite)
	var mode string
	if err := s.DB.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
}

func TestBackends(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want []string
	}{
		{"", []string{SQLite, Postgres}},
		{"sqlite", []string{SQLite}},
		{" Postgres , sqlite,postgres,", []string{Postgres, SQLite}},
		{"sqlite,mysql", []string{SQLite, "mysql"}},
	} {
		t.Setenv("TEST_BACKENDS", tc.env)
		if got := Backends(); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("TEST_BACKENDS=%q: Backends() = %q, want %q", tc.env, got, tc.want)
		}
	}
}

func TestOpenSkipsUnselectedBackend(t *testing.T) {
	t.Setenv("TEST_BACKENDS", SQLite)
	var skipped bool
	t.Run("postgres", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		Open(t, Postgres)
		t.Error("Open returned for a backend TEST_BACKENDS leaves out")
	})
	if !skipped {
		t.Error("Open did not skip")
	}
}

// fakeTB records how unreachable reports, without stopping the test.
type fakeTB struct {
	testing.TB
	mu          sync.Mutex
	fatal, skip bool
	msg         string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatal(args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fatal, f.msg = true, fmt.Sprint(args...)
}
func (f *fakeTB) Skip(args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.skip, f.msg = true, fmt.Sprint(args...)
}

func TestUnreachablePostgres(t *testing.T) {
	// Nothing listens on port 1; the URL is new, so the check runs afresh.
	t.Setenv("TEST_DATABASE_URL", "postgres://nobody:pw@127.0.0.1:1/test?sslmode=disable&connect_timeout=2")
	t.Setenv("TEST_BACKENDS", Postgres)

	t.Run("skips locally", func(t *testing.T) {
		t.Setenv("CI", "")
		var skipped bool
		t.Run("postgres", func(t *testing.T) {
			defer func() { skipped = t.Skipped() }()
			Open(t, Postgres)
		})
		if !skipped {
			t.Error("unreachable PostgreSQL did not skip")
		}
	})

	t.Run("fails on CI", func(t *testing.T) {
		t.Setenv("CI", "true")
		f := &fakeTB{}
		openPostgres(f)
		if !f.fatal || f.skip {
			t.Errorf("fatal = %v, skip = %v; want a failure when CI=true", f.fatal, f.skip)
		}
		for _, want := range []string{"PostgreSQL not reachable at postgres://nobody:xxxxx@127.0.0.1:1/", "set TEST_DATABASE_URL"} {
			if !strings.Contains(f.msg, want) {
				t.Errorf("message %q lacks %q", f.msg, want)
			}
		}
		if strings.Contains(f.msg, ":pw@") {
			t.Errorf("message leaks the password: %q", f.msg)
		}
	})
}

// TestFileURIKeepsSpecialCharacters checks that a path with URI
// metacharacters (as in the temp dir of a repeated subtest, "name#01")
// opens that very file rather than a truncated path.
func TestFileURIKeepsSpecialCharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a#01 b?c%d.db")
	s, err := db.Open(context.Background(), fileURI(path))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var seq int
	var name, file string
	if err := s.DB.QueryRow(`PRAGMA database_list`).Scan(&seq, &name, &file); err != nil {
		t.Fatal(err)
	}
	if file != path {
		t.Errorf("opened %q, want %q", file, path)
	}
}
