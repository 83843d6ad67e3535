package billing_test

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/outboxevent"
	"github.com/stigg-selfhost/stiggql/ent/syncstate"
	"github.com/stigg-selfhost/stiggql/internal/billing"
	"github.com/stigg-selfhost/stiggql/internal/billing/stripemock"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/customers"
	"github.com/stigg-selfhost/stiggql/internal/db"
)

func TestMain(m *testing.M) {
	code := m.Run()
	stripemock.Stop()
	os.Exit(code)
}

var epoch = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// fixture is one environment with the Stripe sync on, over one store.
type fixture struct {
	t      *testing.T
	st     *db.Store
	clock  *clock.Manual
	env    uuid.UUID
	stripe *stripemock.Switch
	sync   *billing.Syncer
	svc    *customers.Service
}

func newFixture(t *testing.T, st *db.Store) *fixture {
	t.Helper()
	sw := stripemock.NewSwitch(t)
	env, err := st.Client.Environment.Create().SetSlug("prod").SetDisplayName("Prod").Save(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, st: st, clock: clock.NewManual(epoch), env: env.ID, stripe: sw}
	f.sync = f.newSyncer(st)
	f.svc = customers.New(st.Client, f.clock, customers.SyncsToBilling(billing.CustomerChanged))
	return f
}

// newSyncer starts a worker for the fixture's environment over st (a
// restart reopens the store).
func (f *fixture) newSyncer(st *db.Store) *billing.Syncer {
	f.t.Helper()
	s, err := billing.New(st.Client, st.Dialect, f.clock, slog.New(slog.NewTextHandler(io.Discard, nil)), billing.Config{
		EnvironmentID: f.env,
		SecretKey:     "sk_test_123",
		APIBase:       f.stripe.URL,
		Concurrency:   1,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	s.SetRand(rand.New(rand.NewPCG(1, 2)))
	f.t.Cleanup(s.Close)
	return s
}

func (f *fixture) deliver(s *billing.Syncer, want int) {
	f.t.Helper()
	n, err := s.DeliverDue(context.Background())
	if err != nil {
		f.t.Fatalf("DeliverDue: %v", err)
	}
	if n != want {
		f.t.Fatalf("DeliverDue synced %d entities, want %d", n, want)
	}
}

func (f *fixture) state(entity uuid.UUID) *ent.SyncState {
	f.t.Helper()
	st, err := f.st.Client.SyncState.Query().Where(syncstate.EntityID(entity)).Only(context.Background())
	if err != nil {
		f.t.Fatalf("sync state of %s: %v", entity, err)
	}
	return st
}

func (f *fixture) rows(entity uuid.UUID) []*ent.OutboxEvent {
	f.t.Helper()
	rows, err := f.st.Client.OutboxEvent.Query().Where(outboxevent.EntityID(entity)).All(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return rows
}

// requests returns the requests Stripe got since the given count, as
// "METHOD /path" strings.
func (f *fixture) requestsSince(n int) []string {
	var out []string
	for _, r := range f.stripe.Requests()[n:] {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

func (f *fixture) createCustomer(slug string) *ent.Customer {
	f.t.Helper()
	name, email := "Acme "+slug, slug+"@acme.io"
	c, err := f.svc.Create(context.Background(), f.env, customers.CreateInput{CustomerID: slug, Fields: customers.Fields{
		Name: &name, Email: &email, Metadata: map[string]any{"tier": "gold", "seats": 3},
	}})
	if err != nil {
		f.t.Fatalf("create customer: %v", err)
	}
	return c
}

func (f *fixture) customer(id uuid.UUID) *ent.Customer {
	f.t.Helper()
	c, err := f.st.Client.Customer.Get(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func checkSynced(t *testing.T, f *fixture, c *ent.Customer) {
	t.Helper()
	st := f.state(c.ID)
	if st.Status != syncstate.StatusSUCCESS || st.Error != nil || st.VendorIdentifier != "STRIPE" {
		t.Fatalf("sync state %s (error %q), want SUCCESS", st.Status, deref(st.Error))
	}
	if st.SyncedEntityID == nil || !strings.HasPrefix(*st.SyncedEntityID, "cus_") {
		t.Fatalf("syncedEntityId %v, want a Stripe customer id", st.SyncedEntityID)
	}
	got := f.customer(c.ID)
	if got.BillingID == nil || *got.BillingID != *st.SyncedEntityID {
		t.Fatalf("billingId %v, want %s", got.BillingID, *st.SyncedEntityID)
	}
	if want := "https://dashboard.stripe.com/test/customers/" + *got.BillingID; got.BillingLinkURL == nil || *got.BillingLinkURL != want {
		t.Fatalf("billingLinkUrl %v, want %s", got.BillingLinkURL, want)
	}
	for _, r := range f.rows(c.ID) {
		if r.DeliveredAt == nil || r.ClaimedUntil != nil || r.LastError != nil {
			t.Fatalf("row %s not cleanly delivered: %+v", r.ID, r)
		}
	}
}
