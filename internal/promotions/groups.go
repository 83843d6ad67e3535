package promotions

import (
	"context"
	"slices"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/promotionalentitlement"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/store"
)

// Promotional entitlement groups: grants issued together under a feature
// group id (from an add-on, a deal) and revoked together. A grant carries
// the ids of the groups it was issued with (feature_group_ids); it stays
// one grant per customer and feature, so granting a feature again, alone
// or in another group, replaces it with the new grant and its group.
// Feature groups are not part of this server's catalog: the group id is
// the caller's, taken as given.

// GrantGroup grants every feature of grants to the customer as the group
// groupID (grantPromotionalEntitlementsGroup), in one transaction.
func (s *Service) GrantGroup(ctx context.Context, env uuid.UUID, customerSlug, groupID string, grants []Grant) ([]*ent.PromotionalEntitlement, error) {
	if groupID == "" {
		return nil, apperr.BadInput("featureGroupId", "featureGroupId must not be empty")
	}
	return s.grant(ctx, env, customerSlug, grants, []string{groupID})
}

// RevokeGroup removes the customer's grants issued in the group
// (revokePromotionalEntitlementsGroup) and returns them as they were.
func (s *Service) RevokeGroup(ctx context.Context, env uuid.UUID, customerSlug, groupID string) ([]*ent.PromotionalEntitlement, error) {
	return s.inGroup(ctx, env, customerSlug, groupID, func(tx *ent.Tx, pe *ent.PromotionalEntitlement) (*ent.PromotionalEntitlement, error) {
		return pe, tx.PromotionalEntitlement.DeleteOne(pe).Exec(ctx)
	})
}

// UnlinkGroup detaches the customer's grants from the group
// (unlinkPromotionalEntitlementsGroup): they stay granted on their own, and
// revoking the group no longer touches them. It returns them as they are now.
func (s *Service) UnlinkGroup(ctx context.Context, env uuid.UUID, customerSlug, groupID string) ([]*ent.PromotionalEntitlement, error) {
	now := s.clock.Now()
	return s.inGroup(ctx, env, customerSlug, groupID, func(tx *ent.Tx, pe *ent.PromotionalEntitlement) (*ent.PromotionalEntitlement, error) {
		rest := slices.DeleteFunc(slices.Clone(pe.FeatureGroupIds), func(g string) bool { return g == groupID })
		u := tx.PromotionalEntitlement.UpdateOne(pe).SetUpdatedAt(now)
		if len(rest) == 0 {
			u.ClearFeatureGroupIds()
		} else {
			u.SetFeatureGroupIds(rest)
		}
		return u.Save(ctx)
	})
}

// inGroup runs fn on each of the customer's grants in the group, under the
// customer's row lock; PromotionalEntitlementNotFoundError when there is none.
func (s *Service) inGroup(ctx context.Context, env uuid.UUID, customerSlug, groupID string, fn func(*ent.Tx, *ent.PromotionalEntitlement) (*ent.PromotionalEntitlement, error)) ([]*ent.PromotionalEntitlement, error) {
	if groupID == "" {
		return nil, apperr.BadInput("featureGroupId", "featureGroupId must not be empty")
	}
	var out []*ent.PromotionalEntitlement
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c, err := liveCustomer(ctx, tx, env, customerSlug)
		if err != nil {
			return err
		}
		// A customer has few grants: the group ids (JSON) are matched here
		// rather than in dialect-specific SQL.
		rows, err := tx.PromotionalEntitlement.Query().Where(promotionalentitlement.CustomerID(c.ID)).
			Order(ent.Asc(promotionalentitlement.FieldFeatureRefID)).All(ctx)
		if err != nil {
			return err
		}
		for _, pe := range rows {
			if !slices.Contains(pe.FeatureGroupIds, groupID) {
				continue
			}
			r, err := fn(tx, pe)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		if len(out) == 0 {
			return apperr.New(apperr.PromotionalEntitlementNotFound, "customer %q has no promotional entitlements of group %q", customerSlug, groupID)
		}
		return nil
	})
	return out, err
}
