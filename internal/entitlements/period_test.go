package entitlements

import (
	"testing"
	"time"
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestUsagePeriod checks the period math against hand-computed bounds.
func TestUsagePeriod(t *testing.T) {
	cases := []struct {
		name        string
		anchor, now string
		period      ResetPeriod
		cfg         ResetConfig
		start, end  string
	}{
		{"month, mid-period", "2026-01-15T10:00:00Z", "2026-03-20T00:00:00Z", Month, ResetConfig{}, "2026-03-15T10:00:00Z", "2026-04-15T10:00:00Z"},
		{"month, exactly at a boundary starts the new period", "2026-01-15T10:00:00Z", "2026-02-15T10:00:00Z", Month, ResetConfig{}, "2026-02-15T10:00:00Z", "2026-03-15T10:00:00Z"},
		{"month, one microsecond before the boundary", "2026-01-15T10:00:00Z", "2026-02-15T09:59:59.999999Z", Month, ResetConfig{}, "2026-01-15T10:00:00Z", "2026-02-15T10:00:00Z"},
		{"month, anchor on the 31st clamps to February", "2026-01-31T00:00:00Z", "2026-02-28T12:00:00Z", Month, ResetConfig{}, "2026-02-28T00:00:00Z", "2026-03-31T00:00:00Z"},
		{"month, anchor on the 31st, April", "2026-01-31T00:00:00Z", "2026-04-30T00:00:00Z", Month, ResetConfig{}, "2026-04-30T00:00:00Z", "2026-05-31T00:00:00Z"},
		{"month, leap February", "2028-01-30T00:00:00Z", "2028-03-01T00:00:00Z", Month, ResetConfig{}, "2028-02-29T00:00:00Z", "2028-03-30T00:00:00Z"},
		{"month, across a year", "2025-11-05T00:00:00Z", "2026-01-10T00:00:00Z", Month, ResetConfig{}, "2026-01-05T00:00:00Z", "2026-02-05T00:00:00Z"},
		{"month, start of the month", "2026-01-15T10:00:00Z", "2026-03-20T00:00:00Z", Month, ResetConfig{MonthlyAccordingTo: StartOfTheMonth}, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"},
		{"year", "2024-02-29T00:00:00Z", "2026-06-01T00:00:00Z", Year, ResetConfig{}, "2026-02-28T00:00:00Z", "2027-02-28T00:00:00Z"},
		{"year, before the first anniversary", "2026-03-01T00:00:00Z", "2026-12-31T00:00:00Z", Year, ResetConfig{}, "2026-03-01T00:00:00Z", "2027-03-01T00:00:00Z"},
		{"week from the anchor", "2026-01-01T08:00:00Z", "2026-01-15T07:59:00Z", Week, ResetConfig{}, "2026-01-08T08:00:00Z", "2026-01-15T08:00:00Z"},
		{"week, every Monday", "2026-01-01T08:00:00Z", "2026-01-16T07:59:00Z", Week, ResetConfig{WeeklyAccordingTo: "EveryMonday"}, "2026-01-12T00:00:00Z", "2026-01-19T00:00:00Z"},
		{"week, every Friday on a Friday", "2026-01-01T08:00:00Z", "2026-01-16T00:00:00Z", Week, ResetConfig{WeeklyAccordingTo: "EveryFriday"}, "2026-01-16T00:00:00Z", "2026-01-23T00:00:00Z"},
		{"day", "2026-01-01T08:30:00Z", "2026-01-03T08:29:00Z", Day, ResetConfig{}, "2026-01-02T08:30:00Z", "2026-01-03T08:30:00Z"},
		{"hour", "2026-01-01T08:30:00Z", "2026-01-01T11:45:00Z", Hour, ResetConfig{}, "2026-01-01T11:30:00Z", "2026-01-01T12:30:00Z"},
		{"before the anchor", "2026-05-10T00:00:00Z", "2026-05-01T00:00:00Z", Month, ResetConfig{}, "2026-04-10T00:00:00Z", "2026-05-10T00:00:00Z"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start, end := UsagePeriod(ts(c.anchor), ts(c.now), c.period, c.cfg)
			if !start.Equal(ts(c.start)) || !end.Equal(ts(c.end)) {
				t.Errorf("got [%s, %s), want [%s, %s)", start.Format(time.RFC3339Nano), end.Format(time.RFC3339Nano), c.start, c.end)
			}
		})
	}
}
