package subscription_test

import (
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionaddon"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionschedule"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

func (fx *fixture) pending(t *testing.T, sub *ent.CustomerSubscription) []*ent.SubscriptionSchedule {
	t.Helper()
	m, err := subscription.ScheduledUpdates(fx.ctx, fx.st.Client, []uuid.UUID{sub.ID})
	if err != nil {
		t.Fatal(err)
	}
	return m[sub.ID]
}

func (fx *fixture) addons(t *testing.T, sub *ent.CustomerSubscription) map[string]float64 {
	t.Helper()
	rows, err := fx.st.Client.SubscriptionAddon.Query().Where(subscriptionaddon.SubscriptionID(sub.ID)).WithAddon().All(fx.ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, r := range rows {
		out[r.Edges.Addon.RefID] = r.Quantity
	}
	return out
}

func (fx *fixture) applyDue(t *testing.T) int {
	t.Helper()
	n, err := fx.svc.ApplyDue(fx.ctx, fx.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestScheduledUpdateRunsAtPeriodEnd: an update scheduled for the end of
// the billing period is recorded, shown, priced into the next invoice,
// left alone until then, and applied when the clock reaches it.
func TestScheduledUpdateRunsAtPeriodEnd(t *testing.T) {
	may1 := april1.AddDate(0, 1, 0)
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		fx := newFixture(t, st)
		sub := fx.provision(t, subscription.Input{CustomerID: "c1", PlanID: "plan-basic",
			Addons: []subscription.AddonQuantity{{RefID: "addon-extra", Quantity: 2}}}).Subscription
		fx.clock.Set(time.Date(2026, 4, 10, 9, 0, 0, 0, time.UTC))
		_, err := fx.svc.Update(fx.ctx, fx.env, sub.RefID, subscription.Patch{
			Addons: &[]subscription.AddonQuantity{}, CouponRefID: ptr("coupon-5"), Schedule: ptr(subscription.StrategyEndOfPeriod)})
		if err != nil {
			t.Fatal(err)
		}
		// Changes due at the same time touch different things: their order
		// among themselves is not defined.
		got := map[subscriptionschedule.ScheduleType]*ent.SubscriptionSchedule{}
		for _, p := range fx.pending(t, sub) {
			got[p.ScheduleType] = p
		}
		addon, cp := got[subscriptionschedule.ScheduleTypeAddon], got[subscriptionschedule.ScheduleTypeCoupon]
		if len(got) != 2 || addon == nil || *addon.Change.AddonQuantity != 0 || addon.Change.AddonRefID != "addon-extra" ||
			cp == nil || cp.Change.CouponRefID != "coupon-5" || !addon.ExecuteAt.Equal(may1) || !cp.ExecuteAt.Equal(may1) {
			t.Fatalf("scheduled: %+v", got)
		}
		if a := fx.addons(t, sub); a["addon-extra"] != 2 {
			t.Fatalf("applied before its time: %v", a)
		}
		// The May invoice already leaves the add-on out: 30.
		inv, err := fx.svc.PreviewNextInvoice(fx.ctx, fx.env, sub.RefID)
		if err != nil || inv.SubTotal != 30 {
			t.Fatalf("next invoice %+v, %v", inv, err)
		}
		fx.clock.Set(may1.Add(-time.Second))
		if n := fx.applyDue(t); n != 0 {
			t.Fatalf("%d applied a second early", n)
		}
		fx.clock.Set(may1)
		if n := fx.applyDue(t); n != 2 {
			t.Fatalf("%d applied at the period end, want 2", n)
		}
		after, err := fx.st.Client.CustomerSubscription.Get(fx.ctx, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		if a := fx.addons(t, sub); len(a) != 0 || after.CouponID == nil {
			t.Fatalf("after: add-ons %v coupon %v", a, after.CouponID)
		}
		if p := fx.pending(t, sub); len(p) != 0 {
			t.Fatalf("still pending: %+v", p)
		}
		if n := fx.applyDue(t); n != 0 {
			t.Fatalf("ran again: %d", n)
		}
	})
}

// TestScheduleReplaceCancelAndEnd: a new schedule of the same change
// replaces the pending one; cancelSchedule removes them; a subscription
// cancelled before the time leaves its schedule Canceled, not applied.
func TestScheduleReplaceCancelAndEnd(t *testing.T) {
	may1 := april1.AddDate(0, 1, 0)
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		fx := newFixture(t, st)
		sub := fx.provision(t, subscription.Input{CustomerID: "c1", PlanID: "plan-basic"}).Subscription
		schedule := func(q float64) {
			t.Helper()
			if _, err := fx.svc.Update(fx.ctx, fx.env, sub.RefID, subscription.Patch{
				Addons: &[]subscription.AddonQuantity{{RefID: "addon-extra", Quantity: q}}, Schedule: ptr(subscription.StrategyEndOfPeriod)}); err != nil {
				t.Fatal(err)
			}
		}
		schedule(3)
		schedule(1)
		if p := fx.pending(t, sub); len(p) != 1 || *p[0].Change.AddonQuantity != 1 {
			t.Fatalf("pending %+v", p)
		}
		if n, err := fx.svc.CancelSchedules(fx.ctx, fx.env, sub.RefID, nil); err != nil || n != 1 {
			t.Fatalf("cancelled %d, %v", n, err)
		}
		fx.clock.Set(may1)
		if n := fx.applyDue(t); n != 0 || len(fx.addons(t, sub)) != 0 {
			t.Fatalf("a cancelled schedule ran")
		}

		// Bad changes are refused when scheduled, not when run.
		if _, err := fx.svc.Update(fx.ctx, fx.env, sub.RefID, subscription.Patch{
			Addons: &[]subscription.AddonQuantity{{RefID: "addon-extra", Quantity: 50}}, Schedule: ptr(subscription.StrategyEndOfPeriod)}); code(err) != "AddonQuantityExceedsLimitError" {
			t.Fatalf("err %v", err)
		}
		if _, err := fx.svc.Update(fx.ctx, fx.env, sub.RefID, subscription.Patch{Schedule: ptr("SOMETIME")}); code(err) != "BadUserInput" {
			t.Fatalf("err %v", err)
		}

		schedule(2)
		if _, err := fx.svc.Cancel(fx.ctx, fx.env, subscription.CancelInput{RefID: sub.RefID}); err != nil {
			t.Fatal(err)
		}
		fx.clock.Set(may1.AddDate(0, 1, 0))
		fx.applyDue(t)
		rows := fx.st.Client.SubscriptionSchedule.Query().Where(subscriptionschedule.SubscriptionID(sub.ID)).
			Order(ent.Asc(subscriptionschedule.FieldCreatedAt), ent.Asc(subscriptionschedule.FieldExecuteAt)).AllX(fx.ctx)
		last := rows[len(rows)-1]
		if last.Status != subscriptionschedule.StatusCanceled || last.Error == nil || len(fx.addons(t, sub)) != 0 {
			t.Fatalf("schedule of an ended subscription: %+v", last)
		}
	})
}

// TestScheduleEndOfBillingMonth: an annual subscription's change at the
// end of the billing month runs at the next monthly anniversary.
func TestScheduleEndOfBillingMonth(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		fx := newFixture(t, st)
		sub := fx.provision(t, subscription.Input{CustomerID: "c1", PlanID: "plan-basic", BillingPeriod: ptr("ANNUALLY")}).Subscription
		fx.clock.Set(time.Date(2026, 6, 20, 0, 0, 0, 0, time.UTC))
		if _, err := fx.svc.Update(fx.ctx, fx.env, sub.RefID, subscription.Patch{
			Addons: &[]subscription.AddonQuantity{{RefID: "addon-extra", Quantity: 1}}, Schedule: ptr(subscription.StrategyEndOfMonth)}); err != nil {
			t.Fatal(err)
		}
		if p := fx.pending(t, sub); len(p) != 1 || !p[0].ExecuteAt.Equal(time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("pending %+v", p)
		}
	})
}

// TestApplyDueConcurrently runs the worker on four "replicas" at once:
// every due schedule runs exactly once.
func TestApplyDueConcurrently(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		fx := newFixture(t, st)
		var subs []*ent.CustomerSubscription
		for i := 0; i < 6; i++ {
			c := "c1"
			if i%2 == 1 {
				c = "c2"
			}
			// plan-multi allows several subscriptions per customer, but has
			// no add-ons: use metadata changes.
			subs = append(subs, fx.provision(t, subscription.Input{CustomerID: c, PlanID: "plan-multi"}).Subscription)
		}
		for i, s := range subs {
			if _, err := fx.svc.Update(fx.ctx, fx.env, s.RefID, subscription.Patch{
				Metadata: map[string]any{"n": i}, Schedule: ptr(subscription.StrategyEndOfPeriod)}); err != nil {
				t.Fatal(err)
			}
		}
		fx.clock.Set(april1.AddDate(0, 1, 0))
		var wg sync.WaitGroup
		var mu sync.Mutex
		total := 0
		for r := 0; r < 4; r++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := fx.svc.ApplyDue(fx.ctx, fx.clock.Now())
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				total += n
				mu.Unlock()
			}()
		}
		wg.Wait()
		if total != len(subs) {
			t.Fatalf("ran %d schedules in all, want %d", total, len(subs))
		}
		for i, s := range subs {
			got := fx.st.Client.CustomerSubscription.GetX(fx.ctx, s.ID)
			if n, _ := got.AdditionalMetaData["n"].(float64); int(n) != i {
				t.Fatalf("subscription %d metadata %v", i, got.AdditionalMetaData)
			}
		}
	})
}
