package entitlements_test

import (
	"context"

	"encoding/json"
	"fmt"
	"github.com/google/uuid"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/feature"
	"github.com/stigg-selfhost/stiggql/ent/packageentitlement"
	"github.com/stigg-selfhost/stiggql/ent/plan"
	"github.com/stigg-selfhost/stiggql/ent/promotionalentitlement"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/entitlements"
	"github.com/stigg-selfhost/stiggql/internal/promotions"
	"github.com/stigg-selfhost/stiggql/internal/sqlcount"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// replica is a second server on the fixture's database, with the cache on:
// writes go through the fixture's services (the other replica), checks
// through this one, and its statements are counted.
type replica struct {
	svc     *entitlements.Service
	counter *sqlcount.Counter
}

func newReplica(t *testing.T, f *fixture) *replica {
	t.Helper()
	counter := &sqlcount.Counter{}
	other := testdb.Reopen(t, f.st, db.WithDriver(counter.Wrap))
	svc := entitlements.New(other.Client, f.clk)
	svc.EnableCache(f.st.Dialect, 0)
	return &replica{svc: svc, counter: counter}
}

// view is what a State answers, with features by refId, for comparison.
func view(t *testing.T, st *entitlements.State) string {
	t.Helper()
	type ent struct {
		Feature string
		entitlements.Entitlement
	}
	out := struct {
		Customer     string
		Reason       entitlements.AccessDeniedReason
		Archived     bool
		Active       int
		At           time.Time
		Entitlements []ent
	}{Reason: st.AccessDeniedReason, Archived: st.Archived, Active: st.ActiveSubscriptions, At: st.At.UTC()}
	if st.Customer != nil {
		name := ""
		if st.Customer.Name != nil {
			name = *st.Customer.Name
		}
		out.Customer = fmt.Sprint(st.Customer.ID, st.Customer.UpdatedAt.UTC(), name)
	}
	for _, e := range st.Entitlements {
		cp := *e
		cp.Feature = nil
		out.Entitlements = append(out.Entitlements, ent{Feature: e.Feature.RefID, Entitlement: cp})
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// same fails unless the replica's (cached) answer for the customer equals
// the uncached computation, for all features and for a check of each.
func (r *replica) same(t *testing.T, f *fixture, customerID string, resourceID *string) {
	t.Helper()
	got, err := r.svc.ForCustomer(f.ctx, f.env, customerID, resourceID)
	if err != nil {
		t.Fatal(err)
	}
	want, err := f.svc.ForCustomer(f.ctx, f.env, customerID, resourceID)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := view(t, got), view(t, want); g != w {
		t.Fatalf("%s: cached\n%s\nuncached\n%s", customerID, g, w)
	}
	for _, ref := range []string{"sso", "level", "dashboards", "seats", "calls", "exports", "nope"} {
		used := 1.0
		g, err := r.svc.Check(f.ctx, f.env, customerID, resourceID, ref, &used, []string{"chat"})
		if err != nil {
			t.Fatal(err)
		}
		w, err := f.svc.Check(f.ctx, f.env, customerID, resourceID, ref, &used, []string{"chat"})
		if err != nil {
			t.Fatal(err)
		}
		if g.IsGranted != w.IsGranted || g.AccessDeniedReason != w.AccessDeniedReason || fmt.Sprint(g.CurrentUsage) != fmt.Sprint(w.CurrentUsage) &&
			(g.CurrentUsage == nil || w.CurrentUsage == nil || *g.CurrentUsage != *w.CurrentUsage) {
			t.Fatalf("%s %s: cached check %+v, uncached %+v", customerID, ref, g, w)
		}
	}
}

// warm reads the customer twice through the replica and checks that the
// second read is one statement (no event-metered usage) or two.
func (r *replica) warm(t *testing.T, f *fixture, customerID string) {
	t.Helper()
	r.same(t, f, customerID, nil)
	before := r.counter.Count()
	if _, err := r.svc.ForCustomer(f.ctx, f.env, customerID, nil); err != nil {
		t.Fatal(err)
	}
	if n := r.counter.Count() - before; n > 2 {
		t.Fatalf("%s: a cached read cost %d statements, want at most 2 (versions with counters, events)", customerID, n)
	}
}

func (f *fixture) report(t *testing.T, customerID, featureID string, v float64) {
	t.Helper()
	if _, err := f.svc.ReportUsage(f.ctx, f.env, []entitlements.UsageReport{{CustomerRefID: customerID, FeatureRefID: featureID, Value: v}}); err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

// TestCacheSeesEveryWrite: for every kind of write that changes a
// customer's entitlements, made through one server, the next read through
// another server whose cache held the customer answers as the uncached
// computation does. Both customers of a write that touches two are
// compared.
func TestCacheSeesEveryWrite(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		f := newFixture(t, st)
		r := newReplica(t, f)
		promos := promotions.New(st.Client, f.clk, func(context.Context, *ent.Tx, uuid.UUID, string) error { return nil })
		for _, c := range []struct {
			name  string
			write func(t *testing.T, id, other string, sub *ent.CustomerSubscription) error
		}{
			{"usage reported", func(t *testing.T, id, _ string, _ *ent.CustomerSubscription) error {
				f.report(t, id, "calls", 7)
				_, err := f.svc.ReportEvents(f.ctx, f.env, []entitlements.Event{{CustomerRefID: id, EventName: "export",
					IdempotencyKey: id + "-e1", Dimensions: map[string]any{"rows": 12.0}}})
				return err
			}},
			{"subscription created", func(t *testing.T, _, other string, _ *ent.CustomerSubscription) error {
				_, err := f.subs.Provision(f.ctx, f.env, subscription.Input{CustomerID: other, PlanID: "basic"})
				return err
			}},
			{"subscription updated", func(t *testing.T, _, _ string, sub *ent.CustomerSubscription) error {
				_, err := f.subs.Update(f.ctx, f.env, sub.RefID, subscription.Patch{Addons: &[]subscription.AddonQuantity{{RefID: "more-calls", Quantity: 3}}})
				return err
			}},
			{"subscription cancelled", func(t *testing.T, _, _ string, sub *ent.CustomerSubscription) error {
				_, err := f.subs.Cancel(f.ctx, f.env, subscription.CancelInput{RefID: sub.RefID})
				return err
			}},
			{"subscription transferred to a resource", func(t *testing.T, _, _ string, sub *ent.CustomerSubscription) error {
				_, err := f.subs.TransferToResource(f.ctx, f.env, sub.RefID, ptr("site-1"))
				return err
			}},
			{"subscription delegated", func(t *testing.T, _, other string, sub *ent.CustomerSubscription) error {
				_, err := f.subs.Delegate(f.ctx, f.env, sub.RefID, other)
				return err
			}},
			{"subscription imported", func(t *testing.T, _, other string, _ *ent.CustomerSubscription) error {
				_, err := f.subs.ImportBulk(f.ctx, f.env, []subscription.Input{{CustomerID: other, PlanID: "pro", SkipTrial: true}})
				return err
			}},
			{"plan version migrated", func(t *testing.T, _, _ string, sub *ent.CustomerSubscription) error {
				basic := st.Client.Plan.Query().Where(plan.EnvironmentID(f.env), plan.RefID("basic")).OnlyX(f.ctx)
				return st.Client.CustomerSubscription.UpdateOneID(sub.ID).SetPlanID(basic.ID).Exec(f.ctx)
			}},
			{"entitlement override written alone", func(t *testing.T, _, _ string, sub *ent.CustomerSubscription) error {
				// Only the override row: its own triggers must bump the version.
				dash := st.Client.Feature.Query().Where(feature.EnvironmentID(f.env), feature.RefID("dashboards")).OnlyX(f.ctx)
				return st.Client.SubscriptionEntitlementOverride.Create().SetEnvironmentID(f.env).
					SetSubscriptionID(sub.ID).SetFeatureID(dash.ID).SetUsageLimit(777).Exec(f.ctx)
			}},
			{"promotional grant", func(t *testing.T, id, _ string, _ *ent.CustomerSubscription) error {
				_, err := promos.Grant(f.ctx, f.env, id, []promotions.Grant{{FeatureRefID: "dashboards", Period: promotionalentitlement.GrantPeriodONE_MONTH, UsageLimit: ptr(50.0)}})
				return err
			}},
			{"promotional grant revoked", func(t *testing.T, id, _ string, _ *ent.CustomerSubscription) error {
				_, err := promos.Revoke(f.ctx, f.env, id, "sso")
				return err
			}},
			{"promotional group granted", func(t *testing.T, id, _ string, _ *ent.CustomerSubscription) error {
				_, err := promos.GrantGroup(f.ctx, f.env, id, "g1", []promotions.Grant{{FeatureRefID: "seats", Period: promotionalentitlement.GrantPeriodLIFETIME, UsageLimit: ptr(40.0)}})
				return err
			}},
			{"customer updated", func(t *testing.T, id, _ string, _ *ent.CustomerSubscription) error {
				return st.Client.Customer.Update().Where(customer.EnvironmentID(f.env), customer.CustomerID(id)).SetName("renamed").Exec(f.ctx)
			}},
			{"customer archived", func(t *testing.T, id, _ string, _ *ent.CustomerSubscription) error {
				_, err := f.custs.Archive(f.ctx, f.env, id)
				return err
			}},
			{"customer deleted", func(t *testing.T, id, _ string, _ *ent.CustomerSubscription) error {
				_, err := st.Client.Customer.Delete().Where(customer.EnvironmentID(f.env), customer.CustomerID(id)).Exec(f.ctx)
				return err
			}},
			{"catalog changed", func(t *testing.T, _, _ string, _ *ent.CustomerSubscription) error {
				dash := st.Client.Feature.Query().Where(feature.EnvironmentID(f.env), feature.RefID("dashboards")).OnlyX(f.ctx)
				return st.Client.PackageEntitlement.Update().Where(packageentitlement.FeatureID(dash.ID)).SetUsageLimit(9).Exec(f.ctx)
			}},
			{"clock past the trial", func(t *testing.T, _, _ string, _ *ent.CustomerSubscription) error {
				f.clk.Advance(15 * 24 * time.Hour)
				return nil
			}},
		} {
			t.Run(c.name, func(t *testing.T) {
				id := fmt.Sprintf("c-%x", rand.Uint32())
				other := id + "-other"
				f.customer(t, id)
				f.customer(t, other)
				sub := f.subscribe(t, subscription.Input{CustomerID: id, PlanID: "pro", Addons: []subscription.AddonQuantity{{RefID: "more-seats", Quantity: 2}}})
				if _, err := promos.Grant(f.ctx, f.env, id, []promotions.Grant{{FeatureRefID: "sso", Period: promotionalentitlement.GrantPeriodLIFETIME}}); err != nil {
					t.Fatal(err)
				}
				f.report(t, id, "calls", 3)
				r.warm(t, f, id)
				r.warm(t, f, other)
				before := view(t, mustState(t, f, r.svc, id))
				if err := c.write(t, id, other, sub); err != nil {
					t.Fatal(err)
				}
				r.same(t, f, id, nil)
				r.same(t, f, id, ptr("site-1"))
				r.same(t, f, other, nil)
				if c.name != "customer updated" && view(t, mustState(t, f, r.svc, id)) == before && view(t, mustState(t, f, r.svc, other)) == before {
					t.Fatalf("the write changed nothing the test can see")
				}
			})
		}
	})
}

func mustState(t *testing.T, f *fixture, svc *entitlements.Service, id string) *entitlements.State {
	t.Helper()
	st, err := svc.ForCustomer(f.ctx, f.env, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestCacheExpiresByTime: an entry is not used past the first instant at
// which the computation changes by time alone (a usage period ends, a
// grant ends, a trial ends, a subscription starts), with the Manual clock,
// and is used before it.
func TestCacheExpiresByTime(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		f := newFixture(t, st)
		r := newReplica(t, f)
		promos := promotions.New(st.Client, f.clk, func(context.Context, *ent.Tx, uuid.UUID, string) error { return nil })
		f.customer(t, "trial")
		f.subscribe(t, subscription.Input{CustomerID: "trial", PlanID: "pro"}) // 14-day trial that cancels
		if _, err := promos.Grant(f.ctx, f.env, "trial", []promotions.Grant{{FeatureRefID: "dashboards", Period: promotionalentitlement.GrantPeriodONE_WEEK, UsageLimit: ptr(40.0)}}); err != nil {
			t.Fatal(err)
		}
		f.report(t, "trial", "calls", 5)
		f.customer(t, "later")
		f.subscribe(t, subscription.Input{CustomerID: "later", PlanID: "basic", StartDate: ptr(t0.Add(36 * time.Hour))})
		for _, step := range []struct {
			name    string
			advance time.Duration
			// the entries still valid: trial's, later's
			hit [2]bool
		}{
			{"start", 0, [2]bool{false, false}},
			{"within the day", 23 * time.Hour, [2]bool{true, true}},
			{"next daily usage period", 2 * time.Hour, [2]bool{false, true}},
			{"later customer's start", 12 * time.Hour, [2]bool{true, false}},
			{"grant ended", 6 * 24 * time.Hour, [2]bool{false, false}},
			{"trial ended", 7 * 24 * time.Hour, [2]bool{false, false}},
		} {
			f.clk.Advance(step.advance)
			for i, id := range []string{"trial", "later"} {
				before := r.counter.Count()
				got := view(t, mustState(t, f, r.svc, id))
				n := r.counter.Count() - before
				if want := view(t, mustState(t, f, f.svc, id)); got != want {
					t.Fatalf("%s, %s: cached\n%s\nuncached\n%s", step.name, id, got, want)
				}
				if step.hit[i] != (n <= 2) {
					t.Fatalf("%s, %s: %d statements, want a cached read: %v", step.name, id, n, step.hit[i])
				}
				r.same(t, f, id, nil)
			}
		}
	})
}

// TestCacheEqualsComputation: over random writes, usage and clock moves,
// every read through the cache answers as the uncached computation.
func TestCacheEqualsComputation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		f := newFixture(t, st)
		r := newReplica(t, f)
		promos := promotions.New(st.Client, f.clk, func(context.Context, *ent.Tx, uuid.UUID, string) error { return nil })
		rng := rand.New(rand.NewPCG(17, uint64(len(st.Dialect))))
		ids := []string{"p0", "p1", "p2"}
		subs := map[string]*ent.CustomerSubscription{}
		for _, id := range ids {
			f.customer(t, id)
		}
		features := []string{"sso", "dashboards", "seats", "calls", "level"}
		plans := []string{"basic", "pro"}
		for i := range 60 {
			id := ids[rng.IntN(len(ids))]
			var err error
			op := rng.IntN(8)
			switch op {
			case 0:
				var res *subscription.Result
				res, err = f.subs.Provision(f.ctx, f.env, subscription.Input{CustomerID: id, PlanID: plans[rng.IntN(2)], SkipTrial: rng.IntN(2) == 0})
				if err == nil {
					subs[id] = res.Subscription
				}
			case 1:
				if s := subs[id]; s != nil {
					_, err = f.subs.Update(f.ctx, f.env, s.RefID, subscription.Patch{Addons: &[]subscription.AddonQuantity{{RefID: "more-calls", Quantity: float64(1 + rng.IntN(4))}}})
				}
			case 2:
				if s := subs[id]; s != nil {
					_, err = f.subs.Cancel(f.ctx, f.env, subscription.CancelInput{RefID: s.RefID})
					delete(subs, id)
				}
			case 3:
				periods := []promotionalentitlement.GrantPeriod{promotionalentitlement.GrantPeriodONE_WEEK, promotionalentitlement.GrantPeriodONE_MONTH, promotionalentitlement.GrantPeriodLIFETIME}
				_, err = promos.Grant(f.ctx, f.env, id, []promotions.Grant{{FeatureRefID: features[rng.IntN(len(features))],
					Period: periods[rng.IntN(len(periods))], UsageLimit: ptr(float64(rng.IntN(100)))}})
			case 4:
				_, err = promos.Revoke(f.ctx, f.env, id, features[rng.IntN(len(features))])
			case 5, 6:
				_, err = f.svc.ReportUsage(f.ctx, f.env, []entitlements.UsageReport{{CustomerRefID: id, FeatureRefID: []string{"calls", "seats"}[rng.IntN(2)], Value: float64(rng.IntN(5))}})
			case 7:
				f.clk.Advance(time.Duration(rng.IntN(10*24)) * time.Hour)
			}
			if err != nil {
				t.Logf("op %d (%d) on %s: %v", i, op, id, err) // a refused write (e.g. no such grant) is fine
			}
			for _, c := range ids {
				r.same(t, f, c, nil)
			}
		}
	})
}

// TestInvalidate: Invalidate, the hook for writes the version triggers do
// not see, makes the next read through any replica compute again.
func TestInvalidate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		f := newFixture(t, st)
		r := newReplica(t, f)
		f.customer(t, "inv")
		f.subscribe(t, subscription.Input{CustomerID: "inv", PlanID: "basic"})
		r.warm(t, f, "inv")
		tx, err := st.Client.Tx(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := entitlements.Invalidate(f.ctx, tx, st.Dialect, f.env, "inv", "never-seen"); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		before := r.counter.Count()
		mustState(t, f, r.svc, "inv")
		if n := r.counter.Count() - before; n <= 2 {
			t.Fatalf("%d statements after Invalidate: the cached entry was used", n)
		}
		r.warm(t, f, "inv")
	})
}
