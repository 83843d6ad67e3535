package entitlements

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/promotionalentitlement"
	"github.com/stigg-selfhost/stiggql/ent/subscriptionschedule"
)

// The entitlements cache (EnableCache) keeps each customer's computed
// entitlements (per resource) between requests, so that a check is one
// statement: the customer's entitlements version and its environment's
// catalog version, read together with the usage counters the cached
// entitlements need.
//
// A cached State is reused only while three things hold:
//
//   - the customer's version in entitlement_versions is the one read before
//     it was computed. Triggers bump it in the transaction of every write
//     to the customer row, its subscriptions, their add-ons and prices, and
//     its promotional grants (migrations *_entitlement_versions.sql), so a
//     write through any process or replica sharing the database is seen by
//     the next check everywhere; Invalidate bumps it by hand for a write
//     the triggers do not see;
//   - its environment's catalog version (catalog_versions) is unchanged;
//   - the clock is before the entry's validUntil: the earliest instant at
//     which the computation would change by time alone (a subscription
//     starting, its trial or its end reached, a grant starting or ending, a
//     usage period ending, a scheduled update due), and not before the
//     instant it was computed at.
//
// Usage is never cached: reported usage comes from the counters read in
// the same statement as the versions, event-metered usage from the events
// (one more statement, only for customers that have such features).
//
// Versions are read before computing and the State is stored under them,
// as the catalog snapshots are, so a write committed in between makes the
// stored State newer than its versions say and the next check computes
// again, never the other way round.

// DefaultCacheEntries is the number of customers (and resources) whose
// entitlements EnableCache keeps by default. An entry costs a few KiB
// (the customer row and its entitlements; feature rows are shared).
const DefaultCacheEntries = 20000

type cacheKey struct {
	env      uuid.UUID
	ref      string
	resource string
	scoped   bool // resource given
}

// counterSlot is the reported-usage counter an entry's entitlement reads.
type counterSlot struct {
	idx     int
	feature uuid.UUID
	period  time.Time
}

type cacheEntry struct {
	catalog, version int64
	// computedAt and validUntil bound the instants the entry answers for;
	// validUntil is zero when nothing changes by time alone.
	computedAt, validUntil time.Time
	// state is the computed State: shared, never modified; each answer is a
	// copy with its own usage.
	state    *State
	counters []counterSlot
	events   []int // event-metered entitlements
	// query reads the versions and the counters: see readVersions.
	query string
}

func (e *cacheEntry) answers(now time.Time) bool {
	return !now.Before(e.computedAt) && (e.validUntil.IsZero() || now.Before(e.validUntil))
}

type featureCacheKey struct {
	env uuid.UUID
	ref string
}

type cachedFeature struct {
	catalog int64
	f       *ent.Feature // nil: no such feature
}

type entCache struct {
	postgres bool
	max      int

	mu      sync.Mutex
	entries map[cacheKey]*cacheEntry
	// features interns feature rows per environment and catalog version,
	// so that entries share them; refs answers Check's feature lookups.
	features map[uuid.UUID]*featureSet
	refs     map[featureCacheKey]cachedFeature
}

type featureSet struct {
	catalog int64
	byID    map[uuid.UUID]*ent.Feature
}

// EnableCache keeps customers' computed entitlements between requests (see
// above), for a store of the given dialect (dialect.SQLite or
// dialect.Postgres) with the version tables of the migrations; at most
// maxEntries customers (and resources) are kept, DefaultCacheEntries when
// maxEntries <= 0. Call it before serving.
func (s *Service) EnableCache(dial string, maxEntries int) {
	if maxEntries <= 0 {
		maxEntries = DefaultCacheEntries
	}
	s.cache = &entCache{postgres: dial == dialect.Postgres, max: maxEntries, entries: map[cacheKey]*cacheEntry{},
		features: map[uuid.UUID]*featureSet{}, refs: map[featureCacheKey]cachedFeature{}}
}

// DisableCache turns the cache off: every ForCustomer and Check computes.
func (s *Service) DisableCache() { s.cache = nil }

// cached is ForCustomer through the cache.
func (s *Service) cached(ctx context.Context, env uuid.UUID, ref string, resourceID *string) (*State, error) {
	c := s.cache
	now := s.Clock.Now()
	key := cacheKey{env: env, ref: ref, scoped: resourceID != nil, resource: resourceKey(resourceID)}
	c.mu.Lock()
	e := c.entries[key]
	c.mu.Unlock()
	if e != nil && !e.answers(now) {
		e = nil
	}
	catalog, version, usage, err := c.readVersions(ctx, s.Client, env, ref, resourceID, e)
	if err != nil {
		return nil, err
	}
	if e != nil && e.catalog == catalog && e.version == version {
		st := e.answer(now, usage)
		if len(e.events) > 0 {
			metered := make([]*Entitlement, len(e.events))
			for i, idx := range e.events {
				metered[i] = st.Entitlements[idx]
			}
			if err := fillUsage(ctx, s.Client, st.Customer, resourceID, metered, now); err != nil {
				return nil, err
			}
		}
		return st, nil
	}
	st, err := s.compute(ctx, s.Client, env, ref, resourceID, now)
	if err != nil {
		return nil, err
	}
	until, err := s.validUntil(ctx, st, now)
	if err != nil {
		return nil, err
	}
	c.put(key, c.entry(env, st, catalog, version, now, until))
	st.fromCache, st.catalogVersion = true, catalog
	return st, nil
}

// entry makes the cache entry of st, computed at now.
func (c *entCache) entry(env uuid.UUID, st *State, catalog, version int64, now, until time.Time) *cacheEntry {
	e := &cacheEntry{catalog: catalog, version: version, computedAt: now, validUntil: until}
	tmpl := *st
	tmpl.Entitlements = make([]*Entitlement, len(st.Entitlements))
	c.mu.Lock()
	set := c.features[env]
	if set == nil || set.catalog != catalog {
		set = &featureSet{catalog: catalog, byID: map[uuid.UUID]*ent.Feature{}}
		c.features[env] = set
	}
	for i, x := range st.Entitlements {
		cp := *x
		if f := set.byID[cp.Feature.ID]; f != nil {
			cp.Feature = f
		} else {
			set.byID[cp.Feature.ID] = cp.Feature
		}
		tmpl.Entitlements[i] = &cp
	}
	c.mu.Unlock()
	e.state = &tmpl
	for i, x := range tmpl.Entitlements {
		switch {
		case !Metered(x.Feature):
		case x.Feature.Meter != nil:
			e.events = append(e.events, i)
		default:
			period, _ := periodKey(x, now)
			e.counters = append(e.counters, counterSlot{idx: i, feature: x.Feature.ID, period: period})
		}
	}
	e.query = c.versionsQuery(len(e.counters))
	return e
}

// answer is a copy of the entry's State at now, with the usage counters
// read (feature id -> value, updated at).
func (e *cacheEntry) answer(now time.Time, usage []counterRow) *State {
	st := *e.state
	st.At, st.fromCache, st.catalogVersion = now, true, e.catalog
	st.Entitlements = make([]*Entitlement, len(e.state.Entitlements))
	for i, x := range e.state.Entitlements {
		cp := *x
		st.Entitlements[i] = &cp
	}
	reset := func(idx int) {
		zero := 0.0
		st.Entitlements[idx].CurrentUsage, st.Entitlements[idx].UsageUpdatedAt = &zero, nil
	}
	for _, slot := range e.counters {
		reset(slot.idx)
	}
	for _, idx := range e.events {
		reset(idx)
	}
	for _, u := range usage {
		for _, slot := range e.counters {
			if slot.feature == u.feature {
				v, at := u.value, u.updatedAt
				st.Entitlements[slot.idx].CurrentUsage, st.Entitlements[slot.idx].UsageUpdatedAt = &v, &at
			}
		}
	}
	return &st
}

func (c *entCache) put(key cacheKey, e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.entries[key]; old == nil && len(c.entries) >= c.max {
		// Full: forget a tenth, as the map's order draws them.
		n := c.max / 10
		for k := range c.entries {
			if n <= 0 {
				break
			}
			delete(c.entries, k)
			n--
		}
	}
	c.entries[key] = e
}

type counterRow struct {
	feature   uuid.UUID
	value     float64
	updatedAt time.Time
}

// versionsQuery is the statement reading the catalog version of an
// environment, the entitlements version of a customer, and n usage
// counters of one customer and resource, each by feature and period:
//
//	SELECT catalog version, entitlements version[, counter columns
//	FROM (SELECT 1) v LEFT JOIN usage_counters u ON the customer, resource
//	and (feature, period) pairs]
//
// one row when no counter matches.
func (c *entCache) versionsQuery(n int) string {
	var b strings.Builder
	arg := 0
	next := func() string {
		arg++
		if c.postgres {
			return "$" + strconv.Itoa(arg)
		}
		return "?"
	}
	b.WriteString("SELECT (SELECT version FROM catalog_versions WHERE environment_id = ")
	b.WriteString(next())
	b.WriteString("), (SELECT version FROM entitlement_versions WHERE environment_id = ")
	b.WriteString(next())
	b.WriteString(" AND customer_ref = ")
	b.WriteString(next())
	b.WriteString(")")
	if n == 0 {
		return b.String()
	}
	b.WriteString(", u.feature_id, u.value, u.updated_at FROM (SELECT 1 AS one) v LEFT JOIN usage_counters u ON u.customer_id = ")
	b.WriteString(next())
	b.WriteString(" AND u.resource_id = ")
	b.WriteString(next())
	b.WriteString(" AND (")
	for i := range n {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString("(u.feature_id = ")
		b.WriteString(next())
		b.WriteString(" AND u.period_start = ")
		b.WriteString(next())
		b.WriteString(")")
	}
	b.WriteString(")")
	return b.String()
}

// readVersions reads env's catalog version and the customer's entitlements
// version (0 before the first write) and, when e is given, the usage
// counters e needs, in one statement.
func (c *entCache) readVersions(ctx context.Context, client *ent.Client, env uuid.UUID, ref string, resourceID *string, e *cacheEntry) (int64, int64, []counterRow, error) {
	args := []any{env, env, ref}
	query := c.versionsQuery(0)
	withCounters := e != nil && len(e.counters) > 0 && e.state.Customer != nil
	if withCounters {
		query = e.query
		args = append(args, e.state.Customer.ID, resourceKey(resourceID))
		for _, slot := range e.counters {
			args = append(args, slot.feature, slot.period)
		}
	}
	rows, err := client.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, 0, nil, err
	}
	defer rows.Close()
	var catalog, version sql.NullInt64
	var usage []counterRow
	for rows.Next() {
		if !withCounters {
			if err := rows.Scan(&catalog, &version); err != nil {
				return 0, 0, nil, err
			}
			continue
		}
		var feature uuid.NullUUID
		var value sql.NullFloat64
		var at sql.NullTime
		if err := rows.Scan(&catalog, &version, &feature, &value, &at); err != nil {
			return 0, 0, nil, err
		}
		if feature.Valid {
			usage = append(usage, counterRow{feature: feature.UUID, value: value.Float64, updatedAt: at.Time})
		}
	}
	return catalog.Int64, version.Int64, usage, rows.Err()
}

// validUntil is the earliest instant after now at which st, computed at
// now, changes by time alone: a usage period or a source ending, one of
// the customer's subscriptions starting, ending its trial or ending, a
// promotional grant starting or ending, or a scheduled update due. Zero
// when there is none.
func (s *Service) validUntil(ctx context.Context, st *State, now time.Time) (time.Time, error) {
	var until time.Time
	consider := func(t *time.Time) {
		if t != nil && t.After(now) && (until.IsZero() || t.Before(until)) {
			until = *t
		}
	}
	if st.Customer == nil {
		return until, nil
	}
	for _, e := range st.Entitlements {
		consider(e.UsagePeriodEnd)
		consider(e.ValidUntil)
	}
	cid := st.Customer.ID
	subs, err := s.Client.CustomerSubscription.Query().
		Where(customersubscription.CustomerID(cid), customersubscription.StatusIn(customersubscription.StatusACTIVE,
			customersubscription.StatusIN_TRIAL, customersubscription.StatusNOT_STARTED)).
		Select(customersubscription.FieldStartDate, customersubscription.FieldTrialEndDate, customersubscription.FieldEffectiveEndDate).
		All(ctx)
	if err != nil {
		return until, err
	}
	for _, sub := range subs {
		start := sub.StartDate
		consider(&start)
		consider(sub.TrialEndDate)
		consider(sub.EffectiveEndDate)
	}
	promos, err := s.Client.PromotionalEntitlement.Query().
		Where(promotionalentitlement.CustomerID(cid), promotionalentitlement.Or(promotionalentitlement.EndDateIsNil(),
			promotionalentitlement.EndDateGT(now))).
		Select(promotionalentitlement.FieldStartDate, promotionalentitlement.FieldEndDate).All(ctx)
	if err != nil {
		return until, err
	}
	for _, p := range promos {
		start := p.StartDate
		consider(&start)
		consider(p.EndDate)
	}
	due, err := s.Client.SubscriptionSchedule.Query().
		Where(subscriptionschedule.StatusEQ(subscriptionschedule.StatusScheduled),
			subscriptionschedule.HasSubscriptionWith(customersubscription.CustomerID(cid))).
		Select(subscriptionschedule.FieldExecuteAt).All(ctx)
	if err != nil {
		return until, err
	}
	for _, d := range due {
		at := d.ExecuteAt
		consider(&at)
	}
	return until, nil
}

// featureByRef is the feature refId of env, nil when there is none, as
// Check looks it up for a customer without an entitlement to it: from the
// cache when st came from it (the catalog version it was computed at).
func (s *Service) featureByRef(ctx context.Context, env uuid.UUID, ref string, st *State) (*ent.Feature, error) {
	c := s.cache
	key := featureCacheKey{env, ref}
	if c != nil && st.fromCache {
		c.mu.Lock()
		hit, ok := c.refs[key]
		c.mu.Unlock()
		if ok && hit.catalog == st.catalogVersion {
			return hit.f, nil
		}
	}
	f, err := s.lookupFeature(ctx, env, ref)
	if err != nil {
		return nil, err
	}
	if c != nil && st.fromCache {
		c.mu.Lock()
		if len(c.refs) >= c.max {
			clear(c.refs)
		}
		c.refs[key] = cachedFeature{catalog: st.catalogVersion, f: f}
		c.mu.Unlock()
	}
	return f, nil
}

// Invalidate makes the cached entitlements of the customers (refIds of
// env) stale on every replica, from inside the transaction of a write the
// version triggers do not see (they cover the customers, subscriptions
// and their items, and promotional grants; catalog writes bump the catalog
// version). exec is the transaction (or client) of the write, dial its
// dialect.
func Invalidate(ctx context.Context, exec interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, dial string, env uuid.UUID, customerRefs ...string) error {
	q := "INSERT INTO entitlement_versions (environment_id, customer_ref, version) VALUES (?, ?, 1) " +
		"ON CONFLICT (environment_id, customer_ref) DO UPDATE SET version = entitlement_versions.version + 1"
	if dial == dialect.Postgres {
		q = strings.Replace(strings.Replace(q, "?", "$1", 1), "?", "$2", 1)
	}
	for _, ref := range customerRefs {
		if _, err := exec.ExecContext(ctx, q, env, ref); err != nil {
			return err
		}
	}
	return nil
}
