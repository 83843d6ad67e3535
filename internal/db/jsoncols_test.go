package db_test

import (
	"context"
	"encoding/json"
	"testing"

	"entgo.io/ent/dialect"
	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/schema"
	"github.com/stigg-selfhost/stiggql/ent/schema/schematype"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/customers"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// TestCheckJSON runs the write check over a value of every Go type a JSON
// column holds (ent/schema's field.JSON types): each must pass when
// well-formed and fail with a number out of range or a NUL character.
func TestCheckJSON(t *testing.T) {
	huge := json.Number("1e400")
	nul := "a\x00b"
	for _, tc := range []struct {
		name      string
		good, bad any
	}{
		{"metadata", map[string]any{"n": 1.5, "s": "x"}, map[string]any{"n": huge}},
		{"metadata NUL", map[string]any{"s": "x"}, map[string]any{"s": nul}},
		{"nested metadata", map[string]any{"a": []any{map[string]any{"n": json.Number("1e300")}}}, map[string]any{"a": []any{map[string]any{"n": json.Number("-1E+400")}}}},
		{"billing info", &schematype.BillingInfo{Metadata: map[string]any{"n": 1}}, &schematype.BillingInfo{Metadata: map[string]any{"n": huge}}},
		{"billing info NUL", &schematype.BillingInfo{CustomerName: &nul}, &schematype.BillingInfo{CustomerName: &nul}},
		{"price tiers", []schema.PriceTier{{}}, nil},
		{"amounts off", []schema.Money{{}}, nil},
		{"enum values", []schema.EnumValue{{}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name != "billing info NUL" {
				if err := db.CheckJSON(tc.good); err != nil {
					t.Errorf("CheckJSON(%#v) = %v, want nil", tc.good, err)
				}
			}
			if tc.bad != nil {
				if err := db.CheckJSON(tc.bad); err == nil {
					t.Errorf("CheckJSON(%#v) = nil, want an error", tc.bad)
				}
			}
		})
	}
}

func newCustomer(t *testing.T, st *db.Store) (*customers.Service, uuid.UUID) {
	t.Helper()
	env, err := st.Client.Environment.Create().SetSlug("e").SetDisplayName("E").Save(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return customers.New(st.Client, clock.System{}), env.ID
}

// TestJSONColumnsRefuseWhatTheyCannotReadBack is issue 12's first
// reproducer: metadata holding 1e400 was committed and then every read of
// the customer failed. Now the write is refused with BadUserInput naming
// the field, on both databases, for create and update alike.
func TestJSONColumnsRefuseWhatTheyCannotReadBack(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		ctx := context.Background()
		svc, env := newCustomer(t, st)
		bad := map[string]any{"n": json.Number("1e400")}
		check := func(what string, err error, field string) {
			t.Helper()
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.BadUserInput || e.Field != field {
				t.Fatalf("%s: err = %v (%#v), want BadUserInput on %s", what, err, e, field)
			}
		}
		_, err := svc.Create(ctx, env, customers.CreateInput{CustomerID: "p", Fields: customers.Fields{Metadata: bad}})
		check("create", err, "additionalMetaData")
		_, err = svc.Create(ctx, env, customers.CreateInput{CustomerID: "p", Fields: customers.Fields{BillingInfo: &schematype.BillingInfo{Metadata: bad}}})
		check("create with billing info", err, "billingInfo")
		_, err = svc.ImportBulk(ctx, env, []customers.ImportInput{{CustomerID: "p", Fields: customers.Fields{Metadata: bad}}})
		check("bulk import", err, "additionalMetaData")
		if _, err := svc.Create(ctx, env, customers.CreateInput{CustomerID: "p"}); err != nil {
			t.Fatal(err)
		}
		_, err = svc.Update(ctx, env, "p", customers.Patch{Metadata: omittable(bad)})
		check("update", err, "additionalMetaData")
		_, err = svc.Update(ctx, env, "p", customers.Patch{Metadata: omittable(map[string]any{"s": "a\x00"})})
		check("update with NUL", err, "additionalMetaData")
		if _, err := svc.Archive(ctx, env, "p"); err != nil {
			t.Fatalf("archive after refused writes: %v", err)
		}
	})
}

// TestStoredUnreadableJSONDoesNotPoisonReads stores, behind the server's
// back, JSON it cannot decode (as rows written before the check exist):
// the customer stays readable, in a list too, updatable and archivable.
func TestStoredUnreadableJSONDoesNotPoisonReads(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		ctx := context.Background()
		svc, env := newCustomer(t, st)
		for _, id := range []string{"a", "p", "z"} {
			if _, err := svc.Create(ctx, env, customers.CreateInput{CustomerID: id}); err != nil {
				t.Fatal(err)
			}
		}
		q := `UPDATE customers SET additional_meta_data = '{"n":1e400,"s":"1e400","m":-2E+999}' WHERE customer_id = 'p'`
		if _, err := st.DB.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
		if st.Dialect == dialect.SQLite {
			// SQLite keeps any text; PostgreSQL's jsonb refuses this.
			if _, err := st.DB.ExecContext(ctx, `UPDATE customers SET billing_info = '{"customerName":' WHERE customer_id = 'p'`); err != nil {
				t.Fatal(err)
			}
		}
		c, err := svc.Get(ctx, env, "p")
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		if c.AdditionalMetaData["s"] != "1e400" || c.AdditionalMetaData["n"] == nil || c.AdditionalMetaData["m"] == nil {
			t.Fatalf("metadata read as %v, want the out-of-range numbers as strings and the rest as stored", c.AdditionalMetaData)
		}
		all, err := st.Client.Customer.Query().Where(customer.EnvironmentID(env)).All(ctx)
		if err != nil || len(all) != 3 {
			t.Fatalf("listing: %d customers, err %v", len(all), err)
		}
		if _, err := svc.Update(ctx, env, "p", customers.Patch{Metadata: omittable(map[string]any{"n": 1})}); err != nil {
			t.Fatalf("update: %v", err)
		}
		if _, err := svc.Archive(ctx, env, "p"); err != nil {
			t.Fatalf("archive: %v", err)
		}
	})
}

func omittable(m map[string]any) graphql.Omittable[map[string]any] { return graphql.OmittableOf(m) }
