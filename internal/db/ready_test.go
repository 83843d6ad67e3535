package db_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

func TestReady(t *testing.T) {
	ctx := context.Background()
	testdb.Each(t, func(t *testing.T, s *db.Store) {
		if err := s.Ready(ctx); err != nil {
			t.Fatalf("migrated store not ready: %v", err)
		}
	})

	t.Run("not migrated", func(t *testing.T) {
		s, err := db.Open(ctx, "file:"+filepath.Join(t.TempDir(), "empty.db"), db.WithoutMigrate())
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Ready(ctx); !errors.Is(err, db.ErrNotMigrated) {
			t.Fatalf("Ready = %v, want ErrNotMigrated", err)
		}
	})
}

// countingDriver counts the statements run through it.
type countingDriver struct {
	dialect.Driver
	n *int
}

func (d countingDriver) Query(ctx context.Context, q string, args, v any) error {
	*d.n++
	return d.Driver.Query(ctx, q, args, v)
}

func TestWithDriver(t *testing.T) {
	ctx := context.Background()
	var n int
	s, err := db.Open(ctx, "file:"+filepath.Join(t.TempDir(), "w.db"),
		db.WithDriver(func(d dialect.Driver) dialect.Driver { return countingDriver{d, &n} }))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	before := n
	if _, err := s.Client.Customer.Query().Count(ctx); err != nil {
		t.Fatal(err)
	}
	if n != before+1 {
		t.Errorf("the wrapped driver saw %d queries, want 1", n-before)
	}
}
