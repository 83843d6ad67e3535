package entitlements_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/entitlements"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

func points(s entitlements.Series) string {
	out := ""
	for _, p := range s.Points {
		r := ""
		if p.IsResetPoint {
			r = "*"
		}
		out += fmt.Sprintf("%s=%v%s ", p.Timestamp.Format("01-02"), p.Value, r)
	}
	return out
}

// TestHistory checks daily usage points, resets and groups against
// hand-computed values: calls reset monthly from the subscription's start
// (15 January 10:00).
func TestHistory(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		f := newFixture(t, st)
		f.customer(t, "acme")
		f.subscribe(t, subscription.Input{CustomerID: "acme", PlanID: "basic", SkipTrial: true})
		f.clk.Set(t0.AddDate(0, 2, 0))
		at := func(d time.Duration) *time.Time { v := t0.Add(d); return &v }
		for _, r := range []entitlements.UsageReport{
			{Value: 10, CreatedAt: at(time.Hour)},
			{Value: 5, CreatedAt: at(24 * time.Hour), Dimensions: map[string]any{"region": "eu"}},
			{Value: 7, CreatedAt: at(31*24*time.Hour + 2*time.Hour), Dimensions: map[string]any{"region": "us"}}, // 15 Feb 12:00, next period
			{Value: 1, CreatedAt: at(32 * 24 * time.Hour)},
		} {
			r.CustomerRefID, r.FeatureRefID = "acme", "calls"
			if _, err := f.svc.ReportUsage(f.ctx, f.env, []entitlements.UsageReport{r}); err != nil {
				t.Fatal(err)
			}
		}
		day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }
		end := day(1, 18)
		h, err := f.svc.History(f.ctx, f.env, entitlements.HistoryQuery{CustomerRefID: "acme", FeatureRefID: "calls", Start: day(1, 15), End: &end})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := points(h.Total), "01-15=10* 01-16=15 01-17=15 "; got != want {
			t.Errorf("January: %s, want %s", got, want)
		}
		end = day(2, 17)
		h, err = f.svc.History(f.ctx, f.env, entitlements.HistoryQuery{CustomerRefID: "acme", FeatureRefID: "calls", Start: day(2, 14), End: &end, GroupBy: []string{"region"}})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := points(h.Total), "02-14=15 02-15=7* 02-16=8 "; got != want {
			t.Errorf("February: %s, want %s", got, want)
		}
		if len(h.Markers) != 1 || !h.Markers[0].Timestamp.Equal(t0.AddDate(0, 1, 0)) {
			t.Errorf("markers %+v, want the reset of 15 February 10:00", h.Markers)
		}
		want := map[string]string{"": "02-14=10 02-15=0* 02-16=1 ", "eu": "02-14=5 02-15=0* 02-16=0 ", "us": "02-14=0 02-15=7* 02-16=7 "}
		if len(h.Groups) != 3 {
			t.Fatalf("%d groups, want 3", len(h.Groups))
		}
		for _, g := range h.Groups {
			if len(g.Tags) != 1 || g.Tags[0].Key != "region" || points(g) != want[g.Tags[0].Value] {
				t.Errorf("group %+v: %s, want %s", g.Tags, points(g), want[g.Tags[0].Value])
			}
		}
		// Hourly buckets for a short range; an explicit reset period.
		end = t0.Add(3 * time.Hour)
		daily := entitlements.Day
		h, err = f.svc.History(f.ctx, f.env, entitlements.HistoryQuery{CustomerRefID: "acme", FeatureRefID: "calls", Start: t0, End: &end, ResetPeriod: &daily})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := points(h.Total), "01-15=0* 01-15=10 01-15=10 "; got != want {
			t.Errorf("hourly: %s, want %s", got, want)
		}
		if _, err := f.svc.History(f.ctx, f.env, entitlements.HistoryQuery{CustomerRefID: "acme", FeatureRefID: "dashboards", Start: t0}); err == nil {
			t.Error("history of a feature that is not metered")
		}
	})
}
