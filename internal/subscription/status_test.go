package subscription_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/predicate"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// TestStatusRuleAgreesWithSQL writes subscriptions covering every
// combination of stored status and dates, then checks at many moments
// that each row matches the SQL predicate of exactly the status the Go
// function gives it.
func TestStatusRuleAgreesWithSQL(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		ctx := context.Background()
		c := st.Client
		env := c.Environment.Create().SetSlug("e").SetDisplayName("e").SaveX(ctx)
		prod := c.Product.Create().SetEnvironmentID(env.ID).SetRefID("p").SaveX(ctx)
		pl := c.Plan.Create().SetEnvironmentID(env.ID).SetRefID("pl").SetDisplayName("P").SetProductID(prod.ID).SaveX(ctx)
		cu := c.Customer.Create().SetEnvironmentID(env.ID).SetCustomerID("c").SaveX(ctx)
		at := func(d int) *time.Time { v := t0.Add(time.Duration(d) * 24 * time.Hour); return &v }
		dates := []*time.Time{nil, at(5), at(10)}
		n := 0
		for _, stored := range subscription.AllStatuses {
			for _, start := range []int{0, 5} {
				for _, trial := range dates {
					for _, end := range dates {
						for _, cancelled := range []bool{false, true} {
							q := c.CustomerSubscription.Create().SetEnvironmentID(env.ID).SetCustomerID(cu.ID).SetPlanID(pl.ID).
								SetRefID(fmt.Sprintf("s%d", n)).SetStatus(stored).SetStartDate(*at(start)).
								SetNillableTrialEndDate(trial).SetNillableEffectiveEndDate(end)
							if cancelled {
								q.SetCancellationDate(t0)
							}
							q.SaveX(ctx)
							n++
						}
					}
				}
			}
		}
		rows := c.CustomerSubscription.Query().AllX(ctx)
		for _, now := range []time.Time{t0, *at(3), *at(5), at(5).Add(-time.Microsecond), *at(7), *at(10), *at(20)} {
			want := map[string]subscription.Status{}
			for _, s := range rows {
				want[s.RefID] = subscription.EffectiveStatus(s, now)
			}
			got := map[string]subscription.Status{}
			for _, status := range subscription.AllStatuses {
				p := subscription.StatusPredicate(status, now)
				matched := c.CustomerSubscription.Query().Where(predicate.CustomerSubscription(func(s *sql.Selector) { s.Where(p(s)) })).AllX(ctx)
				for _, s := range matched {
					if prev, dup := got[s.RefID]; dup {
						t.Fatalf("at %s, %s matches %s and %s", now, s.RefID, prev, status)
					}
					got[s.RefID] = status
				}
			}
			for ref, w := range want {
				if got[ref] != w {
					s := find(rows, ref)
					t.Fatalf("at %s, %s (stored %s, start %s, trial %v, end %v, cancelled %v): Go says %s, SQL says %q",
						now, ref, s.Status, s.StartDate, s.TrialEndDate, s.EffectiveEndDate, s.CancellationDate != nil, w, got[ref])
				}
			}
			active := c.CustomerSubscription.Query().Where(predicate.CustomerSubscription(subscription.ActivePredicate(now))).CountX(ctx)
			wantActive := 0
			for _, s := range rows {
				if subscription.IsActive(s, now) {
					wantActive++
				}
			}
			if active != wantActive {
				t.Fatalf("at %s: %d active in SQL, %d in Go", now, active, wantActive)
			}
		}
	})
}

func find(rows []*ent.CustomerSubscription, ref string) *ent.CustomerSubscription {
	for _, s := range rows {
		if s.RefID == ref {
			return s
		}
	}
	return nil
}

func TestCurrentPeriod(t *testing.T) {
	month := "MONTHLY"
	year := "ANNUALLY"
	trialEnd := t0.AddDate(0, 0, 14)
	end := t0.AddDate(0, 2, 10)
	cases := []struct {
		name       string
		s          ent.CustomerSubscription
		now        time.Time
		start, end time.Time
	}{
		{"first month", ent.CustomerSubscription{StartDate: t0, BillingPeriod: &month}, t0.AddDate(0, 0, 3), t0, t0.AddDate(0, 1, 0)},
		{"third month", ent.CustomerSubscription{StartDate: t0, BillingPeriod: &month}, t0.AddDate(0, 2, 3), t0.AddDate(0, 2, 0), t0.AddDate(0, 3, 0)},
		{"on the boundary", ent.CustomerSubscription{StartDate: t0, BillingPeriod: &month}, t0.AddDate(0, 1, 0), t0.AddDate(0, 1, 0), t0.AddDate(0, 2, 0)},
		{"annual", ent.CustomerSubscription{StartDate: t0, BillingPeriod: &year}, t0.AddDate(1, 3, 0), t0.AddDate(1, 0, 0), t0.AddDate(2, 0, 0)},
		{"in trial", ent.CustomerSubscription{StartDate: t0, TrialEndDate: &trialEnd, BillingPeriod: &month}, t0.AddDate(0, 0, 3), t0, trialEnd},
		{"after trial", ent.CustomerSubscription{StartDate: t0, TrialEndDate: &trialEnd, BillingPeriod: &month}, t0.AddDate(0, 0, 20), trialEnd, trialEnd.AddDate(0, 1, 0)},
		{"cut at the end", ent.CustomerSubscription{StartDate: t0, EffectiveEndDate: &end}, t0.AddDate(0, 2, 3), t0.AddDate(0, 2, 0), end},
		{"after the end", ent.CustomerSubscription{StartDate: t0, EffectiveEndDate: &end}, t0.AddDate(1, 0, 0), t0.AddDate(0, 2, 0), end},
		{"not started", ent.CustomerSubscription{StartDate: t0}, t0.AddDate(0, 0, -3), t0, t0.AddDate(0, 1, 0)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, e := subscription.CurrentPeriod(&tc.s, tc.now)
			if !s.Equal(tc.start) || !e.Equal(tc.end) {
				t.Fatalf("got %s..%s, want %s..%s", s, e, tc.start, tc.end)
			}
		})
	}
}
