package db_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// TestPoolKeepsItsConnections: under more concurrent requests than the
// pool holds, no connection is closed for want of an idle slot (each new
// one would cost PostgreSQL a backend and every statement parsed again).
func TestPoolKeepsItsConnections(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		ctx := context.Background()
		var wg sync.WaitGroup
		for g := 0; g < 40; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 50; i++ {
					if _, err := st.Client.Environment.Query().Count(ctx); err != nil {
						t.Error(err)
						return
					}
					// A request's own work between statements: the
					// moments a returned connection finds no one waiting.
					time.Sleep(time.Duration(i%3) * time.Millisecond)
				}
			}()
		}
		wg.Wait()
		if s := st.DB.Stats(); s.MaxIdleClosed != 0 {
			t.Fatalf("%d connections closed for want of an idle slot (%d open at most)", s.MaxIdleClosed, s.MaxOpenConnections)
		}
	})
}
