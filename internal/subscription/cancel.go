package subscription

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	entplan "github.com/stigg-selfhost/stiggql/ent/plan"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/billing"
	"github.com/stigg-selfhost/stiggql/internal/store"
)

// cancelAt is what cancelling does, for every kind of cancellation (an
// explicit cancel now, at the end of the period or on a date, and the
// replacement by a new plan): the subscription ends at at, the time it was
// cancelled (now) and the reason are recorded. Ending now writes CANCELED;
// ending later leaves the status to the clock (EffectiveStatus turns it
// CANCELED at at).
func cancelAt(ctx context.Context, tx *ent.Tx, s *ent.CustomerSubscription, now, at time.Time, reason string) (*ent.CustomerSubscription, error) {
	u := tx.CustomerSubscription.UpdateOne(s).SetCancellationDate(now).SetEffectiveEndDate(at).SetEndDate(at).
		SetCancelReason(reason).SetUpdatedAt(now)
	if !at.After(now) {
		u.SetStatus(Canceled)
	}
	out, err := u.Save(ctx)
	if err != nil {
		return nil, err
	}
	return out, billing.EnqueueSubscription(ctx, tx, out)
}

// CancelInput cancels a subscription.
type CancelInput struct {
	RefID string
	// Time is IMMEDIATE (the default), END_OF_BILLING_PERIOD or SPECIFIC_DATE.
	Time    string
	EndDate *time.Time
}

// Cancel cancels a subscription now, at the end of its current billing
// period (the trial's end during a trial) or on a date. A subscription
// already cancelled or expired cannot be cancelled again.
func (s *Service) Cancel(ctx context.Context, env uuid.UUID, in CancelInput) (*ent.CustomerSubscription, error) {
	var out *ent.CustomerSubscription
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		sub, err := getForUpdate(ctx, tx, env, in.RefID)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if err := refuseEnded(sub, now, "subscription %s is already %s"); err != nil {
			return err
		}
		at, reason := now, ReasonImmediate
		switch in.Time {
		case "", "IMMEDIATE":
		case "END_OF_BILLING_PERIOD":
			_, at = CurrentPeriod(sub, now)
			reason = ReasonScheduledCancellation
		case "SPECIFIC_DATE":
			if in.EndDate == nil || in.EndDate.Before(now) {
				return apperr.BadInput("endDate", "SPECIFIC_DATE needs an endDate that is not in the past")
			}
			at, reason = *in.EndDate, ReasonScheduledCancellation
		default:
			return apperr.BadInput("subscriptionCancellationTime", "unknown cancellation time %q", in.Time)
		}
		if sub.StartDate.After(now) && at.Before(sub.StartDate) {
			at = now // a subscription that has not started ends before it starts
		}
		if out, err = cancelAt(ctx, tx, sub, now, at, reason); err != nil {
			return err
		}
		return s.startDowngrade(ctx, tx, env, out, at, reason)
	})
	return out, err
}

// startDowngrade subscribes the customer to the product's downgrade plan
// (productSettings.downgradePlan) from the moment the cancelled
// subscription ends, so a customer who cancels a paid plan falls back to the
// free one, as the product's subscriptionEndSetup DOWNGRADE_TO_FREE says.
// Nothing happens for a product without a downgrade plan, or when the
// cancelled subscription is on that plan already.
func (s *Service) startDowngrade(ctx context.Context, tx *ent.Tx, env uuid.UUID, ended *ent.CustomerSubscription, at time.Time, reason string) error {
	plan, err := tx.Plan.Query().Where(entplan.ID(ended.PlanID)).WithProduct().Only(ctx)
	if err != nil {
		return err
	}
	prod := plan.Edges.Product
	if prod == nil || prod.DowngradePlanID == nil || *prod.DowngradePlanID == plan.ID {
		return nil
	}
	down, err := tx.Plan.Get(ctx, *prod.DowngradePlanID)
	if err != nil {
		return err
	}
	c, err := tx.Customer.Get(ctx, ended.CustomerID)
	if err != nil {
		return err
	}
	start := at
	if _, err := s.ProvisionTx(ctx, tx, env, c, Input{
		CustomerID: c.CustomerID, PlanID: down.RefID, ResourceID: ended.ResourceID, StartDate: &start, SkipTrial: true,
	}); err != nil {
		return err
	}
	// Provisioning treats the ending subscription as replaced; keep the
	// reason the caller cancelled it for.
	return tx.CustomerSubscription.UpdateOne(ended).SetCancelReason(reason).Exec(ctx)
}

// ReasonCustomerArchived is the cancel reason of subscriptions ended by
// archiving their customer.
const ReasonCustomerArchived = "CustomerArchived"

// CancelForArchivedCustomer ends, inside the archive's transaction, every
// subscription of the customer that has not ended yet, as Stigg does: an
// archived customer keeps no live subscription. Registered as a
// customers.Hook for the archive operation.
func (s *Service) CancelForArchivedCustomer(ctx context.Context, tx *ent.Tx, c *ent.Customer) error {
	now := s.clock.Now()
	live, err := tx.CustomerSubscription.Query().Where(customersubscription.CustomerID(c.ID),
		customersubscription.StatusIn(liveStatuses...),
		customersubscription.Or(customersubscription.EffectiveEndDateIsNil(), customersubscription.EffectiveEndDateGT(now))).All(ctx)
	if err != nil {
		return err
	}
	for _, sub := range live {
		if _, err := cancelAt(ctx, tx, sub, now, now, ReasonCustomerArchived); err != nil {
			return err
		}
	}
	return nil
}

// cancelOn schedules sub's cancellation at at (cancellationDate on
// provision and update): as cancelSubscription with SPECIFIC_DATE, the
// date must not be in the past, and the product's downgrade plan follows.
func (s *Service) cancelOn(ctx context.Context, tx *ent.Tx, env uuid.UUID, sub *ent.CustomerSubscription, now, at time.Time) (*ent.CustomerSubscription, error) {
	if !at.After(now) || !at.After(sub.StartDate) {
		return nil, apperr.BadInput("cancellationDate", "cancellationDate must be in the future and after the start")
	}
	out, err := cancelAt(ctx, tx, sub, now, at, ReasonScheduledCancellation)
	if err != nil {
		return nil, err
	}
	return out, s.startDowngrade(ctx, tx, env, out, at, ReasonScheduledCancellation)
}
