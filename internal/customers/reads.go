package customers

import (
	"context"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/predicate"
	"github.com/stigg-selfhost/stiggql/ent/promotionalentitlement"
	"github.com/stigg-selfhost/stiggql/ent/syncstate"
	"github.com/stigg-selfhost/stiggql/internal/store"
)

// Reads runs the hot reads of the GraphQL layer: one customer by its slug,
// and the lists under customers (their subscriptions, grants and sync
// states) for many customers at once. Once EnableCaches is called, their
// SQL text is rendered once per shape and reused (rendered.go). Every read
// takes the columns its caller names (nil for all), unless the context
// says ReadEveryColumn.
type Reads struct {
	client *ent.Client
	// rendered and versions are nil until EnableCaches.
	rendered *renderedStatements
	versions *store.Versions
	// batches sends CustomerWith's statements in one round trip; nil
	// until EnablePipelining (pipeline.go).
	batches    dialect.Driver
	pipelining atomic.Bool
}

// NewReads returns the reads of client, rendering every statement anew.
func NewReads(client *ent.Client) *Reads {
	return &Reads{client: client}
}

// EnableCaches makes r reuse the SQL text of the shapes it has run, and
// fold the request's versions read into its customer statement where vs
// says so (store.Versions.FoldInto: PostgreSQL).
func (r *Reads) EnableCaches(vs *store.Versions) {
	r.rendered = &renderedStatements{text: map[string]string{}}
	r.versions = vs
}

// ReusedShapes returns how many statement shapes r reuses the text of and
// how many it leaves to ent (for diagnostics and tests).
func (r *Reads) ReusedShapes() (reused, viaEnt int) {
	if r.rendered == nil {
		return 0, 0
	}
	return r.rendered.shapes()
}

type everyColumnKey struct{}

// ReadEveryColumn returns ctx in which the customers pages (Pages) and
// Reads take every column, whatever columns their callers name: to compare
// reads pruned to a selection with full ones.
func ReadEveryColumn(ctx context.Context) context.Context {
	return context.WithValue(ctx, everyColumnKey{}, true)
}

// columnsIn returns cols, or nil (every column) when ctx says
// ReadEveryColumn.
func columnsIn(ctx context.Context, cols []string) []string {
	if every, _ := ctx.Value(everyColumnKey{}).(bool); every {
		return nil
	}
	return cols
}

// Customer is Service.Get (the live customer with customerID,
// CustomerNotFound without one) reading cols.
func (r *Reads) Customer(ctx context.Context, env uuid.UUID, customerID string, cols []string) (*ent.Customer, error) {
	cols = columnsIn(ctx, cols)
	if fold := r.versions.FoldInto(ctx, env); fold != nil {
		// The request's first statement: it reads the versions too.
		return GetFolding(ctx, r.client.Customer, r.versions, fold, env, customerID, cols...)
	}
	// Only's query: at most two rows, to tell one from several.
	q := GetQuery(r.client.Customer, env, customerID, cols...).Limit(2)
	found, err := allRendered(ctx, r.rendered, shapeKey("customer", "", cols, 1), []any{env, customerID}, q)
	if err != nil {
		return nil, err
	}
	c, err := ent.OnlyCustomer(found)
	return c, notFound(err, customerID)
}

// SubscriptionList asks for the subscriptions of customers.
type SubscriptionList struct {
	// Where is the filter's condition, Order its sorting.
	Where func(*sql.Selector)
	Order []func(*sql.Selector)
	// Shape names the filter and sorting for the statement's shape: two
	// lists with one Shape must differ only in their customers.
	Shape string
	// Columns are the columns to read, nil for all.
	Columns []string
}

// Subscriptions returns the subscriptions of the customers ids that match
// l, in l's order.
func (r *Reads) Subscriptions(ctx context.Context, ids []uuid.UUID, l SubscriptionList) ([]*ent.CustomerSubscription, error) {
	cols := columnsIn(ctx, l.Columns)
	q := r.subscriptionsQuery(customersubscription.CustomerIDIn(ids...), l, cols)
	return allRendered(ctx, r.rendered, shapeKey("subscriptions", l.Shape, cols, len(ids)), uuidArgs(ids), q)
}

// subscriptionsQuery is the query of the subscriptions of the customers
// parents selects that match l, in l's order, reading cols.
func (r *Reads) subscriptionsQuery(parents predicate.CustomerSubscription, l SubscriptionList, cols []string) *ent.CustomerSubscriptionQuery {
	q := r.client.CustomerSubscription.Query().Where(parents, predicate.CustomerSubscription(l.Where))
	for _, o := range l.Order {
		q.Order(customersubscription.OrderOption(o))
	}
	if cols != nil {
		q.Select(cols...)
	}
	return q
}

// ActiveGrants returns the promotional entitlements of the customers ids
// that are active at now, oldest first, reading cols.
func (r *Reads) ActiveGrants(ctx context.Context, ids []uuid.UUID, now time.Time, cols []string) ([]*ent.PromotionalEntitlement, error) {
	cols = columnsIn(ctx, cols)
	q := r.activeGrantsQuery(promotionalentitlement.CustomerIDIn(ids...), now, cols)
	return allRendered(ctx, r.rendered, shapeKey("activePromotionalEntitlements", "", cols, len(ids)), append(uuidArgs(ids), now), q)
}

// activeGrantsQuery is the query of the grants of the customers parents
// selects that are active at now, oldest first, reading cols.
func (r *Reads) activeGrantsQuery(parents predicate.PromotionalEntitlement, now time.Time, cols []string) *ent.PromotionalEntitlementQuery {
	q := r.client.PromotionalEntitlement.Query().
		Where(parents, promotionalentitlement.Or(
			promotionalentitlement.EndDateIsNil(), promotionalentitlement.EndDateGT(now))).
		Order(ent.Asc(promotionalentitlement.FieldCreatedAt), ent.Asc(promotionalentitlement.FieldID))
	if cols != nil {
		q.Select(cols...)
	}
	return q
}

// SyncStates returns the sync states of the entities ids of one type
// (customers or subscriptions), by vendor, reading cols.
func (r *Reads) SyncStates(ctx context.Context, ids []uuid.UUID, entityType syncstate.EntityType, cols []string) ([]*ent.SyncState, error) {
	q := r.client.SyncState.Query().
		Where(syncstate.EntityIDIn(ids...), syncstate.EntityTypeEQ(entityType)).
		Order(ent.Asc(syncstate.FieldVendorIdentifier)).
		Select(cols...)
	return allRendered(ctx, r.rendered, shapeKey("syncStates", entityType.String(), cols, len(ids)), append(uuidArgs(ids), entityType), q)
}

// GetFolding is Get reading cols with fold, a store.Versions.FoldInto
// modifier, so that the same statement reads the environment's versions
// for the request (one round trip fewer on PostgreSQL).
func GetFolding(ctx context.Context, c *ent.CustomerClient, vs *store.Versions, fold func(*sql.Selector), env uuid.UUID, customerID string, cols ...string) (*ent.Customer, error) {
	q := GetQuery(c, env, customerID, cols...)
	q.Modify(fold)
	found, err := q.Limit(2).All(ctx)
	if err != nil {
		return nil, err
	}
	if len(found) > 0 {
		if err := vs.Folded(ctx, env, found[0].Value); err != nil {
			return nil, err
		}
	}
	cust, err := ent.OnlyCustomer(found)
	return cust, notFound(err, customerID)
}
