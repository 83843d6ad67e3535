// One file: the Snapshot, its cross-request cache, its table loads and its
// lookups share the snapshot's unexported maps and load-once state.

package catalog

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/addon"
	"github.com/stigg-selfhost/stiggql/ent/coupon"
	"github.com/stigg-selfhost/stiggql/ent/feature"
	"github.com/stigg-selfhost/stiggql/ent/packageentitlement"
	"github.com/stigg-selfhost/stiggql/ent/plan"
	"github.com/stigg-selfhost/stiggql/ent/price"
	"github.com/stigg-selfhost/stiggql/ent/product"
	"github.com/stigg-selfhost/stiggql/internal/store"
)

// Snapshot is an environment's catalog at one catalog version.
// A catalog is small (tens of plans, not millions of rows), every customer
// of the environment points into the same one, and it changes far less
// often than it is read, so it is read whole, one table at a time on first
// use, and shared by the requests that see the same catalog version
// (internal/store/versions.go): a customers page of 50 subscriptions and their plans,
// entitlements, add-ons and prices costs no catalog statement at all once
// the snapshot is warm. Customer-scale rows (customers, subscriptions and
// their items) load by sibling groups (graph/loaders.go).
//
// Rows in a snapshot are shared between requests: callers read them and
// never modify them.
type Snapshot struct {
	client  *ent.Client
	env     uuid.UUID
	version int64
	// cache is the cache sharing this snapshot, nil for one of a single
	// request.
	cache *snapshotCache

	productsOnce, featuresOnce, plansOnce, addonsOnce, entsOnce, pricesOnce, couponsOnce sync.Once
	err                                                                                  error
	errMu                                                                                sync.Mutex

	products    map[uuid.UUID]*ent.Product
	productList []*ent.Product
	features    map[uuid.UUID]*ent.Feature
	featureRefs map[string]*ent.Feature
	plans       map[uuid.UUID]*ent.Plan
	planList    []*ent.Plan                // every version
	latestPlans []*ent.Plan                // the latest version of each plan
	compatible  map[uuid.UUID][]*ent.Addon // plan id -> compatible add-ons
	addons      map[uuid.UUID]*ent.Addon
	addonList   []*ent.Addon
	deps        map[uuid.UUID][]*ent.Addon // add-on id -> dependencies
	ents        map[uuid.UUID][]*ent.PackageEntitlement
	prices      map[uuid.UUID]*ent.Price
	pkgPrices   map[uuid.UUID][]*ent.Price // plan or add-on id -> live prices
	coupons     map[uuid.UUID]*ent.Coupon
}

// snapshotCache holds each environment's newest shared snapshot.
type snapshotCache struct {
	mu    sync.Mutex
	byEnv map[uuid.UUID]*Snapshot
}

// loadTimeout bounds the reading of a shared snapshot's table. The
// read does not stop when the request that started it ends, since other
// requests may be waiting for it.
const loadTimeout = 30 * time.Second

// Snapshots hands out catalog snapshots: one per request and environment,
// shared between requests at the same catalog version once EnableCaches
// has been called.
type Snapshots struct {
	client *ent.Client
	// versions and cache are nil until EnableCaches.
	versions *store.Versions
	cache    *snapshotCache
}

// NewSnapshots returns the snapshots of client's catalogs, without a cache.
func NewSnapshots(client *ent.Client) *Snapshots {
	return &Snapshots{client: client}
}

// EnableCaches shares snapshots between requests; versions tells when one
// is stale.
func (s *Snapshots) EnableCaches(versions *store.Versions) {
	s.versions = versions
	s.cache = &snapshotCache{byEnv: map[uuid.UUID]*Snapshot{}}
}

// requestSnapshots are one request's snapshots by environment.
type requestSnapshots struct {
	mu    sync.Mutex
	byEnv map[uuid.UUID]*Snapshot
}

type requestSnapshotsKey struct{}

// WithRequestSnapshots returns ctx in which Of gives the same snapshot of
// an environment for the whole request: call it once per request.
func WithRequestSnapshots(ctx context.Context) context.Context {
	return context.WithValue(ctx, requestSnapshotsKey{}, &requestSnapshots{byEnv: map[uuid.UUID]*Snapshot{}})
}

// Of returns the request's catalog snapshot of env: the same one for the
// whole request.
func (s *Snapshots) Of(ctx context.Context, env uuid.UUID) *Snapshot {
	l, _ := ctx.Value(requestSnapshotsKey{}).(*requestSnapshots)
	if l == nil {
		return s.shared(ctx, env)
	}
	l.mu.Lock()
	c := l.byEnv[env]
	l.mu.Unlock()
	if c != nil {
		return c
	}
	c = s.shared(ctx, env)
	l.mu.Lock()
	defer l.mu.Unlock()
	if first := l.byEnv[env]; first != nil {
		return first
	}
	l.byEnv[env] = c
	return c
}

// shared returns the snapshot of env's catalog at the version this request
// sees, shared when the caches are on.
func (s *Snapshots) shared(ctx context.Context, env uuid.UUID) *Snapshot {
	if s.cache == nil {
		return &Snapshot{client: s.client, env: env}
	}
	v, err := s.versions.Of(ctx, env)
	if err != nil {
		c := &Snapshot{client: s.client, env: env}
		c.fail(err)
		return c
	}
	return s.cache.get(s.client, env, v.Catalog)
}

// get returns the cached snapshot of env at version, or a new one, cached
// unless a newer one already is.
func (cc *snapshotCache) get(client *ent.Client, env uuid.UUID, version int64) *Snapshot {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	old := cc.byEnv[env]
	if old != nil && old.version == version {
		return old
	}
	c := &Snapshot{client: client, env: env, version: version, cache: cc}
	if old == nil || old.version < version {
		cc.byEnv[env] = c
	}
	return c
}

// drop forgets c, so that the next request reads the catalog again.
func (cc *snapshotCache) drop(c *Snapshot) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.byEnv[c.env] == c {
		delete(cc.byEnv, c.env)
	}
}

// load runs read once for the snapshot. A shared snapshot reads detached
// from the request's cancellation, within loadTimeout; one that
// fails is dropped from the cache, so the failure is not kept.
func (c *Snapshot) load(ctx context.Context, once *sync.Once, read func(ctx context.Context) error) error {
	once.Do(func() {
		if c.cache != nil {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
			defer cancel()
		}
		c.fail(read(ctx))
	})
	return c.error()
}

func (c *Snapshot) fail(err error) {
	if err != nil {
		c.errMu.Lock()
		if c.err == nil {
			c.err = err
		}
		c.errMu.Unlock()
		if c.cache != nil {
			c.cache.drop(c)
		}
	}
}

func (c *Snapshot) error() error {
	c.errMu.Lock()
	defer c.errMu.Unlock()
	return c.err
}

var (
	planID    = func(p *ent.Plan) uuid.UUID { return p.ID }
	addonID   = func(a *ent.Addon) uuid.UUID { return a.ID }
	productID = func(p *ent.Product) uuid.UUID { return p.ID }
	featureID = func(f *ent.Feature) uuid.UUID { return f.ID }
	couponID  = func(c *ent.Coupon) uuid.UUID { return c.ID }
	priceID   = func(p *ent.Price) uuid.UUID { return p.ID }
)

func byID[T any](rows []T, id func(T) uuid.UUID) map[uuid.UUID]T {
	out := make(map[uuid.UUID]T, len(rows))
	for _, r := range rows {
		out[id(r)] = r
	}
	return out
}

func (c *Snapshot) loadProducts(ctx context.Context) error {
	return c.load(ctx, &c.productsOnce, func(ctx context.Context) error {
		rows, err := c.client.Product.Query().Where(product.EnvironmentID(c.env)).
			Order(ent.Asc(product.FieldCreatedAt), ent.Asc(product.FieldRefID)).All(ctx)
		if err != nil {
			return err
		}
		c.productList, c.products = rows, byID(rows, productID)
		return nil
	})
}

func (c *Snapshot) loadFeatures(ctx context.Context) error {
	return c.load(ctx, &c.featuresOnce, func(ctx context.Context) error {
		rows, err := c.client.Feature.Query().Where(feature.EnvironmentID(c.env)).All(ctx)
		if err != nil {
			return err
		}
		c.features = byID(rows, featureID)
		c.featureRefs = make(map[string]*ent.Feature, len(rows))
		for _, f := range rows {
			c.featureRefs[f.RefID] = f
		}
		return nil
	})
}

func addonsInOrder(q *ent.AddonQuery) {
	q.Order(ent.Asc(addon.FieldCreatedAt), ent.Asc(addon.FieldRefID))
}

func (c *Snapshot) loadPlans(ctx context.Context) error {
	if err := c.loadAddons(ctx); err != nil {
		return err
	}
	return c.load(ctx, &c.plansOnce, func(ctx context.Context) error {
		rows, err := c.client.Plan.Query().Where(plan.EnvironmentID(c.env)).
			WithCompatibleAddons(func(q *ent.AddonQuery) { q.Select(addon.FieldID); addonsInOrder(q) }).
			Order(ent.Asc(plan.FieldCreatedAt), ent.Asc(plan.FieldRefID)).All(ctx)
		if err != nil {
			return err
		}
		c.planList, c.plans = rows, byID(rows, planID)
		c.latestPlans = make([]*ent.Plan, 0, len(rows))
		for _, p := range rows {
			if p.IsLatest {
				c.latestPlans = append(c.latestPlans, p)
			}
		}
		c.compatible = map[uuid.UUID][]*ent.Addon{}
		for _, p := range rows {
			list := []*ent.Addon{}
			for _, a := range p.Edges.CompatibleAddons {
				if full := c.addons[a.ID]; full != nil {
					list = append(list, full)
				}
			}
			c.compatible[p.ID] = list
		}
		return nil
	})
}

func (c *Snapshot) loadAddons(ctx context.Context) error {
	return c.load(ctx, &c.addonsOnce, func(ctx context.Context) error {
		rows, err := c.client.Addon.Query().Where(addon.EnvironmentID(c.env)).
			WithDependencies(func(q *ent.AddonQuery) { q.Select(addon.FieldID); addonsInOrder(q) }).
			Order(ent.Asc(addon.FieldCreatedAt), ent.Asc(addon.FieldRefID)).All(ctx)
		if err != nil {
			return err
		}
		c.addonList, c.addons = rows, byID(rows, addonID)
		c.deps = map[uuid.UUID][]*ent.Addon{}
		for _, a := range rows {
			list := []*ent.Addon{}
			for _, d := range a.Edges.Dependencies {
				if full := c.addons[d.ID]; full != nil {
					list = append(list, full)
				}
			}
			c.deps[a.ID] = list
		}
		return nil
	})
}

func (c *Snapshot) loadEntitlements(ctx context.Context) error {
	return c.load(ctx, &c.entsOnce, func(ctx context.Context) error {
		rows, err := c.client.PackageEntitlement.Query().Where(packageentitlement.EnvironmentID(c.env)).
			Order(ent.Asc(packageentitlement.FieldPosition), ent.Asc(packageentitlement.FieldID)).All(ctx)
		if err != nil {
			return err
		}
		c.ents = map[uuid.UUID][]*ent.PackageEntitlement{}
		for _, e := range rows {
			owner := e.PlanID
			if owner == nil {
				owner = e.AddonID
			}
			if owner != nil {
				c.ents[*owner] = append(c.ents[*owner], e)
			}
		}
		return nil
	})
}

func (c *Snapshot) loadPrices(ctx context.Context) error {
	return c.load(ctx, &c.pricesOnce, func(ctx context.Context) error {
		rows, err := c.client.Price.Query().Where(price.EnvironmentID(c.env)).
			Order(ent.Asc(price.FieldPosition), ent.Asc(price.FieldID)).All(ctx)
		if err != nil {
			return err
		}
		c.prices = byID(rows, priceID)
		c.pkgPrices = map[uuid.UUID][]*ent.Price{}
		for _, p := range rows {
			owner := p.PlanID
			if owner == nil {
				owner = p.AddonID
			}
			if owner != nil && !p.Archived {
				c.pkgPrices[*owner] = append(c.pkgPrices[*owner], p)
			}
		}
		return nil
	})
}

func (c *Snapshot) loadCoupons(ctx context.Context) error {
	return c.load(ctx, &c.couponsOnce, func(ctx context.Context) error {
		rows, err := c.client.Coupon.Query().Where(coupon.EnvironmentID(c.env)).All(ctx)
		if err != nil {
			return err
		}
		c.coupons = byID(rows, couponID)
		return nil
	})
}

// Lookups. Each reads its table on first use; a missing row is nil.

func (c *Snapshot) Plan(ctx context.Context, id uuid.UUID) (*ent.Plan, error) {
	err := c.loadPlans(ctx)
	return c.plans[id], err
}

func (c *Snapshot) Addon(ctx context.Context, id uuid.UUID) (*ent.Addon, error) {
	err := c.loadAddons(ctx)
	return c.addons[id], err
}

func (c *Snapshot) Product(ctx context.Context, id uuid.UUID) (*ent.Product, error) {
	err := c.loadProducts(ctx)
	return c.products[id], err
}

func (c *Snapshot) Feature(ctx context.Context, id uuid.UUID) (*ent.Feature, error) {
	err := c.loadFeatures(ctx)
	return c.features[id], err
}

func (c *Snapshot) FeatureByRef(ctx context.Context, ref string) (*ent.Feature, error) {
	err := c.loadFeatures(ctx)
	return c.featureRefs[ref], err
}

func (c *Snapshot) Price(ctx context.Context, id uuid.UUID) (*ent.Price, error) {
	err := c.loadPrices(ctx)
	return c.prices[id], err
}

func (c *Snapshot) Coupon(ctx context.Context, id uuid.UUID) (*ent.Coupon, error) {
	err := c.loadCoupons(ctx)
	return c.coupons[id], err
}

func (c *Snapshot) Entitlements(ctx context.Context, pkg uuid.UUID) ([]*ent.PackageEntitlement, error) {
	if err := c.loadEntitlements(ctx); err != nil {
		return nil, err
	}
	if e := c.ents[pkg]; e != nil {
		return e, nil
	}
	return []*ent.PackageEntitlement{}, nil
}

func (c *Snapshot) PackagePrices(ctx context.Context, pkg uuid.UUID) ([]*ent.Price, error) {
	if err := c.loadPrices(ctx); err != nil {
		return nil, err
	}
	if p := c.pkgPrices[pkg]; p != nil {
		return p, nil
	}
	return []*ent.Price{}, nil
}

func (c *Snapshot) CompatibleAddons(ctx context.Context, p uuid.UUID) ([]*ent.Addon, error) {
	err := c.loadPlans(ctx)
	if l := c.compatible[p]; l != nil || err != nil {
		return l, err
	}
	return []*ent.Addon{}, nil
}

func (c *Snapshot) Dependencies(ctx context.Context, a uuid.UUID) ([]*ent.Addon, error) {
	err := c.loadAddons(ctx)
	if l := c.deps[a]; l != nil || err != nil {
		return l, err
	}
	return []*ent.Addon{}, nil
}

// inherited is the entitlements p inherits: those of its base plans,
// nearest first, for the features p does not set itself.
func (c *Snapshot) Inherited(ctx context.Context, p *ent.Plan) ([]*ent.PackageEntitlement, error) {
	if err := c.loadPlans(ctx); err != nil {
		return nil, err
	}
	own, err := c.Entitlements(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	seen := map[uuid.UUID]bool{}
	for _, e := range own {
		seen[e.FeatureID] = true
	}
	out := []*ent.PackageEntitlement{}
	visited := map[uuid.UUID]bool{p.ID: true}
	for b := p.BasePlanID; b != nil && !visited[*b]; {
		visited[*b] = true
		for _, e := range c.ents[*b] {
			if !seen[e.FeatureID] {
				seen[e.FeatureID] = true
				out = append(out, e)
			}
		}
		base := c.plans[*b]
		if base == nil {
			break
		}
		b = base.BasePlanID
	}
	return out, nil
}

// PublishedPlans are the latest versions of product's published plans,
// oldest first.
func (c *Snapshot) PublishedPlans(ctx context.Context, product uuid.UUID) ([]*ent.Plan, error) {
	if err := c.loadPlans(ctx); err != nil {
		return nil, err
	}
	out := []*ent.Plan{}
	for _, pl := range c.latestPlans {
		if pl.ProductID == product && pl.Status == plan.StatusPUBLISHED {
			out = append(out, pl)
		}
	}
	return out, nil
}

// PublishedAddons are the published add-ons of product, oldest first.
func (c *Snapshot) PublishedAddons(ctx context.Context, product uuid.UUID) ([]*ent.Addon, error) {
	if err := c.loadAddons(ctx); err != nil {
		return nil, err
	}
	out := []*ent.Addon{}
	for _, a := range c.addonList {
		if a.ProductID == product && a.Status == addon.StatusPUBLISHED {
			out = append(out, a)
		}
	}
	return out, nil
}

// TrialProducts are the published products that have a published plan with
// a trial, oldest first.
func (c *Snapshot) TrialProducts(ctx context.Context) ([]*ent.Product, error) {
	if err := c.loadProducts(ctx); err != nil {
		return nil, err
	}
	if err := c.loadPlans(ctx); err != nil {
		return nil, err
	}
	withTrial := map[uuid.UUID]bool{}
	for _, p := range c.latestPlans {
		if p.TrialDuration != nil && p.Status == plan.StatusPUBLISHED {
			withTrial[p.ProductID] = true
		}
	}
	out := []*ent.Product{}
	for _, p := range c.productList {
		if withTrial[p.ID] && p.Status == product.StatusPUBLISHED {
			out = append(out, p)
		}
	}
	return out, nil
}

// Load reads the tables a paywall or customer portal walks whole (products,
// plans, prices, features), so that lookups after it cannot fail.
func (c *Snapshot) Load(ctx context.Context) error {
	for _, load := range []func(context.Context) error{c.loadProducts, c.loadPlans, c.loadPrices, c.loadFeatures} {
		if err := load(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Products lists the environment's products in catalog order.
func (c *Snapshot) Products(ctx context.Context) ([]*ent.Product, error) {
	err := c.loadProducts(ctx)
	return c.productList, err
}

// Plans lists the latest version of each of the environment's plans, in
// catalog order, as Stigg lists plans (older versions are reached through
// the subscriptions on them, by Plan).
func (c *Snapshot) Plans(ctx context.Context) ([]*ent.Plan, error) {
	err := c.loadPlans(ctx)
	return c.latestPlans, err
}
