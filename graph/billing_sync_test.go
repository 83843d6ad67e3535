package graph_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/environment"
	"github.com/stigg-selfhost/stiggql/internal/apitest"
	"github.com/stigg-selfhost/stiggql/internal/billing"
	"github.com/stigg-selfhost/stiggql/internal/billing/stripemock"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/store"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

func TestMain(m *testing.M) {
	code := m.Run()
	stripemock.Stop()
	os.Exit(code)
}

const syncFields = `id customerId billingId billingLinkUrl
	syncStates { status error syncedEntityId vendorIdentifier integration { vendorIdentifier vendorType environmentId } }`

type syncedCustomer struct {
	ID             string      `json:"id"`
	CustomerID     string      `json:"customerId"`
	BillingID      *string     `json:"billingId"`
	BillingLinkURL *string     `json:"billingLinkUrl"`
	SyncStates     []syncState `json:"syncStates"`
}

type syncState struct {
	Status           string  `json:"status"`
	Error            *string `json:"error"`
	SyncedEntityID   *string `json:"syncedEntityId"`
	VendorIdentifier string  `json:"vendorIdentifier"`
	Integration      struct {
		VendorIdentifier string `json:"vendorIdentifier"`
		VendorType       string `json:"vendorType"`
		EnvironmentID    string `json:"environmentId"`
	} `json:"integration"`
}

// withStripe turns the Stripe sync on for the server's default environment,
// through a switchable proxy in front of stripe-mock.
func withStripe(t *testing.T, s *apitest.Server, cfg billing.Config) (*billing.Syncer, *stripemock.Switch) {
	t.Helper()
	sw := stripemock.NewSwitch(t)
	env, err := s.Store.Client.Environment.Query().Where(environment.Slug("default")).Only(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cfg.EnvironmentID, cfg.SecretKey, cfg.APIBase = env.ID, "sk_test_123", sw.URL
	cfg.Concurrency = 1
	syncer, err := billing.New(s.Store.Client, s.Store.Dialect, s.Clock, slog.New(slog.NewTextHandler(io.Discard, nil)), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(syncer.Close)
	return syncer, sw
}

func deliver(t *testing.T, syncer *billing.Syncer, want int) {
	t.Helper()
	n, err := syncer.DeliverDue(context.Background())
	if err != nil || n != want {
		t.Fatalf("DeliverDue = %d, %v; want %d", n, err, want)
	}
}

func getSynced(t *testing.T, s *apitest.Server, slug string) syncedCustomer {
	t.Helper()
	var out struct {
		GetCustomerByRefID syncedCustomer `json:"getCustomerByRefId"`
	}
	s.Query(`query($id: String!) { getCustomerByRefId(input: {customerId: $id}) { `+syncFields+` } }`, map[string]any{"id": slug}, &out)
	return out.GetCustomerByRefID
}

// onlyState returns the customer's one sync state, checking it is Stripe's.
func onlyState(t *testing.T, c syncedCustomer) syncState {
	t.Helper()
	if len(c.SyncStates) != 1 {
		t.Fatalf("syncStates = %+v, want one", c.SyncStates)
	}
	st := c.SyncStates[0]
	if st.VendorIdentifier != "STRIPE" || st.Integration.VendorIdentifier != "STRIPE" || st.Integration.VendorType != "BILLING" {
		t.Fatalf("sync state is not Stripe's billing integration: %+v", st)
	}
	return st
}

func checkStripeSuccess(t *testing.T, c syncedCustomer) {
	t.Helper()
	st := onlyState(t, c)
	if st.Status != "SUCCESS" || st.Error != nil || st.SyncedEntityID == nil || !strings.HasPrefix(*st.SyncedEntityID, "cus_") {
		t.Fatalf("sync state %+v, want SUCCESS with a Stripe customer id", st)
	}
	if c.BillingID == nil || *c.BillingID != *st.SyncedEntityID {
		t.Fatalf("billingId %v, want the synced id %s", c.BillingID, *st.SyncedEntityID)
	}
	if c.BillingLinkURL == nil || *c.BillingLinkURL != "https://dashboard.stripe.com/test/customers/"+*c.BillingID {
		t.Fatalf("billingLinkUrl %v", c.BillingLinkURL)
	}
}

// TestStripeSyncOfCustomers: provisioning and updating a customer reach
// Stripe; the customer shows PENDING until the worker ran, then SUCCESS with
// its Stripe id as billingId.
func TestStripeSyncOfCustomers(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		syncer, sw := withStripe(t, s, billing.Config{})
		provision(t, s, s.Key, map[string]any{
			"customerId": "acme", "name": "Acme", "email": "ap@acme.io",
			"additionalMetaData": map[string]any{"tier": "gold"},
			"billingInformation": map[string]any{
				"language": "de", "customerName": "Acme GmbH",
				"billingAddress":      map[string]any{"addressLine1": "Hauptstr. 1", "city": "Berlin", "country": "DE", "postalCode": "10115"},
				"shippingAddress":     map[string]any{"city": "Hamburg", "country": "DE"},
				"invoiceCustomFields": map[string]any{"PO": "4711"},
				"metadata":            map[string]any{"region": "eu"},
			},
		})
		c := getSynced(t, s, "acme")
		if st := onlyState(t, c); st.Status != "PENDING" || c.BillingID != nil {
			t.Fatalf("before delivery: %+v billingId %v", st, c.BillingID)
		}
		if len(sw.Requests()) != 0 {
			t.Fatal("the mutation itself talked to Stripe")
		}
		deliver(t, syncer, 1)
		c = getSynced(t, s, "acme")
		checkStripeSuccess(t, c)

		var upd struct {
			UpdateOneCustomer syncedCustomer `json:"updateOneCustomer"`
		}
		s.Query(`mutation { updateOneCustomer(input: {customerId: "acme", name: "Acme 2", billingInformation: {timezone: "Europe/Berlin"}}) { `+syncFields+` } }`, nil, &upd)
		if st := onlyState(t, upd.UpdateOneCustomer); st.Status != "PENDING" || st.SyncedEntityID == nil {
			t.Fatalf("after update: %+v", st)
		}
		before := len(sw.Requests())
		deliver(t, syncer, 1)
		checkStripeSuccess(t, getSynced(t, s, "acme"))
		if reqs := sw.Requests()[before:]; len(reqs) != 1 || reqs[0].Method != "POST" || reqs[0].Path != "/v1/customers/"+*c.BillingID {
			t.Fatalf("update sent %+v, want one update of %s", reqs, *c.BillingID)
		}
	})
}

// TestStripeOutageKeepsMutationsWorking: with Stripe unreachable the
// mutations still succeed and the sync state says ERROR with the cause;
// once Stripe is back, the retry makes it SUCCESS.
func TestStripeOutageKeepsMutationsWorking(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		syncer, sw := withStripe(t, s, billing.Config{})
		sw.SetDown(true)
		provision(t, s, s.Key, map[string]any{"customerId": "down", "name": "Down Inc"})
		deliver(t, syncer, 1)
		checkOutage := func() {
			t.Helper()
			st := onlyState(t, getSynced(t, s, "down"))
			if st.Status != "ERROR" || st.Error == nil || *st.Error == "" || st.SyncedEntityID != nil {
				t.Fatalf("during the outage: %+v, want ERROR with the cause", st)
			}
		}
		checkOutage()
		// A change during the outage is accepted, and tried at once (with
		// the earlier one: they are coalesced); it fails the same way.
		s.Query(`mutation { updateOneCustomer(input: {customerId: "down", email: "x@down.io"}) { id } }`, nil, nil)
		deliver(t, syncer, 1)
		checkOutage()
		deliver(t, syncer, 0) // the retry is not due yet

		sw.SetDown(false)
		s.Clock.Advance(billing.DefaultBackoffMax)
		deliver(t, syncer, 1)
		checkStripeSuccess(t, getSynced(t, s, "down"))
	})
}

// TestShouldWaitSyncThroughRunningWorker is the end-to-end test: the worker
// runs in the background (its poll interval far too long to matter, so it
// is the commit's wake-up that starts the delivery), and
// updateOneCustomer(shouldWaitSync: true) answers with the finished sync.
func TestShouldWaitSyncThroughRunningWorker(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		syncer, _ := withStripe(t, s, billing.Config{PollInterval: time.Hour, WaitTimeout: 20 * time.Second})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); syncer.Run(ctx) }()
		defer func() { cancel(); <-done }()

		provision(t, s, s.Key, map[string]any{"customerId": "waiter", "name": "W"})
		var out struct {
			UpdateOneCustomer syncedCustomer `json:"updateOneCustomer"`
		}
		s.Query(`mutation { updateOneCustomer(input: {customerId: "waiter", email: "w@w.io", shouldWaitSync: true}) { `+syncFields+` } }`, nil, &out)
		checkStripeSuccess(t, out.UpdateOneCustomer)
	})
}

// TestSubscriptionSyncStates: a subscription's syncStates resolve like a
// customer's (the subscription row is written directly; its lifecycle is
// another package's).
func TestSubscriptionSyncStates(t *testing.T) {
	eachServer(t, func(t *testing.T, s *apitest.Server) {
		syncer, _ := withStripe(t, s, billing.Config{})
		provision(t, s, s.Key, map[string]any{"customerId": "subbed"})
		ctx := context.Background()
		c := s.Store.Client.Customer.Query().Where(customer.CustomerID("subbed")).OnlyX(ctx)
		s.LoadDemoCatalog()
		plan := s.Store.Client.Plan.Query().FirstX(ctx)
		err := store.WithTx(ctx, s.Store.Client, func(tx *ent.Tx) error {
			sub, err := tx.CustomerSubscription.Create().SetEnvironmentID(c.EnvironmentID).SetCustomerID(c.ID).
				SetRefID("sub-1").SetPlanID(plan.ID).SetPricingType(customersubscription.PricingTypePAID).
				SetStartDate(s.Clock.Now()).Save(ctx)
			if err != nil {
				return err
			}
			return billing.EnqueueSubscription(ctx, tx, sub)
		})
		if err != nil {
			t.Fatal(err)
		}
		deliver(t, syncer, 2)
		var out struct {
			GetCustomerByRefID struct {
				Subscriptions []struct {
					SyncStates []syncState `json:"syncStates"`
				} `json:"subscriptions"`
			} `json:"getCustomerByRefId"`
		}
		s.Query(`{ getCustomerByRefId(input: {customerId: "subbed"}) { subscriptions { syncStates { status syncedEntityId vendorIdentifier integration { vendorType } } } } }`, nil, &out)
		subs := out.GetCustomerByRefID.Subscriptions
		if len(subs) != 1 || len(subs[0].SyncStates) != 1 {
			t.Fatalf("subscriptions %+v", subs)
		}
		st := subs[0].SyncStates[0]
		if st.Status != "SUCCESS" || st.SyncedEntityID == nil || !strings.HasPrefix(*st.SyncedEntityID, "sub_") || st.VendorIdentifier != "STRIPE" {
			t.Fatalf("subscription sync state %+v", st)
		}
	})
}

// TestNoStripeNoSyncStates: without an integration nothing is queued and
// syncStates is an empty list.
func TestNoStripeNoSyncStates(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		s := apitest.New(t, st)
		provision(t, s, s.Key, map[string]any{"customerId": "plain"})
		var out struct {
			UpdateOneCustomer syncedCustomer `json:"updateOneCustomer"`
		}
		s.Query(`mutation { updateOneCustomer(input: {customerId: "plain", name: "P", shouldWaitSync: true}) { `+syncFields+` } }`, nil, &out)
		if out.UpdateOneCustomer.SyncStates == nil || len(out.UpdateOneCustomer.SyncStates) != 0 || out.UpdateOneCustomer.BillingID != nil {
			t.Fatalf("without Stripe: %+v", out.UpdateOneCustomer)
		}
		if n := st.Client.OutboxEvent.Query().CountX(context.Background()); n != 0 {
			t.Fatalf("%d outbox rows without an integration", n)
		}
	})
}
