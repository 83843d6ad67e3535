package subscription_test

import (
	entsql "entgo.io/ent/dialect/sql"
	"fmt"
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/sqlcount"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

func (fx *fixture) customers(t *testing.T, n int) {
	t.Helper()
	for i := 0; i < n; i += 1000 {
		b := make([]*ent.CustomerCreate, 0, 1000)
		for j := i; j < min(n, i+1000); j++ {
			b = append(b, fx.st.Client.Customer.Create().SetEnvironmentID(fx.env).SetCustomerID(fmt.Sprintf("bulk-%d", j)).
				SetCreatedAt(april1).SetUpdatedAt(april1))
		}
		if err := fx.st.Client.Customer.CreateBulk(b...).Exec(fx.ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// TestImportBulk checks that one bad entry anywhere leaves nothing
// written, with provisioning's code, then imports 10 000 subscriptions of
// every kind in one call (under two seconds on SQLite, even on a busy test
// machine) and checks what was written.
func TestImportBulk(t *testing.T) {
	const n = 10_000
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		fx := newFixture(t, st)
		fx.customers(t, n)
		// c1 already has Basic: the import's Pro replaces it.
		old := fx.provision(t, subscription.Input{CustomerID: "c1", PlanID: "plan-basic"}).Subscription
		in := make([]subscription.Input, 0, n+1)
		for i := 0; i < n; i++ {
			x := subscription.Input{CustomerID: fmt.Sprintf("bulk-%d", i), PlanID: "plan-basic", RefID: ptr(fmt.Sprintf("imp-%d", i))}
			switch i % 4 {
			case 1:
				x.PlanID, x.UnitQuantity = "plan-seats", ptr(3.0)
			case 2:
				x.Addons = []subscription.AddonQuantity{{RefID: "addon-extra", Quantity: 2}}
			case 3:
				x.BillingPeriod = ptr("ANNUALLY")
			}
			in = append(in, x)
		}
		in = append(in, subscription.Input{CustomerID: "c1", PlanID: "plan-pro", RefID: ptr("imp-c1")})

		bad := append([]subscription.Input{}, in...)
		bad[n-1] = subscription.Input{CustomerID: "bulk-1", PlanID: "plan-basic", Addons: []subscription.AddonQuantity{{RefID: "addon-extra", Quantity: 9}}}
		if _, err := fx.svc.ImportBulk(fx.ctx, fx.env, bad); code(err) != "AddonQuantityExceedsLimitError" {
			t.Fatalf("bad entry: %v", err)
		}
		bad[n-1] = subscription.Input{CustomerID: "nobody", PlanID: "plan-basic"}
		if _, err := fx.svc.ImportBulk(fx.ctx, fx.env, bad); code(err) != "CustomerNotFound" {
			t.Fatalf("unknown customer: %v", err)
		}
		bad[n-1] = subscription.Input{CustomerID: "bulk-1", PlanID: "plan-basic", RefID: ptr("imp-3")}
		if _, err := fx.svc.ImportBulk(fx.ctx, fx.env, bad); code(err) != "DuplicatedEntityNotAllowed" {
			t.Fatalf("duplicate id: %v", err)
		}
		if got := st.Client.CustomerSubscription.Query().CountX(fx.ctx); got != 1 {
			t.Fatalf("a failed import left %d subscriptions", got-1)
		}

		if st.Dialect == "postgres" {
			// As autovacuum would after 10 000 new customers: the planner
			// needs the table's statistics to use its indexes.
			if _, err := st.DB.ExecContext(fx.ctx, "ANALYZE customers"); err != nil {
				t.Fatal(err)
			}
		}
		// What keeps the import fast is batching: a bounded number of
		// statements per 500 entries, never a statement per entry. Counted,
		// because a time limit fails on a busy machine; the time is logged
		// (1.3-1.6 s on SQLite at a load average of 13-18 on 2 cores).
		var counter sqlcount.Counter
		drv := st.Driver
		if drv == nil {
			drv = entsql.OpenDB(st.Dialect, st.DB)
		}
		svc := subscription.New(ent.NewClient(ent.Driver(counter.Wrap(drv))), fx.clock)
		start := time.Now()
		got, err := svc.ImportBulk(fx.ctx, fx.env, in)
		took := time.Since(start)
		if err != nil || got != n+1 {
			t.Fatalf("import: %d, %v", got, err)
		}
		t.Logf("%s: %d subscriptions imported in %v with %d statements", st.Dialect, n+1, took, counter.Count())
		if limit := int64(20 + 8*(n/500+1)); counter.Count() > limit {
			t.Errorf("importing %d subscriptions ran %d statements, want at most %d", n+1, counter.Count(), limit)
		}
		if c := st.Client.CustomerSubscription.Query().Where(customersubscription.RefIDHasPrefix("imp-")).CountX(fx.ctx); c != n+1 {
			t.Fatalf("%d imported rows", c)
		}
		if c := st.Client.SubscriptionAddon.Query().CountX(fx.ctx); c != n/4 {
			t.Fatalf("%d add-on rows, want %d", c, n/4)
		}
		seats := st.Client.CustomerSubscription.Query().Where(customersubscription.RefID("imp-1")).QueryPrices().OnlyX(fx.ctx)
		if seats.UsageLimit == nil || *seats.UsageLimit != 3 {
			t.Fatalf("seats %+v", seats)
		}
		if o := st.Client.CustomerSubscription.GetX(fx.ctx, old.ID); o.CancelReason == nil || *o.CancelReason != subscription.ReasonUpgradeOrDowngrade {
			t.Fatalf("replaced subscription: %+v", o)
		}
	})
}
