package graph

import (
	"context"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/graph/model"
)

// Stand-ins for the catalog, which is being written on its own branch.
// Until it lands, a subscription's plan and a grant's feature are known
// only by the refId stored on the row (plan_ref_id, feature_ref_id), so
// these resolve Plan and Feature objects carrying that refId, a stable id
// derived from environment and refId, and the refId as display name. They
// need no SQL. When the catalog merges, its subPlan and promotionalFeature
// (same names, loading ent.Plan / ent.Feature) replace this file: delete
// it.

func (r *Resolver) subPlan(ctx context.Context, s *ent.CustomerSubscription) (*model.Plan, error) {
	if s.PlanRefID == "" {
		return nil, nil
	}
	return &model.Plan{
		ID:            uuid.NewSHA1(s.EnvironmentID, []byte("plan:"+s.PlanRefID)),
		RefID:         s.PlanRefID,
		DisplayName:   s.PlanRefID,
		EnvironmentID: s.EnvironmentID,
		Status:        model.PackageStatusPublished,
	}, nil
}

func (r *Resolver) promotionalFeature(ctx context.Context, p *ent.PromotionalEntitlement) (*model.Feature, error) {
	return &model.Feature{
		ID:            uuid.NewSHA1(p.EnvironmentID, []byte("feature:"+p.FeatureRefID)),
		RefID:         p.FeatureRefID,
		DisplayName:   p.FeatureRefID,
		EnvironmentID: p.EnvironmentID,
		FeatureStatus: model.FeatureStatusActive,
	}, nil
}
