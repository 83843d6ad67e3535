// Package promotions grants and revokes promotional entitlements: features
// given to one customer outside their plan, for a period or for life.
// Granting a feature the customer already has replaces that grant (new
// start, new end, new limits); the grant's status is Active until its end
// date and Expired after, by the clock.
package promotions

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/promotionalentitlement"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/store"
)

// FeatureCheck returns nil when the environment has a feature with this
// refId, and an apperr FeatureNotFound error otherwise. The catalog provides it.
type FeatureCheck func(ctx context.Context, tx *ent.Tx, env uuid.UUID, refID string) error

// Service grants and revokes.
type Service struct {
	client   *ent.Client
	clock    clock.Clock
	features FeatureCheck
}

// New returns a Service; features validates feature refIds.
func New(client *ent.Client, clk clock.Clock, features FeatureCheck) *Service {
	return &Service{client: client, clock: clk, features: features}
}

// Grant is one feature to grant.
type Grant struct {
	FeatureRefID      string
	Period            promotionalentitlement.GrantPeriod
	CustomEndDate     *time.Time
	UsageLimit        *float64
	HasUnlimitedUsage *bool
	HasSoftLimit      *bool
	ResetPeriod       *string
	// ResetConfiguration is the reset period's monthly, weekly or yearly
	// setting, stored as {"monthlyAccordingTo": "..."} and the like.
	ResetConfiguration map[string]any
	EnumValues         []string
	IsVisible          *bool
}

// EndDate returns when a grant of period p made at start ends; nil for
// LIFETIME.
func EndDate(p promotionalentitlement.GrantPeriod, start time.Time, custom *time.Time) *time.Time {
	var end time.Time
	switch p {
	case promotionalentitlement.GrantPeriodONE_WEEK:
		end = start.AddDate(0, 0, 7)
	case promotionalentitlement.GrantPeriodONE_MONTH:
		end = start.AddDate(0, 1, 0)
	case promotionalentitlement.GrantPeriodSIX_MONTH:
		end = start.AddDate(0, 6, 0)
	case promotionalentitlement.GrantPeriodONE_YEAR:
		end = start.AddDate(1, 0, 0)
	case promotionalentitlement.GrantPeriodCUSTOM:
		if custom == nil {
			return nil
		}
		end = *custom
	default:
		return nil
	}
	return &end
}

func (s *Service) validate(grants []Grant, now time.Time) error {
	if len(grants) == 0 {
		return apperr.BadInput("promotionalEntitlements", "at least one promotional entitlement is required")
	}
	seen := map[string]bool{}
	for i, g := range grants {
		field := func(name string) string { return fmt.Sprintf("promotionalEntitlements[%d].%s", i, name) }
		if g.FeatureRefID == "" {
			return apperr.BadInput(field("featureId"), "featureId must not be empty")
		}
		if seen[g.FeatureRefID] {
			return apperr.BadInput(field("featureId"), "feature %q is granted twice in one call", g.FeatureRefID)
		}
		seen[g.FeatureRefID] = true
		if err := promotionalentitlement.GrantPeriodValidator(g.Period); err != nil {
			return apperr.BadInput(field("period"), "unknown period %q", g.Period)
		}
		switch {
		case g.Period == promotionalentitlement.GrantPeriodCUSTOM && g.CustomEndDate == nil:
			return apperr.BadInput(field("customEndDate"), "period CUSTOM requires customEndDate")
		case g.Period == promotionalentitlement.GrantPeriodCUSTOM && !g.CustomEndDate.After(now):
			return apperr.BadInput(field("customEndDate"), "customEndDate must be in the future")
		case g.Period != promotionalentitlement.GrantPeriodCUSTOM && g.CustomEndDate != nil:
			return apperr.BadInput(field("customEndDate"), "customEndDate is only allowed with period CUSTOM")
		}
		if g.UsageLimit != nil && *g.UsageLimit < 0 {
			return apperr.BadInput(field("usageLimit"), "usageLimit must not be negative")
		}
		if len(g.EnumValues) > 100 {
			return apperr.BadInput(field("enumValues"), "at most 100 enumValues")
		}
	}
	return nil
}

// liveCustomer returns the live customer with the slug; an archived one is
// CustomerIsArchived, none at all CustomerNotFound. The customer's row is
// locked for the rest of tx (store.LockRows): grants and revokes of one
// customer replace rows by delete-then-insert, which must not interleave.
func liveCustomer(ctx context.Context, tx *ent.Tx, env uuid.UUID, slug string) (*ent.Customer, error) {
	c, err := store.ForUpdate(tx.Customer.Query().Where(customer.EnvironmentID(env), customer.CustomerID(slug), customer.DeletedAtIsNil())).Only(ctx)
	if err == nil || !ent.IsNotFound(err) {
		return c, err
	}
	archived, err := tx.Customer.Query().Where(customer.EnvironmentID(env), customer.CustomerID(slug), customer.DeletedAtNotNil()).Exist(ctx)
	if err != nil {
		return nil, err
	}
	if archived {
		return nil, apperr.New(apperr.CustomerIsArchived, "customer %q is archived", slug)
	}
	return nil, apperr.New(apperr.CustomerNotFound, "customer %q was not found", slug)
}

// Grant grants every feature in grants to the customer, in one transaction.
func (s *Service) Grant(ctx context.Context, env uuid.UUID, customerSlug string, grants []Grant) ([]*ent.PromotionalEntitlement, error) {
	now := s.clock.Now()
	if err := s.validate(grants, now); err != nil {
		return nil, err
	}
	out := make([]*ent.PromotionalEntitlement, 0, len(grants))
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c, err := liveCustomer(ctx, tx, env, customerSlug)
		if err != nil {
			return err
		}
		for _, g := range grants {
			if err := s.features(ctx, tx, env, g.FeatureRefID); err != nil {
				return err
			}
			// Replace: the old grant of this feature goes, the new one starts now.
			if _, err := tx.PromotionalEntitlement.Delete().Where(
				promotionalentitlement.CustomerID(c.ID), promotionalentitlement.FeatureRefID(g.FeatureRefID)).Exec(ctx); err != nil {
				return err
			}
			visible := true
			if g.IsVisible != nil {
				visible = *g.IsVisible
			}
			pe, err := tx.PromotionalEntitlement.Create().
				SetEnvironmentID(env).
				SetCustomerID(c.ID).
				SetFeatureRefID(g.FeatureRefID).
				SetGrantPeriod(g.Period).
				SetStartDate(now).
				SetNillableEndDate(EndDate(g.Period, now, g.CustomEndDate)).
				SetNillableUsageLimit(g.UsageLimit).
				SetNillableHasUnlimitedUsage(g.HasUnlimitedUsage).
				SetNillableHasSoftLimit(g.HasSoftLimit).
				SetNillableResetPeriod(g.ResetPeriod).
				SetResetPeriodConfiguration(g.ResetConfiguration).
				SetEnumValues(g.EnumValues).
				SetIsVisible(visible).
				SetCreatedAt(now).
				SetUpdatedAt(now).
				Save(ctx)
			if err != nil {
				return err
			}
			out = append(out, pe)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Revoke removes the customer's grant of the feature and returns it as it
// was; PromotionalEntitlementNotFoundError when there is none.
func (s *Service) Revoke(ctx context.Context, env uuid.UUID, customerSlug, featureRefID string) (*ent.PromotionalEntitlement, error) {
	var out *ent.PromotionalEntitlement
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c, err := liveCustomer(ctx, tx, env, customerSlug)
		if err != nil {
			return err
		}
		pe, err := tx.PromotionalEntitlement.Query().Where(
			promotionalentitlement.CustomerID(c.ID), promotionalentitlement.FeatureRefID(featureRefID)).Only(ctx)
		if ent.IsNotFound(err) {
			return apperr.New(apperr.PromotionalEntitlementNotFound, "customer %q has no promotional entitlement for feature %q", customerSlug, featureRefID)
		}
		if err != nil {
			return err
		}
		if err := tx.PromotionalEntitlement.DeleteOne(pe).Exec(ctx); err != nil {
			return err
		}
		out = pe
		return nil
	})
	return out, err
}
