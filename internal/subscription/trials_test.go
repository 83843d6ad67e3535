package subscription_test

import (
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
)

// TestTrialRemainingDays: a started day of trial counts whole, and only a
// subscription in trial now has days left.
func TestTrialRemainingDays(t *testing.T) {
	now := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	for _, tc := range []struct {
		name string
		s    *ent.CustomerSubscription
		days int
		ok   bool
	}{
		{"13.5 days left", &ent.CustomerSubscription{Status: subscription.InTrial, StartDate: now.AddDate(0, 0, -1), TrialEndDate: at(13*24*time.Hour + 12*time.Hour)}, 14, true},
		{"one hour left", &ent.CustomerSubscription{Status: subscription.InTrial, StartDate: now.AddDate(0, 0, -1), TrialEndDate: at(time.Hour)}, 1, true},
		{"trial over", &ent.CustomerSubscription{Status: subscription.InTrial, StartDate: now.AddDate(0, 0, -15), TrialEndDate: at(-time.Hour)}, 0, false},
		{"no trial", &ent.CustomerSubscription{Status: subscription.Active, StartDate: now.AddDate(0, 0, -1)}, 0, false},
		{"cancelled in trial", &ent.CustomerSubscription{Status: subscription.Canceled, StartDate: now.AddDate(0, 0, -1), TrialEndDate: at(48 * time.Hour)}, 0, false},
	} {
		days, ok := subscription.TrialRemainingDays(tc.s, now)
		if days != tc.days || ok != tc.ok {
			t.Errorf("%s: %d %v, want %d %v", tc.name, days, ok, tc.days, tc.ok)
		}
	}
}
