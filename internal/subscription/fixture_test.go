package subscription_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/catalog"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
)

// april1 is where the tests' clock starts: April has 30 days, so a monthly
// period from it is 30 days long and day 10 leaves 21 (the 10th to the 30th).
var april1 = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)

// fixture is a store with testdata/pricing.yaml loaded, customers c1 and
// c2, a manual clock at april1 and a service on it.
type fixture struct {
	ctx   context.Context
	st    *db.Store
	env   uuid.UUID
	clock *clock.Manual
	svc   *subscription.Service
}

func newFixture(t *testing.T, st *db.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	data, err := os.ReadFile("testdata/pricing.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := catalog.Parse("pricing.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := catalog.Apply(ctx, st.Client, april1, f); err != nil {
		t.Fatal(err)
	}
	env, err := st.Client.Environment.Query().Only(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"c1", "c2"} {
		if err := st.Client.Customer.Create().SetEnvironmentID(env.ID).SetCustomerID(id).SetCreatedAt(april1).SetUpdatedAt(april1).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	clk := clock.NewManual(april1)
	return &fixture{ctx: ctx, st: st, env: env.ID, clock: clk, svc: subscription.New(st.Client, clk)}
}

func (fx *fixture) provision(t *testing.T, in subscription.Input) *subscription.Result {
	t.Helper()
	r, err := fx.svc.Provision(fx.ctx, fx.env, in)
	if err != nil {
		t.Fatalf("provision %+v: %v", in, err)
	}
	return r
}

func ptr[T any](v T) *T { return &v }

// code is the apperr code of err ("" for none).
func code(err error) string {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return string(ae.Code)
	}
	return ""
}
