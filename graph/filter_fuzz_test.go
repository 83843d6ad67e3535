package graph

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/nestquery"
)

// FuzzCustomerFilter feeds arbitrary JSON, decoded as a CustomerFilter the
// way variables are, through the customer filter translation, then runs the
// resulting SQL on SQLite. Whatever the input, the translation must not
// panic, must refuse with BadUserInput or succeed, and what it accepts must
// be a statement the database runs: no syntax error, no "too many SQL
// variables", no "expression tree too large", no runtime error of LIKE.
//
//	go test ./graph -run '^$' -fuzz FuzzCustomerFilter -fuzztime 30s
func FuzzCustomerFilter(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`{"customerId": {"eq": "c-1"}}`,
		`{"or": [{"name": {"iLike": "%ACME%"}}, {"email": {"like": "a\\_%"}}], "deletedAt": {"is": null}}`,
		`{"and": [{"createdAt": {"between": {"lower": "2024-01-01T00:00:00Z", "upper": "2025-01-01T00:00:00Z"}}}, {"updatedAt": {"notBetween": {"lower": "2024-03-01T00:00:00Z", "upper": "2024-02-01T00:00:00Z"}}}]}`,
		`{"searchQuery": {"iLike": "%\\%%"}, "customerId": {"in": [], "notIn": []}}`,
		`{"subscriptions": {"status": {"in": ["ACTIVE", "IN_TRIAL"]}, "customer": {"name": {"isNot": null}}}}`,
		`{"promotionalEntitlements": {"status": {"eq": "EXPIRED"}, "or": [{"createdAt": {"gte": "2024-01-01T00:00:00Z"}}]}}`,
		`{"id": {"eq": "00000000-0000-0000-0000-000000000000"}, "environmentId": {"notIn": ["6f1c2a4e-0000-4000-8000-000000000001"]}}`,
		`{"name": {"gt": "m", "lte": "z", "notLike": "\\", "notILike": "%_"}}`,
		`{"and": [{"and": [{"and": [{"or": [{"subscriptions": {"and": [{"payingCustomer": {"email": {"eq": ""}}}]}}]}]}]}]}`,
		`{"billingId": {"is": true}}`,
		`{"promotionalEntitlements": {"status": {"like": "A%"}}}`,
	} {
		f.Add([]byte(seed))
	}

	st, err := db.Open(context.Background(), "file:"+filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = st.Close() })
	seedFilterRows(f, st)
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

	f.Fuzz(func(t *testing.T, data []byte) {
		var filter model.CustomerFilter
		if err := json.Unmarshal(data, &filter); err != nil {
			return // not a filter: refused by GraphQL's input coercion first
		}
		where, err := customerSpec.Where(&filter, nestquery.Env{Now: now})
		if err != nil {
			if e, ok := apperr.As(err); !ok || e.Code != apperr.BadUserInput {
				t.Fatalf("filter %s: error %v (%T) is not BadUserInput", data, err, err)
			}
			return
		}
		_ = nestquery.Mentions(&filter, "deletedAt")
		sel := sql.Dialect(dialect.SQLite).Select(customer.FieldID).From(sql.Table(customer.Table))
		where(sel)
		query, args := sel.Query()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rows, err := st.DB.QueryContext(ctx, query, args...)
		if err == nil {
			for rows.Next() {
			}
			err = rows.Err()
			rows.Close()
		}
		if err != nil {
			t.Fatalf("filter %s was accepted but its SQL fails: %v\n%s", data, err, query)
		}
	})
}

// seedFilterRows adds customers with subscriptions and promotional
// entitlements, so that predicates are evaluated on rows (SQLite checks
// some things, such as LIKE's ESCAPE, only then).
func seedFilterRows(f *testing.F, st *db.Store) {
	ctx := context.Background()
	c := st.Client
	env, err := c.Environment.Create().SetSlug("fuzz").SetDisplayName("fuzz").Save(ctx)
	if err != nil {
		f.Fatal(err)
	}
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	prod, err := c.Product.Create().SetEnvironmentID(env.ID).SetRefID("p").Save(ctx)
	if err != nil {
		f.Fatal(err)
	}
	plan, err := c.Plan.Create().SetEnvironmentID(env.ID).SetRefID("plan").SetDisplayName("Plan").SetProductID(prod.ID).Save(ctx)
	if err != nil {
		f.Fatal(err)
	}
	for i, name := range []string{"Acme", "acme 100%", `back\slash`, "ünïcode", ""} {
		cu, err := c.Customer.Create().SetEnvironmentID(env.ID).SetCustomerID("c-" + name).
			SetName(name).SetEmail(name + "@example.com").
			SetCreatedAt(t0.AddDate(0, i, 0)).SetUpdatedAt(t0.AddDate(0, i, 1)).Save(ctx)
		if err != nil {
			f.Fatal(err)
		}
		if _, err := c.CustomerSubscription.Create().SetEnvironmentID(env.ID).SetCustomerID(cu.ID).
			SetRefID("s-" + name).SetPlanID(plan.ID).SetStartDate(t0).SetCreatedAt(t0).SetUpdatedAt(t0).Save(ctx); err != nil {
			f.Fatal(err)
		}
		pe := c.PromotionalEntitlement.Create().SetEnvironmentID(env.ID).SetCustomerID(cu.ID).
			SetFeatureRefID("f-" + name).SetGrantPeriod("ONE_MONTH").SetStartDate(t0).SetCreatedAt(t0).SetUpdatedAt(t0)
		if i%2 == 0 {
			pe.SetEndDate(t0.AddDate(1, 0, 0))
		}
		if _, err := pe.Save(ctx); err != nil {
			f.Fatal(err)
		}
	}
}
