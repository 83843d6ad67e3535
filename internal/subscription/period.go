package subscription

import (
	"time"

	"github.com/stigg-selfhost/stiggql/ent"
)

// step is the length of one billing period: a year for annual billing, a
// month otherwise (free subscriptions renew monthly, as Stigg shows them).
func step(s *ent.CustomerSubscription) int {
	if s.BillingPeriod != nil && *s.BillingPeriod == "ANNUALLY" {
		return 12
	}
	return 1
}

// CurrentPeriod is the billing period of s containing now, computed on read
// like the status: a trial is one period (start to trial end); after it,
// or without one, periods of a month or a year follow each other from the
// anchor (the one billingCycleAnchor NOW set, else trial end, else start date). Before the start it is the first
// period; after the subscription ended, the period it ended in. The end is
// cut at the effective end date.
func CurrentPeriod(s *ent.CustomerSubscription, now time.Time) (start, end time.Time) {
	if s.EffectiveEndDate != nil && !now.Before(*s.EffectiveEndDate) {
		now = s.EffectiveEndDate.Add(-time.Microsecond)
	}
	anchor := s.StartDate
	if s.TrialEndDate != nil {
		if now.Before(*s.TrialEndDate) && s.BillingCycleAnchor == nil {
			return clip(s, s.StartDate, *s.TrialEndDate)
		}
		anchor = *s.TrialEndDate
	}
	if s.BillingCycleAnchor != nil {
		anchor = *s.BillingCycleAnchor
	}
	months := step(s)
	if now.Before(anchor) {
		return clip(s, anchor, anchor.AddDate(0, months, 0))
	}
	k := ((now.Year()-anchor.Year())*12 + int(now.Month()) - int(anchor.Month())) / months
	for k > 0 && anchor.AddDate(0, k*months, 0).After(now) {
		k--
	}
	for !anchor.AddDate(0, (k+1)*months, 0).After(now) {
		k++
	}
	return clip(s, anchor.AddDate(0, k*months, 0), anchor.AddDate(0, (k+1)*months, 0))
}

func clip(s *ent.CustomerSubscription, start, end time.Time) (time.Time, time.Time) {
	if s.EffectiveEndDate != nil && s.EffectiveEndDate.Before(end) && s.EffectiveEndDate.After(start) {
		end = *s.EffectiveEndDate
	}
	return start, end
}

// firstPeriod is the period stored when a subscription is written: the
// columns keep it for sorting and filtering, while reads use CurrentPeriod.
func firstPeriod(s *ent.CustomerSubscription) (time.Time, time.Time) {
	return CurrentPeriod(s, s.StartDate)
}

// BillingCycleAnchor is the day s's billing periods start from: the anchor
// set by billingCycleAnchor NOW, else the trial end, else the start date.
func BillingCycleAnchor(s *ent.CustomerSubscription) time.Time {
	if s.BillingCycleAnchor != nil {
		return *s.BillingCycleAnchor
	}
	if s.TrialEndDate != nil {
		return *s.TrialEndDate
	}
	return s.StartDate
}
