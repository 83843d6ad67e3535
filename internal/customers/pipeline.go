package customers

import (
	"context"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/promotionalentitlement"
	"github.com/stigg-selfhost/stiggql/internal/sqlbatch"
)

// One round trip for a customer and the lists under it. On PostgreSQL a
// request such as Q1 (a customer with its subscriptions and grants) sent
// its statements one after the other, each waiting for the one before:
// the lists were keyed by the customer's id, known only once the customer
// was read. CustomerWith names the customer in the lists' statements the
// way the customer's own statement does (customer_id IN (SELECT id FROM
// customers WHERE environment, slug and live)), so none depends on
// another's answer and all of them, with the request's versions read,
// go to the database as one batch (internal/sqlbatch: one pgx batch, one
// round trip). Each list reads exactly what Subscriptions or ActiveGrants
// would read for the customer's id: the same filter, order and columns,
// scanned the same way (TestPipelinedAnswersAsPlain in graph compares
// every answer).

// Lists are the lists under one customer that CustomerWith reads with it.
type Lists struct {
	Subscriptions []SubscriptionList
	// Grants are the columns of ActiveGrants reads at GrantsAt (nil: all).
	Grants   [][]string
	GrantsAt time.Time
}

// Listed is what CustomerWith read for Lists, in Lists' order.
type Listed struct {
	Subscriptions [][]*ent.CustomerSubscription
	Grants        [][]*ent.PromotionalEntitlement
}

// EnablePipelining makes CustomerWith send its statements through drv
// (the driver under r's client) as one batch, when drv sends a batch in
// one round trip (PostgreSQL); otherwise Pipelines stays false.
func (r *Reads) EnablePipelining(drv dialect.Driver) {
	if !sqlbatch.Pipelines(drv) {
		r.batches = nil
		return
	}
	r.batches = drv
	r.pipelining.Store(true)
}

// SetPipelining turns pipelining off, or on again once EnablePipelining
// enabled it: for tests comparing both paths.
func (r *Reads) SetPipelining(on bool) { r.pipelining.Store(on) }

// Pipelines reports whether CustomerWith reads in one round trip; callers
// read the lists the usual way otherwise.
func (r *Reads) Pipelines() bool { return r.batches != nil && r.pipelining.Load() }

// CustomerWith is Customer (env's live customer customerID, reading cols)
// and the lists l under it, read in one round trip. The lists are empty
// when there is no such customer.
func (r *Reads) CustomerWith(ctx context.Context, env uuid.UUID, customerID string, cols []string, l Lists) (*ent.Customer, *Listed, error) {
	cols = columnsIn(ctx, cols)
	var qs []sqlbatch.Query
	if q := r.versions.Batched(ctx, env); q != nil {
		qs = append(qs, *q)
	}
	var found []*ent.Customer
	key := []any{env, customerID}
	q, err := queued(ctx, r.rendered, shapeKey("customer", "", cols, 1), key,
		GetQuery(r.client.Customer, env, customerID, cols...).Limit(2), &found)
	if err != nil {
		return nil, nil, err
	}
	qs = append(qs, q)
	out := &Listed{
		Subscriptions: make([][]*ent.CustomerSubscription, len(l.Subscriptions)),
		Grants:        make([][]*ent.PromotionalEntitlement, len(l.Grants)),
	}
	for i, sl := range l.Subscriptions {
		scols := columnsIn(ctx, sl.Columns)
		sq := r.subscriptionsQuery(ofLiveCustomer(customersubscription.FieldCustomerID, env, customerID), sl, scols)
		q, err := queued(ctx, r.rendered, shapeKey("subscriptionsOf", sl.Shape, scols, 1), key, sq, &out.Subscriptions[i])
		if err != nil {
			return nil, nil, err
		}
		qs = append(qs, q)
	}
	for i, gcols := range l.Grants {
		gcols = columnsIn(ctx, gcols)
		gq := r.activeGrantsQuery(ofLiveCustomer(promotionalentitlement.FieldCustomerID, env, customerID), l.GrantsAt, gcols)
		q, err := queued(ctx, r.rendered, shapeKey("activePromotionalEntitlementsOf", "", gcols, 1), append(key, l.GrantsAt), gq, &out.Grants[i])
		if err != nil {
			return nil, nil, err
		}
		qs = append(qs, q)
	}
	if err := sqlbatch.Run(ctx, r.batches, qs); err != nil {
		return nil, nil, err
	}
	c, err := ent.OnlyCustomer(found)
	if err != nil {
		return nil, nil, notFound(err, customerID)
	}
	return c, out, nil
}

// ofLiveCustomer is a predicate on a table whose column fk holds customer
// ids: the rows of env's live customer customerID, named by its key (as
// GetQuery finds it), not by its id.
func ofLiveCustomer(fk string, env uuid.UUID, customerID string) func(*sql.Selector) {
	return func(s *sql.Selector) {
		s.Where(sql.In(s.C(fk), liveCustomerID(env, customerID)))
	}
}

// liveCustomerID selects the id of env's live customer customerID, as
// GetQuery finds it.
func liveCustomerID(env uuid.UUID, customerID string) *sql.Selector {
	t := sql.Table(customer.Table)
	s := sql.Select(t.C(customer.FieldID)).From(t)
	for _, p := range livePredicates(env, customerID) {
		p(s)
	}
	return s
}
