package graph

import (
	"context"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/addon"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/environment"
	"github.com/stigg-selfhost/stiggql/ent/predicate"
	"github.com/stigg-selfhost/stiggql/ent/price"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionaddon"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionprice"
	"github.com/stigg-selfhost/stiggql/ent/syncstate"
	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/catalog"
	"github.com/stigg-selfhost/stiggql/internal/customers"
	"github.com/stigg-selfhost/stiggql/internal/nestquery"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
)

// This file loads every nested field without N+1. Customer-scale rows
// (customers, subscriptions, their add-ons and prices) load in batches over
// sibling groups (see loaders.go): a list field's fetch returns the rows of
// the whole group and registers them as a new group, so the next level is
// batched too. Catalog rows (plans, add-ons, features, prices, entitlements,
// products, coupons) come from the request's catalog snapshot
// (nested_catalog.go), which reads each catalog table at most once. The
// number of statements a request runs depends on its shape, never on how
// many rows it returns (statements_test.go).

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

// deref is *p, or T's zero value for a nil p.
func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

func (r *Resolver) customersByID(ctx context.Context, ids []uuid.UUID) ([]*ent.Customer, error) {
	return r.Client.Customer.Query().Where(customer.IDIn(ids...)).All(ctx)
}

var (
	customerID = func(c *ent.Customer) uuid.UUID { return c.ID }
	subID      = func(s *ent.CustomerSubscription) uuid.UUID { return s.ID }
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
func (r *Resolver) customerSubscriptions(ctx context.Context, customerID uuid.UUID, cols []string, filter *model.CustomerSubscriptionFilter, sorting []*model.CustomerSubscriptionSort) ([]*ent.CustomerSubscription, error) {
	// Siblings resolve the same field of the query (the same arguments and
	// selection), so the field names the load; asking elsewhere (another
	// alias, other arguments or columns) loads apart.
	key, err := fieldKey(ctx, "subscriptions", filter, sorting)
	if err != nil {
		return nil, err
	}
	return loadList(ctx, customerID, key+strings.Join(cols, ","), func(ctx context.Context, ids []uuid.UUID) ([]*ent.CustomerSubscription, error) {
		l, err := r.subscriptionList(filter, sorting, cols)
		if err != nil {
			return nil, err
		}
		return r.CustomerReads.Subscriptions(ctx, ids, l)
	}, subParent, subID)
}

// subscriptionList is the read of the subscriptions field with filter and
// sorting, reading cols.
func (r *Resolver) subscriptionList(filter *model.CustomerSubscriptionFilter, sorting []*model.CustomerSubscriptionSort, cols []string) (customers.SubscriptionList, error) {
	where, err := subscriptionSpec.Where(filter, nestquery.Env{Now: r.Clock.Now()})
	if err != nil {
		return customers.SubscriptionList{}, err
	}
	keys, err := subscriptionSpec.Sort(sorting, newestFirst)
	if err != nil {
		return customers.SubscriptionList{}, err
	}
	return customers.SubscriptionList{
		Where: where, Order: nestquery.OrderBy(keys, false),
		Shape: nestquery.Key(filter) + "|" + nestquery.Key(sorting), Columns: cols,
	}, nil
}

func subParent(s *ent.CustomerSubscription) uuid.UUID { return s.CustomerID }

func grantParent(p *ent.PromotionalEntitlement) uuid.UUID { return p.CustomerID }

func grantID(p *ent.PromotionalEntitlement) uuid.UUID { return p.ID }

// activeGrantsKey names the load of the active grants reading cols.
func activeGrantsKey(cols []string) string {
	return "activePromotionalEntitlements:" + strings.Join(cols, ",")
}

// activePromotionalEntitlements loads each customer's grants that are active
// now, oldest first.
//
// Only cols are read (all when nil); callers asking for other columns load
// apart.
func (r *Resolver) activePromotionalEntitlements(ctx context.Context, id uuid.UUID, cols []string) ([]*ent.PromotionalEntitlement, error) {
	now := r.Clock.Now()
	return loadList(ctx, id, activeGrantsKey(cols), func(ctx context.Context, ids []uuid.UUID) ([]*ent.PromotionalEntitlement, error) {
		return r.CustomerReads.ActiveGrants(ctx, ids, now, cols)
	}, grantParent, grantID)
}

// customerSyncStates loads the sync states of each customer itself (not of
// its subscriptions).
func (r *Resolver) customerSyncStates(ctx context.Context, id uuid.UUID) ([]*model.SyncState, error) {
	return r.syncStates(ctx, id, syncstate.EntityTypeCUSTOMER)
}

// syncStates loads the sync states of the entities of one type (customers
// or subscriptions) for id's sibling group.
func (r *Resolver) syncStates(ctx context.Context, id uuid.UUID, entityType syncstate.EntityType) ([]*model.SyncState, error) {
	return load(ctx, id, "syncStates:"+entityType.String(), func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*model.SyncState, error) {
		rows, err := r.CustomerReads.SyncStates(ctx, ids, entityType, syncStateColumns)
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
			Order(ent.Asc(customersubscription.FieldCreatedAt), ent.Asc(customersubscription.FieldID)).All(ctx)
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
			p, err := r.Catalogs.Of(ctx, s.EnvironmentID).Plan(ctx, s.PlanID)
			if err != nil {
				return nil, err
			}
			h.plans[s.PlanID] = p
		}
		return out, nil
	})
	if h == nil && err == nil {
		h = &trialHistory{plans: map[uuid.UUID]*ent.Plan{}}
	}
	return h, err
}

// ---- subscriptions ----

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

// ---- shared shapes ----

// syncStateColumns are what syncStateModel reads, and the entity the state
// is grouped by.
var syncStateColumns = []string{syncstate.FieldEntityID, syncstate.FieldEnvironmentID, syncstate.FieldVendorIdentifier,
	syncstate.FieldStatus, syncstate.FieldError, syncstate.FieldSyncedEntityID}

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

// packageOf is the plan or add-on of c with one of the ids, as a
// PackageDto.
func packageOf(ctx context.Context, c *catalog.Snapshot, planRef, addonRef *uuid.UUID) (*model.PackageDto, error) {
	switch {
	case planRef != nil:
		p, err := c.Plan(ctx, *planRef)
		if p == nil {
			return nil, err
		}
		return planPackage(p), nil
	case addonRef != nil:
		a, err := c.Addon(ctx, *addonRef)
		if a == nil {
			return nil, err
		}
		return addonPackage(a), nil
	}
	return nil, nil
}
