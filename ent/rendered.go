package ent

// Hand-written, not generated: running a query from SQL text rendered
// before, so that hot statements need not be rebuilt by ent's builder on
// every request (graph/rendered.go).

import (
	"context"
	"errors"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqlgraph"

	"github.com/stigg-selfhost/stiggql/ent/customer"
)

// errRendered stops a query at the driver once its text is rendered.
var errRendered = errors.New("ent: query rendered, not run")

// renderDriver records the statement a query would send instead of
// sending it.
type renderDriver struct {
	dialect.Driver
	query string
	args  []any
}

func (d *renderDriver) Query(_ context.Context, query string, args, _ any) error {
	d.query = query
	d.args, _ = args.([]any)
	return errRendered
}

// render returns the SQL text and arguments QueryNodes would send for spec.
func render(ctx context.Context, drv dialect.Driver, spec *sqlgraph.QuerySpec) (string, []any, error) {
	spec.ScanValues = func([]string) ([]any, error) { return nil, nil }
	spec.Assign = func([]string, []any) error { return nil }
	d := &renderDriver{Driver: drv}
	if err := sqlgraph.QueryNodes(ctx, d, spec); !errors.Is(err, errRendered) {
		if err == nil {
			err = errors.New("ent: query did not reach the driver")
		}
		return "", nil, err
	}
	return d.query, d.args, nil
}

// Renderable reports whether All would run exactly the statement Render
// returns and nothing else: no interceptors, eager loads or modifiers.
func (_q *CustomerSubscriptionQuery) Renderable() bool {
	return len(_q.inters) == 0 && len(_q.modifiers) == 0 && _q.withEnvironment == nil &&
		_q.withCustomer == nil && _q.withPayingCustomer == nil && _q.withPlan == nil &&
		_q.withCoupon == nil && _q.withAddons == nil && _q.withPrices == nil && _q.withSchedules == nil
}

// Render returns the SQL text and arguments All would send, without
// sending them.
func (_q *CustomerSubscriptionQuery) Render(ctx context.Context) (string, []any, error) {
	if err := _q.prepareQuery(ctx); err != nil {
		return "", nil, err
	}
	return render(ctx, _q.driver, _q.querySpec())
}

// AllRendered is All for a Renderable query whose statement is query with
// args, as Render returned for an identical query: rows are scanned as All
// scans them.
func (_q *CustomerSubscriptionQuery) AllRendered(ctx context.Context, query string, args []any) ([]*CustomerSubscription, error) {
	return allRendered(ctx, _q.driver, query, args, (*CustomerSubscription).scanValues,
		func() *CustomerSubscription { return &CustomerSubscription{config: _q.config} }, (*CustomerSubscription).assignValues)
}

// Renderable reports whether All would run exactly the statement Render
// returns and nothing else: no interceptors, eager loads or modifiers.
func (_q *PromotionalEntitlementQuery) Renderable() bool {
	return len(_q.inters) == 0 && len(_q.modifiers) == 0 && _q.withEnvironment == nil && _q.withCustomer == nil
}

// Render returns the SQL text and arguments All would send, without
// sending them.
func (_q *PromotionalEntitlementQuery) Render(ctx context.Context) (string, []any, error) {
	if err := _q.prepareQuery(ctx); err != nil {
		return "", nil, err
	}
	return render(ctx, _q.driver, _q.querySpec())
}

// AllRendered is All for a Renderable query whose statement is query with
// args, as Render returned for an identical query: rows are scanned as All
// scans them.
func (_q *PromotionalEntitlementQuery) AllRendered(ctx context.Context, query string, args []any) ([]*PromotionalEntitlement, error) {
	return allRendered(ctx, _q.driver, query, args, (*PromotionalEntitlement).scanValues,
		func() *PromotionalEntitlement { return &PromotionalEntitlement{config: _q.config} }, (*PromotionalEntitlement).assignValues)
}

// allRendered runs query and returns its rows as nodes made by node, scanned
// and assigned as All does.
func allRendered[N any](ctx context.Context, drv dialect.Driver, query string, args []any,
	scanValues func(*N, []string) ([]any, error), node func() *N, assign func(*N, []string, []any) error) ([]*N, error) {
	nodes := []*N{}
	err := scanRendered(ctx, drv, query, args, scanValues, func(columns []string, values []any) error {
		n := node()
		nodes = append(nodes, n)
		return assign(n, columns, values)
	})
	if err != nil {
		return nil, err
	}
	return nodes, nil
}

// scanRendered runs query and scans each row as sqlgraph.QueryNodes does.
func scanRendered[T any](ctx context.Context, drv dialect.Driver, query string, args []any, scanValues func(T, []string) ([]any, error), assign func([]string, []any) error) error {
	rows := &sql.Rows{}
	if err := drv.Query(ctx, query, args, rows); err != nil {
		return err
	}
	defer rows.Close()
	columns, err := rows.Columns()
	if err != nil {
		return err
	}
	var zero T
	for rows.Next() {
		values, err := scanValues(zero, columns)
		if err != nil {
			return err
		}
		for i, v := range values {
			if _, ok := v.(*sql.UnknownType); ok {
				values[i] = sql.ScanTypeOf(rows, i)
			}
		}
		if err := rows.Scan(values...); err != nil {
			return err
		}
		if err := assign(columns, values); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Renderable reports whether All would run exactly the statement Render
// returns and nothing else: no interceptors, eager loads or modifiers.
func (_q *SyncStateQuery) Renderable() bool {
	return len(_q.inters) == 0 && len(_q.modifiers) == 0 && _q.withEnvironment == nil && _q.withCustomer == nil
}

// Render returns the SQL text and arguments All would send, without
// sending them.
func (_q *SyncStateQuery) Render(ctx context.Context) (string, []any, error) {
	if err := _q.prepareQuery(ctx); err != nil {
		return "", nil, err
	}
	return render(ctx, _q.driver, _q.querySpec())
}

// AllRendered is All for a Renderable query whose statement is query with
// args, as Render returned for an identical query: rows are scanned as All
// scans them.
func (_q *SyncStateQuery) AllRendered(ctx context.Context, query string, args []any) ([]*SyncState, error) {
	return allRendered(ctx, _q.driver, query, args, (*SyncState).scanValues,
		func() *SyncState { return &SyncState{config: _q.config} }, (*SyncState).assignValues)
}

// Renderable reports whether All would run exactly the statement Render
// returns and nothing else: no interceptors, eager loads or modifiers.
func (_q *CustomerQuery) Renderable() bool {
	return len(_q.inters) == 0 && len(_q.modifiers) == 0 && _q.withEnvironment == nil &&
		_q.withSubscriptions == nil && _q.withPaidSubscriptions == nil && _q.withPromotionalEntitlements == nil &&
		_q.withSyncStates == nil && _q.withCoupon == nil
}

// Render returns the SQL text and arguments All would send, without
// sending them.
func (_q *CustomerQuery) Render(ctx context.Context) (string, []any, error) {
	if err := _q.prepareQuery(ctx); err != nil {
		return "", nil, err
	}
	return render(ctx, _q.driver, _q.querySpec())
}

// AllRendered is All for a Renderable query whose statement is query with
// args, as Render returned for an identical query: rows are scanned as All
// scans them.
func (_q *CustomerQuery) AllRendered(ctx context.Context, query string, args []any) ([]*Customer, error) {
	return allRendered(ctx, _q.driver, query, args, (*Customer).scanValues,
		func() *Customer { return &Customer{config: _q.config} }, (*Customer).assignValues)
}

// OnlyCustomer is CustomerQuery.Only's answer for the nodes its query
// (limited to 2) returned: a NotFoundError without any, a
// NotSingularError with more than one.
func OnlyCustomer(nodes []*Customer) (*Customer, error) {
	switch len(nodes) {
	case 1:
		return nodes[0], nil
	case 0:
		return nil, &NotFoundError{customer.Label}
	default:
		return nil, &NotSingularError{customer.Label}
	}
}
