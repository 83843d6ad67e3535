package ent

// Hand-written test of what template/rendered.tmpl generates.

import (
	"reflect"
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
)

// renderableQuery is what rendered.tmpl gives every query type.
type renderableQuery interface {
	Renderable() bool
}

// queries returns a fresh query of every type the client has, by its
// clients' Query methods, so that a type added to the schema is covered
// without a list to keep.
func queries(t *testing.T, c *Client) map[string]func() reflect.Value {
	t.Helper()
	v := reflect.ValueOf(c).Elem()
	out := map[string]func() reflect.Value{}
	for i := 0; i < v.NumField(); i++ {
		m := v.Field(i).MethodByName("Query")
		if !v.Type().Field(i).IsExported() || !m.IsValid() {
			continue
		}
		out[v.Type().Field(i).Name] = func() reflect.Value { return m.Call(nil)[0] }
	}
	if len(out) < 10 {
		t.Fatalf("found %d query types on the client; has ent's generated layout changed?", len(out))
	}
	return out
}

// TestRenderableKnowsEveryEagerLoad: a query of any type with an eager load
// (any With* method), an interceptor, a modifier or a row lock must not
// count as Renderable, or AllRendered would drop what they add.
func TestRenderableKnowsEveryEagerLoad(t *testing.T) {
	// ForUpdate asks the driver for its dialect; nothing is sent.
	drv := sql.OpenDB(dialect.SQLite, nil)
	intercepted := NewClient(Driver(drv))
	intercepted.Intercept(InterceptFunc(func(next Querier) Querier { return next }))
	withInterceptor := queries(t, intercepted)
	for name, fresh := range queries(t, NewClient(Driver(drv))) {
		if q := withInterceptor[name]().Interface().(renderableQuery); q.Renderable() {
			t.Errorf("%sQuery with an interceptor is Renderable", name)
		}
		q, ok := fresh().Interface().(renderableQuery)
		if !ok {
			t.Errorf("%sQuery has no Renderable: template/rendered.tmpl did not cover it", name)
			continue
		}
		if !q.Renderable() {
			t.Errorf("%sQuery: a plain query is not Renderable", name)
		}
		typ := fresh().Type()
		for i := 0; i < typ.NumMethod(); i++ {
			meth := typ.Method(i)
			if !strings.HasPrefix(meth.Name, "With") {
				continue
			}
			q := fresh()
			q.MethodByName(meth.Name).Call(nil)
			if q.Interface().(renderableQuery).Renderable() {
				t.Errorf("%sQuery.%s() is Renderable", name, meth.Name)
			}
		}
		for _, change := range []struct {
			name string
			args []reflect.Value
		}{
			{"Modify", []reflect.Value{reflect.ValueOf(func(*sql.Selector) {})}},
			{"ForUpdate", nil},
		} {
			q := fresh()
			m := q.MethodByName(change.name)
			if !m.IsValid() {
				t.Fatalf("%sQuery has no %s", name, change.name)
			}
			m.Call(change.args)
			if q.Interface().(renderableQuery).Renderable() {
				t.Errorf("%sQuery.%s(…) is Renderable", name, change.name)
			}
		}
	}
}

// TestOnlyNodeAnswersAsOnly: Only<Type> gives Only's errors for no node
// and for several.
func TestOnlyNodeAnswersAsOnly(t *testing.T) {
	c := &Customer{}
	if got, err := OnlyCustomer([]*Customer{c}); got != c || err != nil {
		t.Fatalf("one node: %v, %v", got, err)
	}
	if _, err := OnlyCustomer(nil); !IsNotFound(err) || err.Error() != (&NotFoundError{"customer"}).Error() {
		t.Fatalf("no node: %v", err)
	}
	if _, err := OnlyCustomer([]*Customer{c, c}); !IsNotSingular(err) {
		t.Fatalf("two nodes: %v", err)
	}
}
