package customers_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/customers"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// TestBulkImportIsAllOrNothing fails the import inside its transaction, after
// whole chunks were already inserted, and checks nothing was kept.
func TestBulkImportIsAllOrNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		ctx := context.Background()
		env, err := st.Client.Environment.Create().SetSlug("e").SetDisplayName("E").Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		boom := errors.New("injected failure")
		created := 0
		svc := customers.New(st.Client, clock.NewManual(time.Now()), func(ctx context.Context, tx *ent.Tx, op customers.Op, c *ent.Customer) error {
			created++
			if created == 1200 {
				return boom
			}
			return nil
		})
		in := make([]customers.ImportInput, 1500)
		for i := range in {
			in[i] = customers.ImportInput{CustomerID: fmt.Sprintf("c%d", i)}
		}
		if _, err := svc.ImportBulk(ctx, env.ID, in); !errors.Is(err, boom) {
			t.Fatalf("err = %v, want injected failure", err)
		}
		if n, err := st.Client.Customer.Query().Count(ctx); err != nil || n != 0 {
			t.Fatalf("%d customers kept after a failed import (err %v)", n, err)
		}
	})
}

// TestConcurrentCreatesOfOneSlug races creates of the same customerId: the
// partial unique index lets exactly one win, the rest get a coded error.
func TestConcurrentCreatesOfOneSlug(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		ctx := context.Background()
		env, err := st.Client.Environment.Create().SetSlug("e").SetDisplayName("E").Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		svc := customers.New(st.Client, clock.System{})
		const n = 8
		errs := make(chan error, n)
		for i := 0; i < n; i++ {
			go func() {
				_, err := svc.Create(ctx, env.ID, customers.CreateInput{CustomerID: "race"})
				errs <- err
			}()
		}
		ok := 0
		for i := 0; i < n; i++ {
			err := <-errs
			switch code := fmt.Sprint(err); {
			case err == nil:
				ok++
			case code != "":
				if e, isApp := asApp(err); !isApp || e != "DuplicatedEntityNotAllowed" {
					t.Fatalf("unexpected error: %v", err)
				}
			}
		}
		if ok != 1 {
			t.Fatalf("%d creates succeeded, want 1", ok)
		}
	})
}

func asApp(err error) (string, bool) {
	if ae, ok := apperr.As(err); ok {
		return string(ae.Code), true
	}
	return "", false
}
