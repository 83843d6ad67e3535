package entitlements_test

import (
	"testing"

	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/promotionalentitlement"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/entitlements"
	"github.com/stigg-selfhost/stiggql/internal/sqlcount"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// TestStatementsDoNotGrow: computing a customer's entitlements costs the
// same number of statements whatever the number of add-ons, grants and
// usage counters: no query per item.
func TestStatementsDoNotGrow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		f := newFixture(t, st)
		for _, c := range []struct {
			id     string
			addons []subscription.AddonQuantity
			grants []string
			usage  []string
		}{
			{"small", []subscription.AddonQuantity{{RefID: "more-seats", Quantity: 1}}, []string{"sso"}, []string{"calls"}},
			{"big", []subscription.AddonQuantity{{RefID: "more-seats", Quantity: 4}, {RefID: "more-calls", Quantity: 2}},
				[]string{"sso", "dashboards", "level"}, []string{"calls", "seats"}},
		} {
			f.customer(t, c.id)
			f.subscribe(t, subscription.Input{CustomerID: c.id, PlanID: "pro", SkipTrial: true, Addons: c.addons})
			cu := st.Client.Customer.Query().Where(customer.CustomerID(c.id)).OnlyX(f.ctx)
			for _, g := range c.grants {
				st.Client.PromotionalEntitlement.Create().SetEnvironmentID(f.env).SetCustomerID(cu.ID).SetFeatureRefID(g).
					SetGrantPeriod(promotionalentitlement.GrantPeriodLIFETIME).SetStartDate(t0).ExecX(f.ctx)
			}
			for _, u := range c.usage {
				if _, err := f.svc.ReportUsage(f.ctx, f.env, []entitlements.UsageReport{{CustomerRefID: c.id, FeatureRefID: u, Value: 1}}); err != nil {
					t.Fatal(err)
				}
			}
		}
		counter := &sqlcount.Counter{}
		counted := testdb.Reopen(t, st, db.WithDriver(counter.Wrap))
		svc := entitlements.New(counted.Client, f.clk)
		cost := func(id string) int64 {
			before := counter.Count()
			s, err := svc.ForCustomer(f.ctx, f.env, id, nil)
			if err != nil || len(s.Entitlements) == 0 {
				t.Fatalf("%s: %v", id, err)
			}
			return counter.Count() - before
		}
		small, big := cost("small"), cost("big")
		if small != big || small > 15 {
			t.Fatalf("statements: %d for the small customer, %d for the big one; want the same, at most 15", small, big)
		}
		t.Logf("%d statements", small)
	})
}
