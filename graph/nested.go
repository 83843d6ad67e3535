package graph

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/addon"
	"github.com/stigg-selfhost/stiggql/ent/coupon"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/environment"
	"github.com/stigg-selfhost/stiggql/ent/feature"
	"github.com/stigg-selfhost/stiggql/ent/packageentitlement"
	"github.com/stigg-selfhost/stiggql/ent/plan"
	"github.com/stigg-selfhost/stiggql/ent/predicate"
	"github.com/stigg-selfhost/stiggql/ent/price"
	"github.com/stigg-selfhost/stiggql/ent/product"
	"github.com/stigg-selfhost/stiggql/ent/promotionalentitlement"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionaddon"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionprice"
	"github.com/stigg-selfhost/stiggql/ent/syncstate"
	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/nestquery"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
)

// This file loads every nested field in batches over sibling groups (see
// loaders.go): a list field's fetch returns the rows of the whole group and
// registers them as a new group, so the next level is batched too. A
// many-to-one field (a subscription's plan) reads the group's foreign keys
// in one query and the targets in another. The number of statements a
// request runs depends on its shape, never on how many rows it returns.

// loadList loads a one-to-many field for id's group: fetch returns the
// children of all the group's parents, parent tells a child's parent.
// The children are registered as one group.
func loadList[T any](ctx context.Context, id uuid.UUID, key string, fetch func(ctx context.Context, ids []uuid.UUID) ([]T, error), parent func(T) uuid.UUID, childID func(T) uuid.UUID) ([]T, error) {
	rows, err := load(ctx, id, key, func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]T, error) {
		rows, err := fetch(ctx, ids)
		if err != nil {
			return nil, err
		}
		registerRows(ctx, rows, childID)
		return groupBy(rows, parent), nil
	})
	if rows == nil && err == nil {
		rows = []T{}
	}
	return rows, err
}

// loadRef loads a many-to-one field for id's group: fks maps each parent
// of the group to its target's id, targets reads those. The targets are
// registered as one group.
func loadRef[T any](ctx context.Context, id uuid.UUID, key string, fks func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]uuid.UUID, error), targets func(ctx context.Context, ids []uuid.UUID) ([]T, error), targetID func(T) uuid.UUID) (T, error) {
	return load(ctx, id, key, func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]T, error) {
		fk, err := fks(ctx, ids)
		if err != nil {
			return nil, err
		}
		want := make([]uuid.UUID, 0, len(fk))
		for _, t := range fk {
			if !slices.Contains(want, t) {
				want = append(want, t)
			}
		}
		out := map[uuid.UUID]T{}
		if len(want) == 0 {
			return out, nil
		}
		rows, err := targets(ctx, want)
		if err != nil {
			return nil, err
		}
		registerRows(ctx, rows, targetID)
		byID := make(map[uuid.UUID]T, len(rows))
		for _, row := range rows {
			byID[targetID(row)] = row
		}
		for p, t := range fk {
			if row, ok := byID[t]; ok {
				out[p] = row
			}
		}
		return out, nil
	})
}

// fkMap builds a parent -> target map from rows that may lack a target.
func fkMap[T any](rows []T, id func(T) uuid.UUID, fk func(T) *uuid.UUID) map[uuid.UUID]uuid.UUID {
	out := make(map[uuid.UUID]uuid.UUID, len(rows))
	for _, row := range rows {
		if t := fk(row); t != nil {
			out[id(row)] = *t
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// Targets of many-to-one fields, by id.
func (r *Resolver) plansByID(ctx context.Context, ids []uuid.UUID) ([]*ent.Plan, error) {
	return r.Client.Plan.Query().Where(plan.IDIn(ids...)).All(ctx)
}
func (r *Resolver) addonsByID(ctx context.Context, ids []uuid.UUID) ([]*ent.Addon, error) {
	return r.Client.Addon.Query().Where(addon.IDIn(ids...)).All(ctx)
}
func (r *Resolver) productsByID(ctx context.Context, ids []uuid.UUID) ([]*ent.Product, error) {
	return r.Client.Product.Query().Where(product.IDIn(ids...)).All(ctx)
}
func (r *Resolver) featuresByID(ctx context.Context, ids []uuid.UUID) ([]*ent.Feature, error) {
	return r.Client.Feature.Query().Where(feature.IDIn(ids...)).All(ctx)
}
func (r *Resolver) customersByID(ctx context.Context, ids []uuid.UUID) ([]*ent.Customer, error) {
	return r.Client.Customer.Query().Where(customer.IDIn(ids...)).All(ctx)
}
func (r *Resolver) couponsByID(ctx context.Context, ids []uuid.UUID) ([]*ent.Coupon, error) {
	return r.Client.Coupon.Query().Where(coupon.IDIn(ids...)).All(ctx)
}
func (r *Resolver) pricesByID(ctx context.Context, ids []uuid.UUID) ([]*ent.Price, error) {
	return r.Client.Price.Query().Where(price.IDIn(ids...)).All(ctx)
}

var (
	planID     = func(p *ent.Plan) uuid.UUID { return p.ID }
	addonID    = func(a *ent.Addon) uuid.UUID { return a.ID }
	productID  = func(p *ent.Product) uuid.UUID { return p.ID }
	featureID  = func(f *ent.Feature) uuid.UUID { return f.ID }
	customerID = func(c *ent.Customer) uuid.UUID { return c.ID }
	couponID   = func(c *ent.Coupon) uuid.UUID { return c.ID }
	priceID    = func(p *ent.Price) uuid.UUID { return p.ID }
	subID      = func(s *ent.CustomerSubscription) uuid.UUID { return s.ID }
	entID      = func(e *ent.PackageEntitlement) uuid.UUID { return e.ID }
)

// environmentModel loads the request's environment once per request.
func (r *Resolver) environment(ctx context.Context, env uuid.UUID) (*model.Environment, error) {
	e, err := load(ctx, env, "environment", func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*ent.Environment, error) {
		rows, err := r.Client.Environment.Query().Where(environment.IDIn(ids...)).All(ctx)
		out := map[uuid.UUID]*ent.Environment{}
		for _, e := range rows {
			out[e.ID] = e
		}
		return out, err
	})
	if err != nil || e == nil {
		return nil, err
	}
	return environmentModel(e), nil
}

// ---- customers ----

// activeSubscriptions loads each customer's active subscriptions (ACTIVE
// or IN_TRIAL now, by subscription.ActivePredicate), newest first.
func (r *Resolver) activeSubscriptions(ctx context.Context, id uuid.UUID) ([]*ent.CustomerSubscription, error) {
	now := r.Clock.Now()
	return loadList(ctx, id, "activeSubscriptions", func(ctx context.Context, ids []uuid.UUID) ([]*ent.CustomerSubscription, error) {
		return r.Client.CustomerSubscription.Query().
			Where(customersubscription.CustomerIDIn(ids...), predicate.CustomerSubscription(subscription.ActivePredicate(now))).
			Order(ent.Desc(customersubscription.FieldCreatedAt), ent.Desc(customersubscription.FieldID)).
			All(ctx)
	}, func(s *ent.CustomerSubscription) uuid.UUID { return s.CustomerID }, subID)
}

// customerSubscriptions loads one customer's subscriptions matching filter
// and sorting, batched over the customer's group: one query per distinct
// (filter, sorting) per group.
func (r *Resolver) customerSubscriptions(ctx context.Context, customerID uuid.UUID, filter *model.CustomerSubscriptionFilter, sorting []*model.CustomerSubscriptionSort) ([]*ent.CustomerSubscription, error) {
	argKey, err := json.Marshal(struct {
		F any
		S any
	}{filter, sorting})
	if err != nil {
		return nil, apperr.BadInput("filter", "filter cannot be encoded")
	}
	where, err := subscriptionSpec.Where(filter, nestquery.Env{Now: r.Clock.Now()})
	if err != nil {
		return nil, err
	}
	keys, err := subscriptionSpec.Sort(sorting, newestFirst)
	if err != nil {
		return nil, err
	}
	return loadList(ctx, customerID, "subscriptions:"+string(argKey), func(ctx context.Context, ids []uuid.UUID) ([]*ent.CustomerSubscription, error) {
		q := r.Client.CustomerSubscription.Query().
			Where(customersubscription.CustomerIDIn(ids...), predicate.CustomerSubscription(where))
		for _, o := range nestquery.OrderBy(keys, false) {
			q.Order(customersubscription.OrderOption(o))
		}
		return q.All(ctx)
	}, func(s *ent.CustomerSubscription) uuid.UUID { return s.CustomerID }, subID)
}

// activePromotionalEntitlements loads each customer's grants that are active
// now, oldest first.
func (r *Resolver) activePromotionalEntitlements(ctx context.Context, id uuid.UUID) ([]*ent.PromotionalEntitlement, error) {
	now := r.Clock.Now()
	return loadList(ctx, id, "activePromotionalEntitlements", func(ctx context.Context, ids []uuid.UUID) ([]*ent.PromotionalEntitlement, error) {
		return r.Client.PromotionalEntitlement.Query().
			Where(promotionalentitlement.CustomerIDIn(ids...), promotionalentitlement.Or(
				promotionalentitlement.EndDateIsNil(), promotionalentitlement.EndDateGT(now))).
			Order(ent.Asc(promotionalentitlement.FieldCreatedAt), ent.Asc(promotionalentitlement.FieldID)).
			All(ctx)
	}, func(p *ent.PromotionalEntitlement) uuid.UUID { return p.CustomerID }, func(p *ent.PromotionalEntitlement) uuid.UUID { return p.ID })
}

// customerSyncStates loads the sync states of each customer itself (not of
// its subscriptions).
func (r *Resolver) customerSyncStates(ctx context.Context, id uuid.UUID) ([]*model.SyncState, error) {
	return load(ctx, id, "customerSyncStates", func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*model.SyncState, error) {
		rows, err := r.Client.SyncState.Query().
			Where(syncstate.EntityIDIn(ids...), syncstate.EntityTypeEQ(syncstate.EntityTypeCUSTOMER)).
			Order(ent.Asc(syncstate.FieldVendorIdentifier)).
			All(ctx)
		if err != nil {
			return nil, err
		}
		out := make(map[uuid.UUID][]*model.SyncState, len(ids))
		for _, s := range rows {
			out[s.EntityID] = append(out[s.EntityID], syncStateModel(s))
		}
		return out, nil
	})
}

// customerCoupon loads the coupon set on each customer.
func (r *Resolver) customerCoupon(ctx context.Context, c *ent.Customer) (*ent.Coupon, error) {
	if c.CouponID == nil {
		return nil, nil
	}
	return loadRef(ctx, c.ID, "coupon", func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]uuid.UUID, error) {
		rows, err := r.Client.Customer.Query().Where(customer.IDIn(ids...)).Select(customer.FieldID, customer.FieldCouponID).All(ctx)
		return fkMap(rows, customerID, func(c *ent.Customer) *uuid.UUID { return c.CouponID }), err
	}, r.couponsByID, couponID)
}

// trialHistory is what trial eligibility is decided from: the customer's
// subscriptions that consumed a product's trial (subscription.TrialConsumed),
// with their plans.
type trialHistory struct {
	subs  []*ent.CustomerSubscription
	plans map[uuid.UUID]*ent.Plan
}

func (r *Resolver) trialHistory(ctx context.Context, id uuid.UUID) (*trialHistory, error) {
	h, err := load(ctx, id, "trialHistory", func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*trialHistory, error) {
		subs, err := r.Client.CustomerSubscription.Query().
			Where(customersubscription.CustomerIDIn(ids...), subscription.TrialConsumed()).
			Order(ent.Asc(customersubscription.FieldCreatedAt), ent.Asc(customersubscription.FieldID)).
			WithPlan().All(ctx)
		if err != nil {
			return nil, err
		}
		out := map[uuid.UUID]*trialHistory{}
		for _, s := range subs {
			h := out[s.CustomerID]
			if h == nil {
				h = &trialHistory{plans: map[uuid.UUID]*ent.Plan{}}
				out[s.CustomerID] = h
			}
			h.subs = append(h.subs, s)
			h.plans[s.PlanID] = s.Edges.Plan
		}
		return out, nil
	})
	if h == nil && err == nil {
		h = &trialHistory{plans: map[uuid.UUID]*ent.Plan{}}
	}
	return h, err
}

// trialProducts loads, once per customer group, the environment's products
// that have a plan with a trial, oldest first.
func (r *Resolver) trialProducts(ctx context.Context, id uuid.UUID, env uuid.UUID) ([]*ent.Product, error) {
	m, err := load(ctx, id, "trialProducts", func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*ent.Product, error) {
		rows, err := r.Client.Product.Query().
			Where(product.EnvironmentID(env), product.StatusEQ(product.StatusPUBLISHED),
				product.HasPlansWith(plan.TrialDurationNotNil(), plan.StatusEQ(plan.StatusPUBLISHED))).
			Order(ent.Asc(product.FieldCreatedAt), ent.Asc(product.FieldRefID)).All(ctx)
		out := make(map[uuid.UUID][]*ent.Product, len(ids))
		for _, i := range ids {
			out[i] = rows
		}
		return out, err
	})
	return m, err
}

// productsOfPlans loads products by id (for trialedPlans and eligibility).
func (r *Resolver) trialedProducts(ctx context.Context, id uuid.UUID) (map[uuid.UUID]*ent.Product, error) {
	return load(ctx, id, "trialedProducts", func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]map[uuid.UUID]*ent.Product, error) {
		rows, err := r.Client.Product.Query().
			Where(product.HasPlansWith(plan.HasSubscriptionsWith(customersubscription.CustomerIDIn(ids...), subscription.TrialConsumed()))).All(ctx)
		all := map[uuid.UUID]*ent.Product{}
		for _, p := range rows {
			all[p.ID] = p
		}
		out := make(map[uuid.UUID]map[uuid.UUID]*ent.Product, len(ids))
		for _, i := range ids {
			out[i] = all
		}
		return out, err
	})
}

// ---- subscriptions ----

func (r *Resolver) subPlan(ctx context.Context, s *ent.CustomerSubscription) (*ent.Plan, error) {
	return loadRef(ctx, s.ID, "plan", func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]uuid.UUID, error) {
		rows, err := r.Client.CustomerSubscription.Query().Where(customersubscription.IDIn(ids...)).
			Select(customersubscription.FieldID, customersubscription.FieldPlanID).All(ctx)
		return fkMap(rows, subID, func(s *ent.CustomerSubscription) *uuid.UUID { return &s.PlanID }), err
	}, r.plansByID, planID)
}

func (r *Resolver) subCustomer(ctx context.Context, s *ent.CustomerSubscription, paying bool) (*ent.Customer, error) {
	key := "customer"
	if paying {
		if s.PayingCustomerID == nil {
			return nil, nil
		}
		key = "payingCustomer"
	}
	return loadRef(ctx, s.ID, key, func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]uuid.UUID, error) {
		rows, err := r.Client.CustomerSubscription.Query().Where(customersubscription.IDIn(ids...)).
			Select(customersubscription.FieldID, customersubscription.FieldCustomerID, customersubscription.FieldPayingCustomerID).All(ctx)
		return fkMap(rows, subID, func(s *ent.CustomerSubscription) *uuid.UUID {
			if paying {
				return s.PayingCustomerID
			}
			return &s.CustomerID
		}), err
	}, r.customersByID, customerID)
}

func (r *Resolver) subCoupon(ctx context.Context, s *ent.CustomerSubscription) (*ent.Coupon, error) {
	if s.CouponID == nil {
		return nil, nil
	}
	return loadRef(ctx, s.ID, "coupon", func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]uuid.UUID, error) {
		rows, err := r.Client.CustomerSubscription.Query().Where(customersubscription.IDIn(ids...)).
			Select(customersubscription.FieldID, customersubscription.FieldCouponID).All(ctx)
		return fkMap(rows, subID, func(s *ent.CustomerSubscription) *uuid.UUID { return s.CouponID }), err
	}, r.couponsByID, couponID)
}

func (r *Resolver) subAddons(ctx context.Context, s *ent.CustomerSubscription) ([]*ent.SubscriptionAddon, error) {
	return loadList(ctx, s.ID, "addons", func(ctx context.Context, ids []uuid.UUID) ([]*ent.SubscriptionAddon, error) {
		return r.Client.SubscriptionAddon.Query().Where(subscriptionaddon.SubscriptionIDIn(ids...)).
			Order(subscriptionaddon.ByAddonField(addon.FieldRefID), subscriptionaddon.ByID()).All(ctx)
	}, func(a *ent.SubscriptionAddon) uuid.UUID { return a.SubscriptionID }, func(a *ent.SubscriptionAddon) uuid.UUID { return a.ID })
}

func (r *Resolver) subPrices(ctx context.Context, s *ent.CustomerSubscription) ([]*ent.SubscriptionPrice, error) {
	return loadList(ctx, s.ID, "prices", func(ctx context.Context, ids []uuid.UUID) ([]*ent.SubscriptionPrice, error) {
		return r.Client.SubscriptionPrice.Query().Where(subscriptionprice.SubscriptionIDIn(ids...)).
			Order(subscriptionprice.ByPriceField(price.FieldPosition), subscriptionprice.ByID()).All(ctx)
	}, func(p *ent.SubscriptionPrice) uuid.UUID { return p.SubscriptionID }, func(p *ent.SubscriptionPrice) uuid.UUID { return p.ID })
}

func (r *Resolver) subscriptionPricePrice(ctx context.Context, sp *ent.SubscriptionPrice) (*ent.Price, error) {
	return loadRef(ctx, sp.ID, "price", func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]uuid.UUID, error) {
		rows, err := r.Client.SubscriptionPrice.Query().Where(subscriptionprice.IDIn(ids...)).
			Select(subscriptionprice.FieldID, subscriptionprice.FieldPriceID).All(ctx)
		return fkMap(rows, func(p *ent.SubscriptionPrice) uuid.UUID { return p.ID }, func(p *ent.SubscriptionPrice) *uuid.UUID { return &p.PriceID }), err
	}, r.pricesByID, priceID)
}

func (r *Resolver) subscriptionAddonAddon(ctx context.Context, sa *ent.SubscriptionAddon) (*ent.Addon, error) {
	return loadRef(ctx, sa.ID, "addon", func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]uuid.UUID, error) {
		rows, err := r.Client.SubscriptionAddon.Query().Where(subscriptionaddon.IDIn(ids...)).
			Select(subscriptionaddon.FieldID, subscriptionaddon.FieldAddonID).All(ctx)
		return fkMap(rows, func(a *ent.SubscriptionAddon) uuid.UUID { return a.ID }, func(a *ent.SubscriptionAddon) *uuid.UUID { return &a.AddonID }), err
	}, r.addonsByID, addonID)
}

// subscriptionAddonPrice is the add-on's price for the subscription's
// billing period (monthly for a subscription without one).
func (r *Resolver) subscriptionAddonPrice(ctx context.Context, sa *ent.SubscriptionAddon) (*ent.Price, error) {
	return load(ctx, sa.ID, "price", func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*ent.Price, error) {
		rows, err := r.Client.SubscriptionAddon.Query().Where(subscriptionaddon.IDIn(ids...)).
			WithSubscription(func(q *ent.CustomerSubscriptionQuery) {
				q.Select(customersubscription.FieldID, customersubscription.FieldBillingPeriod)
			}).All(ctx)
		if err != nil {
			return nil, err
		}
		addonIDs := make([]uuid.UUID, len(rows))
		for i, a := range rows {
			addonIDs[i] = a.AddonID
		}
		prices, err := r.Client.Price.Query().Where(price.AddonIDIn(addonIDs...), price.Archived(false), price.BillingCountryCodeIsNil()).
			Order(ent.Asc(price.FieldPosition)).All(ctx)
		if err != nil {
			return nil, err
		}
		registerRows(ctx, prices, priceID)
		out := map[uuid.UUID]*ent.Price{}
		for _, a := range rows {
			period := "MONTHLY"
			if s := a.Edges.Subscription; s != nil && s.BillingPeriod != nil {
				period = *s.BillingPeriod
			}
			for _, p := range prices {
				if *p.AddonID == a.AddonID && string(p.BillingPeriod) == period {
					out[a.ID] = p
					break
				}
			}
		}
		return out, nil
	})
}

// subscriptionTotal prices a subscription from its stored prices, its
// add-ons and its coupon (subscription.Total).
func (r *Resolver) subscriptionTotal(ctx context.Context, s *ent.CustomerSubscription) (*model.CustomerSubscriptionTotalPrice, error) {
	sps, err := r.subPrices(ctx, s)
	if err != nil {
		return nil, err
	}
	var planLines, addonLines []subscription.Line
	for _, sp := range sps {
		p, err := r.subscriptionPricePrice(ctx, sp)
		if err != nil || p == nil {
			return nil, err
		}
		q := 1.0
		if sp.UsageLimit != nil {
			q = *sp.UsageLimit
		}
		planLines = append(planLines, subscription.Line{Price: p, Quantity: q})
	}
	sas, err := r.subAddons(ctx, s)
	if err != nil {
		return nil, err
	}
	for _, sa := range sas {
		p, err := r.subscriptionAddonPrice(ctx, sa)
		if err != nil {
			return nil, err
		}
		if p != nil {
			addonLines = append(addonLines, subscription.Line{Price: p, Quantity: sa.Quantity})
		}
	}
	c, err := r.subCoupon(ctx, s)
	if err != nil {
		return nil, err
	}
	t := subscription.Total(s, planLines, addonLines, c, r.Clock.Now())
	money := func(v float64) *model.Money { return &model.Money{Amount: v, Currency: model.Currency(t.Currency)} }
	return &model.CustomerSubscriptionTotalPrice{SubTotal: money(t.SubTotal), AddonsTotal: money(t.AddonsTotal), Total: money(t.Total)}, nil
}

// ---- packages (plans and add-ons) ----

func (r *Resolver) planProduct(ctx context.Context, p *ent.Plan) (*ent.Product, error) {
	return loadRef(ctx, p.ID, "product", func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]uuid.UUID, error) {
		rows, err := r.Client.Plan.Query().Where(plan.IDIn(ids...)).Select(plan.FieldID, plan.FieldProductID).All(ctx)
		return fkMap(rows, planID, func(p *ent.Plan) *uuid.UUID { return &p.ProductID }), err
	}, r.productsByID, productID)
}

func (r *Resolver) addonProduct(ctx context.Context, a *ent.Addon) (*ent.Product, error) {
	return loadRef(ctx, a.ID, "product", func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]uuid.UUID, error) {
		rows, err := r.Client.Addon.Query().Where(addon.IDIn(ids...)).Select(addon.FieldID, addon.FieldProductID).All(ctx)
		return fkMap(rows, addonID, func(a *ent.Addon) *uuid.UUID { return &a.ProductID }), err
	}, r.productsByID, productID)
}

func (r *Resolver) basePlan(ctx context.Context, p *ent.Plan) (*ent.Plan, error) {
	if p.BasePlanID == nil {
		return nil, nil
	}
	return loadRef(ctx, p.ID, "basePlan", func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]uuid.UUID, error) {
		rows, err := r.Client.Plan.Query().Where(plan.IDIn(ids...)).Select(plan.FieldID, plan.FieldBasePlanID).All(ctx)
		return fkMap(rows, planID, func(p *ent.Plan) *uuid.UUID { return p.BasePlanID }), err
	}, r.plansByID, planID)
}

func entitlementOrder(q *ent.PackageEntitlementQuery) *ent.PackageEntitlementQuery {
	return q.Order(ent.Asc(packageentitlement.FieldPosition), ent.Asc(packageentitlement.FieldID))
}

func (r *Resolver) planEntitlements(ctx context.Context, p *ent.Plan) ([]*ent.PackageEntitlement, error) {
	return loadList(ctx, p.ID, "entitlements", func(ctx context.Context, ids []uuid.UUID) ([]*ent.PackageEntitlement, error) {
		return entitlementOrder(r.Client.PackageEntitlement.Query().Where(packageentitlement.PlanIDIn(ids...))).All(ctx)
	}, func(e *ent.PackageEntitlement) uuid.UUID { return *e.PlanID }, entID)
}

func (r *Resolver) addonEntitlements(ctx context.Context, a *ent.Addon) ([]*ent.PackageEntitlement, error) {
	return loadList(ctx, a.ID, "entitlements", func(ctx context.Context, ids []uuid.UUID) ([]*ent.PackageEntitlement, error) {
		return entitlementOrder(r.Client.PackageEntitlement.Query().Where(packageentitlement.AddonIDIn(ids...))).All(ctx)
	}, func(e *ent.PackageEntitlement) uuid.UUID { return *e.AddonID }, entID)
}

// inheritedEntitlements loads, for each plan of the group, the entitlements
// of its base plans (nearest first) for the features the plan does not set
// itself: one query per level of inheritance, one for the entitlements.
func (r *Resolver) inheritedEntitlements(ctx context.Context, p *ent.Plan) ([]*ent.PackageEntitlement, error) {
	if p.BasePlanID == nil {
		return []*ent.PackageEntitlement{}, nil
	}
	out, err := load(ctx, p.ID, "inheritedEntitlements", func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*ent.PackageEntitlement, error) {
		base := map[uuid.UUID]*uuid.UUID{} // plan -> its base plan
		frontier := ids
		for depth := 0; len(frontier) > 0 && depth < 32; depth++ {
			rows, err := r.Client.Plan.Query().Where(plan.IDIn(frontier...)).Select(plan.FieldID, plan.FieldBasePlanID).All(ctx)
			if err != nil {
				return nil, err
			}
			frontier = nil
			for _, row := range rows {
				base[row.ID] = row.BasePlanID
				if row.BasePlanID != nil {
					if _, seen := base[*row.BasePlanID]; !seen {
						frontier = append(frontier, *row.BasePlanID)
					}
				}
			}
		}
		all := make([]uuid.UUID, 0, len(base))
		for id := range base {
			all = append(all, id)
		}
		rows, err := entitlementOrder(r.Client.PackageEntitlement.Query().Where(packageentitlement.PlanIDIn(all...))).All(ctx)
		if err != nil {
			return nil, err
		}
		byPlan := groupBy(rows, func(e *ent.PackageEntitlement) uuid.UUID { return *e.PlanID })
		out := map[uuid.UUID][]*ent.PackageEntitlement{}
		var inherited []*ent.PackageEntitlement
		for _, id := range ids {
			seen := map[uuid.UUID]bool{}
			for _, e := range byPlan[id] {
				seen[e.FeatureID] = true
			}
			list := []*ent.PackageEntitlement{}
			visited := map[uuid.UUID]bool{id: true}
			for b := base[id]; b != nil && !visited[*b]; b = base[*b] {
				visited[*b] = true
				for _, e := range byPlan[*b] {
					if !seen[e.FeatureID] {
						seen[e.FeatureID] = true
						list = append(list, e)
					}
				}
			}
			out[id] = list
			inherited = append(inherited, list...)
		}
		registerRows(ctx, inherited, entID)
		return out, nil
	})
	if out == nil && err == nil {
		out = []*ent.PackageEntitlement{}
	}
	return out, err
}

func priceOrder(q *ent.PriceQuery) *ent.PriceQuery {
	return q.Where(price.Archived(false)).Order(ent.Asc(price.FieldPosition), ent.Asc(price.FieldID))
}

func (r *Resolver) planPrices(ctx context.Context, p *ent.Plan) ([]*ent.Price, error) {
	return loadList(ctx, p.ID, "prices", func(ctx context.Context, ids []uuid.UUID) ([]*ent.Price, error) {
		return priceOrder(r.Client.Price.Query().Where(price.PlanIDIn(ids...))).All(ctx)
	}, func(p *ent.Price) uuid.UUID { return *p.PlanID }, priceID)
}

func (r *Resolver) addonPrices(ctx context.Context, a *ent.Addon) ([]*ent.Price, error) {
	return loadList(ctx, a.ID, "prices", func(ctx context.Context, ids []uuid.UUID) ([]*ent.Price, error) {
		return priceOrder(r.Client.Price.Query().Where(price.AddonIDIn(ids...))).All(ctx)
	}, func(p *ent.Price) uuid.UUID { return *p.AddonID }, priceID)
}

// edgeList loads an edge list through ent's eager loading (one query for
// the parents' links, one for the targets), for many-to-many edges.
func edgeList[P, T any](ctx context.Context, id uuid.UUID, key string, fetch func(ctx context.Context, ids []uuid.UUID) ([]P, error), parentID func(P) uuid.UUID, targets func(P) []T, targetID func(T) uuid.UUID) ([]T, error) {
	out, err := load(ctx, id, key, func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]T, error) {
		rows, err := fetch(ctx, ids)
		if err != nil {
			return nil, err
		}
		out := map[uuid.UUID][]T{}
		var all []T
		for _, row := range rows {
			out[parentID(row)] = targets(row)
			all = append(all, targets(row)...)
		}
		registerRows(ctx, all, targetID)
		return out, nil
	})
	if out == nil && err == nil {
		out = []T{}
	}
	return out, err
}

func addonOrder(q *ent.AddonQuery) {
	q.Order(ent.Asc(addon.FieldCreatedAt), ent.Asc(addon.FieldRefID))
}

func (r *Resolver) compatibleAddons(ctx context.Context, p *ent.Plan) ([]*ent.Addon, error) {
	return edgeList(ctx, p.ID, "compatibleAddons", func(ctx context.Context, ids []uuid.UUID) ([]*ent.Plan, error) {
		return r.Client.Plan.Query().Where(plan.IDIn(ids...)).Select(plan.FieldID).WithCompatibleAddons(addonOrder).All(ctx)
	}, planID, func(p *ent.Plan) []*ent.Addon { return p.Edges.CompatibleAddons }, addonID)
}

func (r *Resolver) addonDependencies(ctx context.Context, a *ent.Addon) ([]*ent.Addon, error) {
	return edgeList(ctx, a.ID, "dependencies", func(ctx context.Context, ids []uuid.UUID) ([]*ent.Addon, error) {
		return r.Client.Addon.Query().Where(addon.IDIn(ids...)).Select(addon.FieldID).WithDependencies(addonOrder).All(ctx)
	}, addonID, func(a *ent.Addon) []*ent.Addon { return a.Edges.Dependencies }, addonID)
}

// ---- entitlements, prices, products, coupons ----

func (r *Resolver) entitlementFeature(ctx context.Context, e *ent.PackageEntitlement) (*ent.Feature, error) {
	return loadRef(ctx, e.ID, "feature", func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]uuid.UUID, error) {
		rows, err := r.Client.PackageEntitlement.Query().Where(packageentitlement.IDIn(ids...)).
			Select(packageentitlement.FieldID, packageentitlement.FieldFeatureID).All(ctx)
		return fkMap(rows, entID, func(e *ent.PackageEntitlement) *uuid.UUID { return &e.FeatureID }), err
	}, r.featuresByID, featureID)
}

func (r *Resolver) priceFeature(ctx context.Context, p *ent.Price) (*ent.Feature, error) {
	if p.FeatureID == nil {
		return nil, nil
	}
	return loadRef(ctx, p.ID, "feature", func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]uuid.UUID, error) {
		rows, err := r.Client.Price.Query().Where(price.IDIn(ids...)).Select(price.FieldID, price.FieldFeatureID).All(ctx)
		return fkMap(rows, priceID, func(p *ent.Price) *uuid.UUID { return p.FeatureID }), err
	}, r.featuresByID, featureID)
}

// packages loads, for the group of id, the plan or add-on each row belongs
// to as Stigg's PackageDto; owners reads the rows' plan and add-on ids.
func (r *Resolver) packages(ctx context.Context, id uuid.UUID, owners func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][2]*uuid.UUID, error)) (*model.PackageDto, error) {
	return load(ctx, id, "package", func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*model.PackageDto, error) {
		own, err := owners(ctx, ids)
		if err != nil {
			return nil, err
		}
		var planIDs, addonIDs []uuid.UUID
		for _, o := range own {
			if o[0] != nil {
				planIDs = append(planIDs, *o[0])
			}
			if o[1] != nil {
				addonIDs = append(addonIDs, *o[1])
			}
		}
		pkgs := map[uuid.UUID]*model.PackageDto{}
		if len(planIDs) > 0 {
			plans, err := r.plansByID(ctx, planIDs)
			if err != nil {
				return nil, err
			}
			for _, p := range plans {
				pkgs[p.ID] = planPackage(p)
			}
		}
		if len(addonIDs) > 0 {
			addons, err := r.addonsByID(ctx, addonIDs)
			if err != nil {
				return nil, err
			}
			for _, a := range addons {
				pkgs[a.ID] = addonPackage(a)
			}
		}
		out := map[uuid.UUID]*model.PackageDto{}
		for row, o := range own {
			for _, ref := range o {
				if ref != nil {
					out[row] = pkgs[*ref]
				}
			}
		}
		return out, nil
	})
}

func (r *Resolver) pricePackage(ctx context.Context, p *ent.Price) (*model.PackageDto, error) {
	return r.packages(ctx, p.ID, func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][2]*uuid.UUID, error) {
		rows, err := r.Client.Price.Query().Where(price.IDIn(ids...)).Select(price.FieldID, price.FieldPlanID, price.FieldAddonID).All(ctx)
		out := map[uuid.UUID][2]*uuid.UUID{}
		for _, row := range rows {
			out[row.ID] = [2]*uuid.UUID{row.PlanID, row.AddonID}
		}
		return out, err
	})
}

func (r *Resolver) entitlementPackage(ctx context.Context, e *ent.PackageEntitlement) (*model.PackageDto, error) {
	return r.packages(ctx, e.ID, func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][2]*uuid.UUID, error) {
		rows, err := r.Client.PackageEntitlement.Query().Where(packageentitlement.IDIn(ids...)).
			Select(packageentitlement.FieldID, packageentitlement.FieldPlanID, packageentitlement.FieldAddonID).All(ctx)
		out := map[uuid.UUID][2]*uuid.UUID{}
		for _, row := range rows {
			out[row.ID] = [2]*uuid.UUID{row.PlanID, row.AddonID}
		}
		return out, err
	})
}

func (r *Resolver) productPlans(ctx context.Context, p *ent.Product) ([]*ent.Plan, error) {
	return loadList(ctx, p.ID, "plans", func(ctx context.Context, ids []uuid.UUID) ([]*ent.Plan, error) {
		return r.Client.Plan.Query().Where(plan.ProductIDIn(ids...), plan.StatusEQ(plan.StatusPUBLISHED)).
			Order(ent.Asc(plan.FieldCreatedAt), ent.Asc(plan.FieldRefID)).All(ctx)
	}, func(p *ent.Plan) uuid.UUID { return p.ProductID }, planID)
}

func (r *Resolver) productAddons(ctx context.Context, p *ent.Product) ([]*ent.Addon, error) {
	return loadList(ctx, p.ID, "addons", func(ctx context.Context, ids []uuid.UUID) ([]*ent.Addon, error) {
		return r.Client.Addon.Query().Where(addon.ProductIDIn(ids...), addon.StatusEQ(addon.StatusPUBLISHED)).
			Order(ent.Asc(addon.FieldCreatedAt), ent.Asc(addon.FieldRefID)).All(ctx)
	}, func(a *ent.Addon) uuid.UUID { return a.ProductID }, addonID)
}

func (r *Resolver) downgradePlan(ctx context.Context, p *ent.Product) (*ent.Plan, error) {
	if p.DowngradePlanID == nil {
		return nil, nil
	}
	return loadRef(ctx, p.ID, "downgradePlan", func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]uuid.UUID, error) {
		rows, err := r.Client.Product.Query().Where(product.IDIn(ids...)).Select(product.FieldID, product.FieldDowngradePlanID).All(ctx)
		return fkMap(rows, productID, func(p *ent.Product) *uuid.UUID { return p.DowngradePlanID }), err
	}, r.plansByID, planID)
}

func (r *Resolver) couponCustomers(ctx context.Context, c *ent.Coupon) ([]*ent.Customer, error) {
	return loadList(ctx, c.ID, "customers", func(ctx context.Context, ids []uuid.UUID) ([]*ent.Customer, error) {
		return r.Client.Customer.Query().Where(customer.CouponIDIn(ids...), customer.DeletedAtIsNil()).
			Order(ent.Asc(customer.FieldCreatedAt), ent.Asc(customer.FieldID)).All(ctx)
	}, func(c *ent.Customer) uuid.UUID { return *c.CouponID }, customerID)
}

// promotionalFeature loads the feature a grant names by refId.
func (r *Resolver) promotionalFeature(ctx context.Context, p *ent.PromotionalEntitlement) (*ent.Feature, error) {
	return load(ctx, p.ID, "feature", func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*ent.Feature, error) {
		grants, err := r.Client.PromotionalEntitlement.Query().Where(promotionalentitlement.IDIn(ids...)).All(ctx)
		if err != nil {
			return nil, err
		}
		refs := make([]string, len(grants))
		for i, g := range grants {
			refs[i] = g.FeatureRefID
		}
		features, err := r.Client.Feature.Query().Where(feature.EnvironmentID(p.EnvironmentID), feature.RefIDIn(refs...)).All(ctx)
		if err != nil {
			return nil, err
		}
		registerRows(ctx, features, featureID)
		out := map[uuid.UUID]*ent.Feature{}
		for _, g := range grants {
			for _, f := range features {
				if f.RefID == g.FeatureRefID {
					out[g.ID] = f
				}
			}
		}
		return out, nil
	})
}

// ---- shared shapes ----

func syncStateModel(s *ent.SyncState) *model.SyncState {
	vendor := model.VendorIdentifier(s.VendorIdentifier)
	return &model.SyncState{
		Status:           model.SyncStatus(s.Status),
		Error:            s.Error,
		SyncedEntityID:   s.SyncedEntityID,
		VendorIdentifier: vendor,
		Integration: &model.Integration{
			// The integration is configured per server, not stored: its id is
			// derived from the environment and vendor so it is stable.
			ID:                    uuid.NewSHA1(s.EnvironmentID, []byte(s.VendorIdentifier)),
			EnvironmentID:         s.EnvironmentID,
			VendorIdentifier:      vendor,
			VendorType:            model.VendorTypeBilling,
			SupportsPaymentMethod: true,
		},
	}
}

func groupBy[T any](rows []T, key func(T) uuid.UUID) map[uuid.UUID][]T {
	out := make(map[uuid.UUID][]T)
	for _, r := range rows {
		k := key(r)
		out[k] = append(out[k], r)
	}
	return out
}

func enumPtr[E ~string](s *string) *E {
	if s == nil {
		return nil
	}
	e := E(*s)
	return &e
}

// customerStatistics counts the customer's active subscriptions by pricing
// type, listing every pricing type (zeros included) in a stable order.
func customerStatistics(subs []*ent.CustomerSubscription) *model.CustomerStatistics {
	counts := map[model.PricingType]float64{}
	for _, s := range subs {
		counts[model.PricingType(s.PricingType)]++
	}
	stats := make([]*model.SubscriptionPricingTypeStatistics, 0, len(model.AllPricingType))
	for _, pt := range model.AllPricingType {
		stats = append(stats, &model.SubscriptionPricingTypeStatistics{PricingType: pt, TotalCount: counts[pt]})
	}
	return &model.CustomerStatistics{ActiveSubscriptionsByPricingType: stats}
}
