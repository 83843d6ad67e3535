package graph

import (
	"context"
	"slices"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/addon"
	"github.com/stigg-selfhost/stiggql/ent/coupon"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/feature"
	"github.com/stigg-selfhost/stiggql/ent/plan"
	"github.com/stigg-selfhost/stiggql/ent/predicate"
	"github.com/stigg-selfhost/stiggql/ent/product"
	"github.com/stigg-selfhost/stiggql/ent/promotionalentitlement"
	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/nestquery"
)

// This file has one source per listable entity (how to list and count its
// rows with ent) and the connection resolvers built on listPage.

// preds converts selector functions to an ent predicate type.
func preds[P ~func(*sql.Selector)](fs []func(*sql.Selector)) []P {
	out := make([]P, len(fs))
	for i, f := range fs {
		out[i] = P(f)
	}
	return out
}

func orders[O ~func(*sql.Selector)](fs []func(*sql.Selector)) []O {
	out := make([]O, len(fs))
	for i, f := range fs {
		out[i] = O(f)
	}
	return out
}

func (r *Resolver) subscriptionSource(spec *nestquery.Spec) source[*ent.CustomerSubscription] {
	return source[*ent.CustomerSubscription]{spec: spec, id: func(s *ent.CustomerSubscription) uuid.UUID { return s.ID },
		all: func(ctx context.Context, where, order []func(*sql.Selector), limit int) ([]*ent.CustomerSubscription, error) {
			return r.Client.CustomerSubscription.Query().Where(preds[predicate.CustomerSubscription](where)...).Order(orders[customersubscription.OrderOption](order)...).Limit(limit).All(ctx)
		},
		count: func(ctx context.Context, where []func(*sql.Selector)) (int, error) {
			return r.Client.CustomerSubscription.Query().Where(preds[predicate.CustomerSubscription](where)...).Count(ctx)
		}}
}

func (r *Resolver) promotionalEntitlementSource() source[*ent.PromotionalEntitlement] {
	return source[*ent.PromotionalEntitlement]{spec: promotionalEntitlementSpec, id: func(p *ent.PromotionalEntitlement) uuid.UUID { return p.ID },
		all: func(ctx context.Context, where, order []func(*sql.Selector), limit int) ([]*ent.PromotionalEntitlement, error) {
			return r.Client.PromotionalEntitlement.Query().Where(preds[predicate.PromotionalEntitlement](where)...).Order(orders[promotionalentitlement.OrderOption](order)...).Limit(limit).All(ctx)
		},
		count: func(ctx context.Context, where []func(*sql.Selector)) (int, error) {
			return r.Client.PromotionalEntitlement.Query().Where(preds[predicate.PromotionalEntitlement](where)...).Count(ctx)
		}}
}

func (r *Resolver) productSource() source[*ent.Product] {
	return source[*ent.Product]{spec: productSpec, id: func(p *ent.Product) uuid.UUID { return p.ID },
		all: func(ctx context.Context, where, order []func(*sql.Selector), limit int) ([]*ent.Product, error) {
			return r.Client.Product.Query().Where(preds[predicate.Product](where)...).Order(orders[product.OrderOption](order)...).Limit(limit).All(ctx)
		},
		count: func(ctx context.Context, where []func(*sql.Selector)) (int, error) {
			return r.Client.Product.Query().Where(preds[predicate.Product](where)...).Count(ctx)
		}}
}

func (r *Resolver) featureSource() source[*ent.Feature] {
	return source[*ent.Feature]{spec: featureSpec, id: func(f *ent.Feature) uuid.UUID { return f.ID },
		all: func(ctx context.Context, where, order []func(*sql.Selector), limit int) ([]*ent.Feature, error) {
			return r.Client.Feature.Query().Where(preds[predicate.Feature](where)...).Order(orders[feature.OrderOption](order)...).Limit(limit).All(ctx)
		},
		count: func(ctx context.Context, where []func(*sql.Selector)) (int, error) {
			return r.Client.Feature.Query().Where(preds[predicate.Feature](where)...).Count(ctx)
		}}
}

func (r *Resolver) planSource() source[*ent.Plan] {
	return source[*ent.Plan]{spec: planSpec, id: func(p *ent.Plan) uuid.UUID { return p.ID },
		all: func(ctx context.Context, where, order []func(*sql.Selector), limit int) ([]*ent.Plan, error) {
			return r.Client.Plan.Query().Where(preds[predicate.Plan](where)...).Order(orders[plan.OrderOption](order)...).Limit(limit).All(ctx)
		},
		count: func(ctx context.Context, where []func(*sql.Selector)) (int, error) {
			return r.Client.Plan.Query().Where(preds[predicate.Plan](where)...).Count(ctx)
		}}
}

func (r *Resolver) addonSource() source[*ent.Addon] {
	return source[*ent.Addon]{spec: addonSpec, id: func(a *ent.Addon) uuid.UUID { return a.ID },
		all: func(ctx context.Context, where, order []func(*sql.Selector), limit int) ([]*ent.Addon, error) {
			return r.Client.Addon.Query().Where(preds[predicate.Addon](where)...).Order(orders[addon.OrderOption](order)...).Limit(limit).All(ctx)
		},
		count: func(ctx context.Context, where []func(*sql.Selector)) (int, error) {
			return r.Client.Addon.Query().Where(preds[predicate.Addon](where)...).Count(ctx)
		}}
}

func (r *Resolver) couponSource() source[*ent.Coupon] {
	return source[*ent.Coupon]{spec: couponSpec, id: func(c *ent.Coupon) uuid.UUID { return c.ID },
		all: func(ctx context.Context, where, order []func(*sql.Selector), limit int) ([]*ent.Coupon, error) {
			return r.Client.Coupon.Query().Where(preds[predicate.Coupon](where)...).Order(orders[coupon.OrderOption](order)...).Limit(limit).All(ctx)
		},
		count: func(ctx context.Context, where []func(*sql.Selector)) (int, error) {
			return r.Client.Coupon.Query().Where(preds[predicate.Coupon](where)...).Count(ctx)
		}}
}

// subscriptionsPage answers the customerSubscriptions connection.
func (r *Resolver) subscriptionsPage(ctx context.Context, filter *model.CustomerSubscriptionFilter, paging *model.CursorPaging, sorting []*model.CustomerSubscriptionSort) (*model.CustomerSubscriptionConnection, error) {
	p, err := listPage(ctx, r, r.subscriptionSource(subscriptionSpec), filter, paging, sorting)
	if err != nil {
		return nil, err
	}
	return &model.CustomerSubscriptionConnection{PageInfo: p.Info, TotalCount: p.TotalCount,
		Edges: edges(p, func(c string, n *ent.CustomerSubscription) *model.CustomerSubscriptionEdge {
			return &model.CustomerSubscriptionEdge{Cursor: c, Node: n}
		})}, nil
}

// subscriptionQueryPage answers the subscriptions connection (Stigg's
// SubscriptionQuery, filtered by customer and product refIds).
func (r *Resolver) subscriptionQueryPage(ctx context.Context, filter *model.SubscriptionQueryFilter, paging *model.CursorPaging, sorting []*model.SubscriptionQuerySort) (*model.SubscriptionQueryConnection, error) {
	p, err := listPage(ctx, r, r.subscriptionSource(subscriptionQuerySpec), filter, paging, sorting)
	if err != nil {
		return nil, err
	}
	return &model.SubscriptionQueryConnection{PageInfo: p.Info, TotalCount: p.TotalCount,
		Edges: edges(p, func(c string, n *ent.CustomerSubscription) *model.SubscriptionQueryEdge {
			return &model.SubscriptionQueryEdge{Cursor: c, Node: n}
		})}, nil
}

// promotionalEntitlementsPage answers the promotionalEntitlements connection.
func (r *Resolver) promotionalEntitlementsPage(ctx context.Context, filter *model.PromotionalEntitlementFilter, paging *model.CursorPaging, sorting []*model.PromotionalEntitlementSort) (*model.PromotionalEntitlementConnection, error) {
	p, err := listPage(ctx, r, r.promotionalEntitlementSource(), filter, paging, sorting)
	if err != nil {
		return nil, err
	}
	return &model.PromotionalEntitlementConnection{PageInfo: p.Info, TotalCount: p.TotalCount,
		Edges: edges(p, func(c string, n *ent.PromotionalEntitlement) *model.PromotionalEntitlementEdge {
			return &model.PromotionalEntitlementEdge{Cursor: c, Node: n}
		})}, nil
}

// productsPage answers the products connection.
func (r *Resolver) productsPage(ctx context.Context, filter *model.ProductFilter, paging *model.CursorPaging, sorting []*model.ProductSort) (*model.ProductConnection, error) {
	p, err := listPage(ctx, r, r.productSource(), filter, paging, sorting)
	if err != nil {
		return nil, err
	}
	return &model.ProductConnection{PageInfo: p.Info, TotalCount: p.TotalCount,
		Edges: edges(p, func(c string, n *ent.Product) *model.ProductEdge { return &model.ProductEdge{Cursor: c, Node: n} })}, nil
}

// featuresPage answers the features connection.
func (r *Resolver) featuresPage(ctx context.Context, filter *model.FeatureFilter, paging *model.CursorPaging, sorting []*model.FeatureSort) (*model.FeatureConnection, error) {
	p, err := listPage(ctx, r, r.featureSource(), filter, paging, sorting)
	if err != nil {
		return nil, err
	}
	return &model.FeatureConnection{PageInfo: p.Info, TotalCount: p.TotalCount,
		Edges: edges(p, func(c string, n *ent.Feature) *model.FeatureEdge { return &model.FeatureEdge{Cursor: c, Node: n} })}, nil
}

// plansPage answers the plans connection.
// Plans list their latest versions, as Stigg's do, unless the filter
// asks for versions itself (isLatest, versionNumber or id).
func (r *Resolver) plansPage(ctx context.Context, filter *model.PlanFilter, paging *model.CursorPaging, sorting []*model.PlanSort) (*model.PlanConnection, error) {
	var extra []func(*sql.Selector)
	if !choosesVersions(filter) {
		extra = append(extra, plan.IsLatest(true))
	}
	p, err := listPage(ctx, r, r.planSource(), filter, paging, sorting, extra...)
	if err != nil {
		return nil, err
	}
	return &model.PlanConnection{PageInfo: p.Info, TotalCount: p.TotalCount,
		Edges: edges(p, func(c string, n *ent.Plan) *model.PlanEdge { return &model.PlanEdge{Cursor: c, Node: n} })}, nil
}

// choosesVersions reports whether a plans filter names the versions it
// wants anywhere in it.
func choosesVersions(f *model.PlanFilter) bool {
	if f == nil {
		return false
	}
	if f.IsLatest != nil || f.VersionNumber != nil || f.ID != nil {
		return true
	}
	for _, g := range append(slices.Clone(f.And), f.Or...) {
		if choosesVersions(g) {
			return true
		}
	}
	return false
}

// addonsPage answers the addons connection.
func (r *Resolver) addonsPage(ctx context.Context, filter *model.AddonFilter, paging *model.CursorPaging, sorting []*model.AddonSort) (*model.AddonConnection, error) {
	p, err := listPage(ctx, r, r.addonSource(), filter, paging, sorting)
	if err != nil {
		return nil, err
	}
	return &model.AddonConnection{PageInfo: p.Info, TotalCount: p.TotalCount,
		Edges: edges(p, func(c string, n *ent.Addon) *model.AddonEdge { return &model.AddonEdge{Cursor: c, Node: n} })}, nil
}

// couponsPage answers the coupons connection.
func (r *Resolver) couponsPage(ctx context.Context, filter *model.CouponFilter, paging *model.CursorPaging, sorting []*model.CouponSort) (*model.CouponConnection, error) {
	p, err := listPage(ctx, r, r.couponSource(), filter, paging, sorting)
	if err != nil {
		return nil, err
	}
	return &model.CouponConnection{PageInfo: p.Info, TotalCount: p.TotalCount,
		Edges: edges(p, func(c string, n *ent.Coupon) *model.CouponEdge { return &model.CouponEdge{Cursor: c, Node: n} })}, nil
}
