package entitlements

import (
	"time"
)

// ResetPeriod is how often a metered entitlement's usage starts again from
// zero, as Stigg's EntitlementResetPeriod names it.
type ResetPeriod string

// The reset periods.
const (
	Hour  ResetPeriod = "HOUR"
	Day   ResetPeriod = "DAY"
	Week  ResetPeriod = "WEEK"
	Month ResetPeriod = "MONTH"
	Year  ResetPeriod = "YEAR"
)

// Valid reports whether p is one of the reset periods.
func (p ResetPeriod) Valid() bool {
	switch p {
	case Hour, Day, Week, Month, Year:
		return true
	}
	return false
}

// ResetConfig is the optional refinement of a reset period, as Stigg's
// ResetPeriodConfiguration: monthly usage may reset on the first of each
// month (StartOfTheMonth) and weekly usage on a given weekday
// (EveryMonday ... EverySunday) instead of on the anchor's cycle
// (SubscriptionStart, the default). Empty fields mean SubscriptionStart.
type ResetConfig struct {
	MonthlyAccordingTo string `json:"monthlyAccordingTo,omitempty"`
	WeeklyAccordingTo  string `json:"weeklyAccordingTo,omitempty"`
	YearlyAccordingTo  string `json:"yearlyAccordingTo,omitempty"`
}

// The ResetConfig values other than SubscriptionStart.
const (
	SubscriptionStart = "SubscriptionStart"
	StartOfTheMonth   = "StartOfTheMonth"
)

var weekdays = map[string]time.Weekday{
	"EverySunday": time.Sunday, "EveryMonday": time.Monday, "EveryTuesday": time.Tuesday,
	"EveryWednesday": time.Wednesday, "EveryThursday": time.Thursday, "EveryFriday": time.Friday,
	"EverySaturday": time.Saturday,
}

// ValidWeekly reports whether s is a WeeklyAccordingTo value.
func ValidWeekly(s string) bool { _, ok := weekdays[s]; return ok || s == SubscriptionStart }

// UsagePeriod is the usage period of a reset period containing now: the
// periods follow each other from anchor (the subscription's start, or a
// promotional grant's start), one reset period long each, as Stigg and its
// SDKs compute them (the SDK recomputes the same bounds from
// usagePeriodAnchor when a cached period ends). Months and years are
// calendar steps counted from the anchor, clamped to the end of a shorter
// month: an anchor on 31 January gives periods starting 28 (or 29)
// February, 31 March, 30 April. StartOfTheMonth and the weekday settings
// replace the anchor by the calendar (UTC). Before the anchor, the period
// is the one ending at the anchor.
func UsagePeriod(anchor, now time.Time, p ResetPeriod, cfg ResetConfig) (start, end time.Time) {
	anchor, now = anchor.UTC(), now.UTC()
	switch {
	case p == Month && cfg.MonthlyAccordingTo == StartOfTheMonth:
		anchor = time.Date(2000, time.January, 1, 0, 0, 0, 0, time.UTC)
	case p == Week && cfg.WeeklyAccordingTo != "" && cfg.WeeklyAccordingTo != SubscriptionStart:
		if wd, ok := weekdays[cfg.WeeklyAccordingTo]; ok {
			// 2000-01-02 was a Sunday.
			anchor = time.Date(2000, time.January, 2+int(wd), 0, 0, 0, 0, time.UTC)
		}
	}
	step := func(k int) time.Time { return addPeriods(anchor, p, k) }
	// An estimate of the number of whole periods, then exact steps.
	k := estimate(anchor, now, p)
	for step(k).After(now) {
		k--
	}
	for !step(k + 1).After(now) {
		k++
	}
	return step(k), step(k + 1)
}

// estimate is close to the number of periods between anchor and now.
func estimate(anchor, now time.Time, p ResetPeriod) int {
	d := now.Sub(anchor)
	switch p {
	case Hour:
		return int(d / time.Hour)
	case Day:
		return int(d / (24 * time.Hour))
	case Week:
		return int(d / (7 * 24 * time.Hour))
	case Month:
		return (now.Year()-anchor.Year())*12 + int(now.Month()) - int(anchor.Month())
	case Year:
		return now.Year() - anchor.Year()
	}
	return 0
}

// addPeriods is t plus k reset periods; months and years clamp the day to
// the target month's length, counted from t each time (so no drift).
func addPeriods(t time.Time, p ResetPeriod, k int) time.Time {
	switch p {
	case Hour:
		return t.Add(time.Duration(k) * time.Hour)
	case Day:
		return t.AddDate(0, 0, k)
	case Week:
		return t.AddDate(0, 0, 7*k)
	case Month:
		return addMonths(t, k)
	case Year:
		return addMonths(t, 12*k)
	}
	return t
}

func addMonths(t time.Time, k int) time.Time {
	first := time.Date(t.Year(), t.Month()+time.Month(k), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	day := t.Day()
	if last := daysIn(first.Year(), first.Month()); day > last {
		day = last
	}
	return first.AddDate(0, 0, day-1)
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
