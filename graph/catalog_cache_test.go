package graph_test

import (
	"context"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/stigg-selfhost/stiggql/internal/apitest"
	"github.com/stigg-selfhost/stiggql/internal/catalog"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

const planViewDoc = `query($id: String!) { getCustomerByRefId(input: {customerId: $id}) {
	subscriptions { plan { refId displayName isLatest compatibleAddons { refId } } } } }`

// planView is the customer's first subscription's plan: display name,
// compatible add-ons and whether it is the latest version, as s serves it.
func planView(t *testing.T, s *apitest.Server, customer string) string {
	t.Helper()
	d := run(t, s, planViewDoc, map[string]any{"id": customer})
	p := jsonPath(t, d, "getCustomerByRefId", "subscriptions", 0, "plan")
	var addons []string
	for _, a := range jsonPath(t, p, "compatibleAddons").([]any) {
		addons = append(addons, jsonPath(t, a, "refId").(string))
	}
	latest := map[bool]string{true: "latest", false: "old"}[jsonPath(t, p, "isLatest").(bool)]
	return jsonPath(t, p, "displayName").(string) + " " + strings.Join(addons, ",") + " " + latest
}

// TestCatalogCacheFollowsWrites: the catalog is cached across requests,
// and every replica sees a catalog change on its next request, whether the
// change came from a catalog load or from SQL written by hand, including a
// change to the links between plans and add-ons alone.
func TestCatalogCacheFollowsWrites(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		ctx := context.Background()
		a := apitest.New(t, st)
		b := apitest.New(t, st) // a second replica on the same database
		a.LoadDemoCatalog()
		provision(t, a, a.Key, map[string]any{"customerId": "c1"})
		provisionSub(t, a, map[string]any{"customerId": "c1", "planId": "plan-revvenu-basic"})

		check := func(what, want string) {
			t.Helper()
			for name, s := range map[string]*apitest.Server{"a": a, "b": b} {
				if got := planView(t, s, "c1"); got != want {
					t.Fatalf("%s: replica %s serves %q, want %q", what, name, got, want)
				}
			}
		}
		check("demo catalog", "Basic addon-extra-seats latest")

		// Warm, the catalog costs no statement: the versions, the
		// customer, its subscriptions.
		a.Statements.Reset()
		planView(t, a, "c1")
		if n := a.Statements.Count(); n > 3 {
			t.Fatalf("a warm request sent %d statements, want 3", n)
		}

		// A catalog load changes the plan: a new version, the subscription
		// stays on the previous one, now no longer the latest.
		src := strings.Replace(string(catalog.DemoSource()), "displayName: Basic\n", "displayName: Basic v2\n", 1)
		f, err := catalog.Parse("changed.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := catalog.Apply(ctx, st.Client, a.Clock.Now(), f); err != nil {
			t.Fatal(err)
		}
		check("after a catalog load", "Basic addon-extra-seats old")

		// SQL written by hand to the link table alone.
		del := "DELETE FROM plan_compatible_addons WHERE plan_id IN (SELECT id FROM plans WHERE ref_id = ?)"
		if st.Dialect == dialect.Postgres {
			del = strings.Replace(del, "?", "$1", 1)
		}
		if _, err := st.DB.ExecContext(ctx, del, "plan-revvenu-basic"); err != nil {
			t.Fatal(err)
		}
		check("after a raw link delete", "Basic  old")
	})
}
