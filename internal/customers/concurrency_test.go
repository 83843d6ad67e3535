package customers_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/schema/schematype"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/customers"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// concurrently runs fn(i) for i in [0, n) at once and returns their errors.
func concurrently(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			start.Wait()
			errs[i] = fn(i)
		}()
	}
	start.Done()
	done.Wait()
	return errs
}

// succeeded counts nil errors and fails t on any error whose code is not
// one of allowed.
func succeeded(t *testing.T, errs []error, allowed ...string) int {
	t.Helper()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		code, _ := asApp(err)
		if !contains(allowed, code) {
			t.Errorf("unexpected error (code %q): %v", code, err)
		}
	}
	return ok
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func newEnv(t *testing.T, st *db.Store) uuid.UUID {
	t.Helper()
	env, err := st.Client.Environment.Create().SetSlug("e").SetDisplayName("E").Save(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return env.ID
}

// TestConcurrentArchiveSucceedsOnce is issue 12's reproducer: of 50
// concurrent archives of one customer exactly one succeeds (PostgreSQL let
// 5-20 through before the row was locked), and of 50 concurrent unarchives
// exactly one.
func TestConcurrentArchiveSucceedsOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		ctx := context.Background()
		env := newEnv(t, st)
		svc := customers.New(st.Client, clock.System{})
		if _, err := svc.Create(ctx, env, customers.CreateInput{CustomerID: "z"}); err != nil {
			t.Fatal(err)
		}
		errs := concurrently(50, func(int) error {
			_, err := svc.Archive(ctx, env, "z")
			return err
		})
		if n := succeeded(t, errs, "CustomerNotFound"); n != 1 {
			t.Fatalf("%d of 50 concurrent archives succeeded, want 1", n)
		}
		errs = concurrently(50, func(int) error {
			_, err := svc.Unarchive(ctx, env, "z")
			return err
		})
		if n := succeeded(t, errs, "CustomerNotFound", "DuplicatedEntityNotAllowed"); n != 1 {
			t.Fatalf("%d of 50 concurrent unarchives succeeded, want 1", n)
		}
	})
}

// TestArchiveRacingUpdates races one archive with 49 updates of name and
// email: whatever the order, the archived row ends with both cleared (an
// update that committed after the archive used to write them back), and
// every update that reports success ran before the archive.
func TestArchiveRacingUpdates(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		ctx := context.Background()
		env := newEnv(t, st)
		svc := customers.New(st.Client, clock.System{})
		for round := range 3 {
			id := fmt.Sprintf("r%d", round)
			if _, err := svc.Create(ctx, env, customers.CreateInput{CustomerID: id}); err != nil {
				t.Fatal(err)
			}
			errs := concurrently(50, func(i int) error {
				if i == 25 {
					_, err := svc.Archive(ctx, env, id)
					return err
				}
				name, email := fmt.Sprintf("n%d", i), fmt.Sprintf("u%d@example.com", i)
				_, err := svc.Update(ctx, env, id, customers.Patch{
					Name: graphql.OmittableOf(&name), Email: graphql.OmittableOf(&email),
				})
				return err
			})
			if errs[25] != nil {
				t.Fatalf("archive: %v", errs[25])
			}
			succeeded(t, errs, "CustomerNotFound")
			c, err := st.Client.Customer.Query().Where(customer.CustomerID(id)).Only(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if c.DeletedAt == nil || c.Name != nil || c.Email != nil {
				t.Fatalf("round %d: archived row has deletedAt %v, name %v, email %v; want archived with both cleared",
					round, c.DeletedAt, deref(c.Name), deref(c.Email))
			}
		}
	})
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// TestConcurrentBillingInfoPatchesLoseNothing sends concurrent partial
// billingInformation updates, each setting a different field: every field
// must survive (a merge computed from a stale read used to drop one).
func TestConcurrentBillingInfoPatchesLoseNothing(t *testing.T) {
	str := func(s string) *string { return &s }
	patches := []schematype.BillingInfo{
		{CustomerName: str("Acme")},
		{Language: str("fr")},
		{Timezone: str("Europe/Paris")},
		{BillingAddress: &schematype.Address{City: str("Paris")}},
		{ShippingAddress: &schematype.Address{City: str("Lyon")}},
		{Metadata: map[string]any{"m": "1"}},
		{InvoiceCustomFields: map[string]any{"f": "1"}},
	}
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		ctx := context.Background()
		env := newEnv(t, st)
		svc := customers.New(st.Client, clock.System{})
		for round := range 3 {
			id := fmt.Sprintf("b%d", round)
			if _, err := svc.Create(ctx, env, customers.CreateInput{CustomerID: id}); err != nil {
				t.Fatal(err)
			}
			errs := concurrently(len(patches), func(i int) error {
				_, err := svc.Update(ctx, env, id, customers.Patch{BillingInfo: &patches[i]})
				return err
			})
			if ok := succeeded(t, errs); ok != len(patches) {
				t.Fatalf("%d of %d updates succeeded", ok, len(patches))
			}
			c, err := svc.Get(ctx, env, id)
			if err != nil {
				t.Fatal(err)
			}
			b := c.BillingInfo
			if b == nil || b.CustomerName == nil || b.Language == nil || b.Timezone == nil ||
				b.BillingAddress == nil || b.ShippingAddress == nil || b.Metadata == nil || b.InvoiceCustomFields == nil {
				t.Fatalf("round %d: a concurrent billingInformation update was lost: %+v", round, b)
			}
		}
	})
}
