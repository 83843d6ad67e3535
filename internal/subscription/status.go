package subscription

import (
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
)

// Status is a subscription status, as Stigg's SubscriptionStatus enum names it.
type Status = customersubscription.Status

// The statuses.
const (
	Active         = customersubscription.StatusACTIVE
	InTrial        = customersubscription.StatusIN_TRIAL
	NotStarted     = customersubscription.StatusNOT_STARTED
	Canceled       = customersubscription.StatusCANCELED
	Expired        = customersubscription.StatusEXPIRED
	PaymentPending = customersubscription.StatusPAYMENT_PENDING
)

// ActiveStatuses are the statuses that count as active: the customer has
// the plan's entitlements.
var ActiveStatuses = []Status{Active, InTrial}

// liveStatuses are the stored statuses whose effective status depends on the
// clock. The others (CANCELED, EXPIRED, PAYMENT_PENDING) were written by an
// operation and are final as stored.
var liveStatuses = []Status{Active, InTrial, NotStarted}

// EffectiveStatus is the status of s at now. It is the one definition of a
// subscription's status; StatusPredicate is the same rule in SQL, and the
// two must agree (status_test.go checks them against each other).
//
// The stored status is what the last operation wrote. A live one (ACTIVE,
// IN_TRIAL, NOT_STARTED) is re-derived from the dates, in this order:
//
//  1. effective_end_date reached: CANCELED when the subscription was
//     cancelled (cancellation_date set), EXPIRED otherwise (an end date
//     given at creation, or a trial that cancels when it ends);
//  2. start_date still ahead: NOT_STARTED;
//  3. trial_end_date still ahead: IN_TRIAL;
//  4. otherwise ACTIVE (a trial that converts to paid when it ends).
//
// A stored CANCELED, EXPIRED or PAYMENT_PENDING is returned as is. So no
// background job is needed: trials end and subscriptions expire on read.
func EffectiveStatus(s *ent.CustomerSubscription, now time.Time) Status {
	switch s.Status {
	case Canceled, Expired, PaymentPending:
		return s.Status
	}
	switch {
	case s.EffectiveEndDate != nil && !s.EffectiveEndDate.After(now):
		if s.CancellationDate != nil {
			return Canceled
		}
		return Expired
	case s.StartDate.After(now):
		return NotStarted
	case s.TrialEndDate != nil && s.TrialEndDate.After(now):
		return InTrial
	}
	return Active
}

// IsActive reports whether s is ACTIVE or IN_TRIAL at now.
func IsActive(s *ent.CustomerSubscription, now time.Time) bool {
	st := EffectiveStatus(s, now)
	return st == Active || st == InTrial
}

// StatusPredicate returns, for a status, the SQL condition on a
// subscription row (columns qualified through s.C, so it works on an
// aliased table in a subquery) that holds exactly when EffectiveStatus
// returns that status at now.
func StatusPredicate(status Status, now time.Time) func(s *sql.Selector) *sql.Predicate {
	return func(s *sql.Selector) *sql.Predicate {
		c := func(name string) string { return s.C(name) }
		stored := func(sts ...Status) *sql.Predicate {
			vals := make([]any, len(sts))
			for i, st := range sts {
				vals[i] = string(st)
			}
			return sql.In(c(customersubscription.FieldStatus), vals...)
		}
		end := c(customersubscription.FieldEffectiveEndDate)
		ended := sql.And(sql.NotNull(end), sql.LTE(end, now))
		running := sql.Or(sql.IsNull(end), sql.GT(end, now))
		started := sql.LTE(c(customersubscription.FieldStartDate), now)
		trial := c(customersubscription.FieldTrialEndDate)
		cancelled := sql.NotNull(c(customersubscription.FieldCancellationDate))
		live := stored(liveStatuses...)
		switch status {
		case Canceled:
			return sql.Or(stored(Canceled), sql.And(live, ended, cancelled))
		case Expired:
			return sql.Or(stored(Expired), sql.And(live, ended, sql.Not(cancelled)))
		case PaymentPending:
			return stored(PaymentPending)
		case NotStarted:
			return sql.And(live, running, sql.GT(c(customersubscription.FieldStartDate), now))
		case InTrial:
			return sql.And(live, running, started, sql.NotNull(trial), sql.GT(trial, now))
		case Active:
			return sql.And(live, running, started, sql.Or(sql.IsNull(trial), sql.LTE(trial, now)))
		}
		return sql.False()
	}
}

// ActivePredicate is the SQL form of IsActive, as an ent predicate.
func ActivePredicate(now time.Time) func(*sql.Selector) {
	return func(s *sql.Selector) {
		s.Where(sql.Or(StatusPredicate(Active, now)(s), StatusPredicate(InTrial, now)(s)))
	}
}

// AllStatuses lists every status.
var AllStatuses = []Status{Active, InTrial, NotStarted, Canceled, Expired, PaymentPending}

// HasResource reports whether any of subs is for a resource (has a
// resource id): hasActiveResource, given the active subscriptions.
func HasResource(subs []*ent.CustomerSubscription) bool {
	for _, s := range subs {
		if s.ResourceID != nil {
			return true
		}
	}
	return false
}

// refuseEnded is the SubscriptionAlreadyCanceledOrExpired error for a
// subscription that has ended by now (cancelled or expired), nil for a live
// one: what every change to an existing subscription checks first. format
// takes the subscription's refId and its status, e.g. "subscription %s is
// %s and cannot be updated".
func refuseEnded(sub *ent.CustomerSubscription, now time.Time, format string) error {
	if st := EffectiveStatus(sub, now); st == Canceled || st == Expired {
		return apperr.New(apperr.SubscriptionAlreadyCanceledOrExpired, format, sub.RefID, st)
	}
	return nil
}
