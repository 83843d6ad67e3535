package db_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/sqlbatch"
	"github.com/stigg-selfhost/stiggql/internal/sqlcount"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// TestBatchScansAsEnt: statements sent as one batch (a pgx batch on
// PostgreSQL, one by one on SQLite) scan into exactly what ent's own
// queries return, for every kind of column (NULLs, JSON, UUIDs, times,
// numbers, booleans), through the driver stack the server uses (statement
// counting, JSON repair); the batch counts one round trip on PostgreSQL;
// a failing statement fails the batch with the database's error and
// leaves the pool usable.
func TestBatchScansAsEnt(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		ctx := context.Background()
		env, err := st.Client.Environment.Create().SetSlug("batch").SetDisplayName("batch").Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		month, year, no := 7, 2031, false
		if _, err := st.Client.Customer.Create().SetEnvironmentID(env.ID).SetCustomerID("full").
			SetName("Ann").SetEmail("ann@example.org").SetAdditionalMetaData(map[string]any{"tier": "gold", "n": 3.5}).
			SetDefaultPaymentExpirationMonth(month).SetDefaultPaymentExpirationYear(year).
			SetExcludeFromExperiment(no).Save(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Client.Customer.Create().SetEnvironmentID(env.ID).SetCustomerID("bare").Save(ctx); err != nil {
			t.Fatal(err)
		}
		counter := &sqlcount.Counter{}
		drv := counter.Wrap(st.Driver)
		client := ent.NewClient(ent.Driver(drv))
		some := client.Customer.Query().Where(customer.CustomerID("full"))
		some.Select(customer.FieldID, customer.FieldEmail)
		queries := []*ent.CustomerQuery{
			client.Customer.Query().Where(customer.EnvironmentID(env.ID)).Order(ent.Asc(customer.FieldCustomerID)),
			some,
			client.Customer.Query().Where(customer.CustomerID("none")),
		}
		want := make([][]*ent.Customer, len(queries))
		for i, q := range queries {
			if want[i], err = q.Clone().All(ctx); err != nil {
				t.Fatal(err)
			}
		}
		got := make([][]*ent.Customer, len(queries))
		var qs []sqlbatch.Query
		for i, q := range queries {
			text, args, err := q.Render(ctx)
			if err != nil {
				t.Fatal(err)
			}
			qs = append(qs, sqlbatch.Query{SQL: text, Args: args, Scan: func(rows *entsql.Rows) (err error) {
				got[i], err = q.ScanRendered(rows)
				return err
			}})
		}
		counter.Reset()
		if err := sqlbatch.Run(ctx, drv, qs); err != nil {
			t.Fatal(err)
		}
		// ent's nodes hold a function (never DeepEqual): compare their
		// JSON, every field with its exact value and time zone.
		if g, w := jsonOf(t, got), jsonOf(t, want); g != w {
			t.Fatalf("batched:\n%s\nplain:\n%s", g, w)
		}
		wantTrips := int64(len(qs))
		if st.Dialect == dialect.Postgres {
			wantTrips = 1
		}
		if counter.Count() != int64(len(qs)) || counter.RoundTrips() != wantTrips {
			t.Fatalf("counted %d statements in %d round trips; want %d in %d", counter.Count(), counter.RoundTrips(), len(qs), wantTrips)
		}
		if sqlbatch.Pipelines(drv) != (st.Dialect == dialect.Postgres) {
			t.Fatalf("Pipelines() = %v on %s", sqlbatch.Pipelines(drv), st.Dialect)
		}

		bad := append([]sqlbatch.Query{qs[0]}, sqlbatch.Query{SQL: "SELECT no_such_column FROM customers", Scan: func(*entsql.Rows) error { return nil }})
		err = sqlbatch.Run(ctx, drv, bad)
		var pgErr *pgconn.PgError
		if err == nil || (st.Dialect == dialect.Postgres && !errors.As(err, &pgErr)) {
			t.Fatalf("a failing statement: err = %v", err)
		}
		for i := 0; i < 20; i++ { // more than the pool holds: every connection still answers
			if _, err := client.Customer.Query().Count(ctx); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
