package subscription_test

import (
	"testing"

	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// TestTransfers moves subscriptions between resources and customers and
// checks where they are active afterwards.
func TestTransfers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		fx := newFixture(t, st)
		active := func(customer string, resources ...string) []string {
			t.Helper()
			subs, err := fx.svc.Active(fx.ctx, fx.env, customer, resources)
			if err != nil {
				t.Fatal(err)
			}
			var refs []string
			for _, s := range subs {
				refs = append(refs, s.RefID)
			}
			return refs
		}
		sub := fx.provision(t, subscription.Input{CustomerID: "c1", PlanID: "plan-basic", RefID: ptr("s-basic"), ResourceID: ptr("r1")}).Subscription
		fx.provision(t, subscription.Input{CustomerID: "c1", PlanID: "plan-pro", RefID: ptr("s-pro"), ResourceID: ptr("r3")})

		got, err := fx.svc.TransferToResource(fx.ctx, fx.env, sub.RefID, ptr("r2"))
		if err != nil || got.ResourceID == nil || *got.ResourceID != "r2" {
			t.Fatalf("to r2: %+v, %v", got, err)
		}
		if a := active("c1", "r1"); len(a) != 0 {
			t.Fatalf("still on r1: %v", a)
		}
		if a := active("c1", "r2"); len(a) != 1 || a[0] != "s-basic" {
			t.Fatalf("r2: %v", a)
		}
		// r3 holds a live subscription to the same product.
		if _, err := fx.svc.TransferToResource(fx.ctx, fx.env, sub.RefID, ptr("r3")); code(err) != "DuplicatedEntityNotAllowed" {
			t.Fatalf("onto a taken resource: %v", err)
		}
		if _, err := fx.svc.TransferToResource(fx.ctx, fx.env, "nope", ptr("r9")); code(err) != "SubscriptionNotFound" {
			t.Fatalf("unknown subscription: %v", err)
		}

		got, err = fx.svc.TransferBetweenResources(fx.ctx, fx.env, "c1", "r2", "r4")
		if err != nil || got.RefID != "s-basic" || *got.ResourceID != "r4" {
			t.Fatalf("r2 -> r4: %+v, %v", got, err)
		}
		if _, err := fx.svc.TransferBetweenResources(fx.ctx, fx.env, "c1", "r2", "r5"); code(err) != "CustomerResourceNotFound" {
			t.Fatalf("empty source: %v", err)
		}

		// Delegation: c2 gets it, c1 keeps paying.
		got, err = fx.svc.Delegate(fx.ctx, fx.env, "s-basic", "c2")
		if err != nil {
			t.Fatal(err)
		}
		c1 := fx.st.Client.Customer.Query().Where(customer.CustomerID("c1")).OnlyX(fx.ctx)
		if got.PayingCustomerID == nil || *got.PayingCustomerID != c1.ID || got.CustomerID == c1.ID {
			t.Fatalf("delegated: customer %v payer %v (c1 %v)", got.CustomerID, got.PayingCustomerID, c1.ID)
		}
		if a := active("c2", "r4"); len(a) != 1 || a[0] != "s-basic" {
			t.Fatalf("c2 on r4: %v", a)
		}
		if a := active("c1", "r4"); len(a) != 0 {
			t.Fatalf("c1 on r4 after delegating: %v", a)
		}
		if _, err := fx.svc.Delegate(fx.ctx, fx.env, "s-basic", "nobody"); code(err) != "CustomerNotFound" {
			t.Fatalf("unknown delegate: %v", err)
		}

		if _, err := fx.svc.Cancel(fx.ctx, fx.env, subscription.CancelInput{RefID: "s-pro"}); err != nil {
			t.Fatal(err)
		}
		if _, err := fx.svc.TransferToResource(fx.ctx, fx.env, "s-pro", ptr("r6")); code(err) != "SubscriptionAlreadyCanceledOrExpired" {
			t.Fatalf("cancelled: %v", err)
		}
	})
}
