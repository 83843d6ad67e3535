package ent

// Hand-written, like rendered.go.

import (
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// TestRenderableKnowsEveryEagerLoad: a query with any eager load (a with*
// field, including one a new edge adds on the next go generate) must not
// count as Renderable, or AllRendered would drop the load.
func TestRenderableKnowsEveryEagerLoad(t *testing.T) {
	queries := map[string]func() interface{ Renderable() bool }{
		"CustomerSubscriptionQuery":   func() interface{ Renderable() bool } { return &CustomerSubscriptionQuery{} },
		"PromotionalEntitlementQuery": func() interface{ Renderable() bool } { return &PromotionalEntitlementQuery{} },
		"SyncStateQuery":              func() interface{ Renderable() bool } { return &SyncStateQuery{} },
		"CustomerQuery":               func() interface{ Renderable() bool } { return &CustomerQuery{} },
	}
	for name, fresh := range queries {
		if !fresh().Renderable() {
			t.Errorf("%s: a plain query is not Renderable", name)
		}
		typ := reflect.TypeOf(fresh()).Elem()
		loads := 0
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			if !strings.HasPrefix(f.Name, "with") || f.Type.Kind() != reflect.Pointer {
				continue
			}
			loads++
			q := fresh()
			field := reflect.ValueOf(q).Elem().Field(i)
			reflect.NewAt(f.Type, unsafe.Pointer(field.UnsafeAddr())).Elem().Set(reflect.New(f.Type.Elem()))
			if q.Renderable() {
				t.Errorf("%s with %s set is Renderable: add it to Renderable (ent/rendered.go)", name, f.Name)
			}
		}
		if loads == 0 {
			t.Errorf("%s: no with* fields found; has ent's generated layout changed?", name)
		}
	}
}
