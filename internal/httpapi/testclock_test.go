package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/graph"
	"github.com/stigg-selfhost/stiggql/internal/apitest"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/catalog"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/events"
	"github.com/stigg-selfhost/stiggql/internal/httpapi"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// clockCall sends a request to the test clock and decodes its JSON answer.
func clockCall(t *testing.T, srv *httptest.Server, method, key, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+httpapi.TestClockPath, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set(auth.HeaderName, key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return res.StatusCode, out
}

func errorCode(ans map[string]any) string {
	errs, _ := ans["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	ext, _ := errs[0].(map[string]any)["extensions"].(map[string]any)
	code, _ := ext["code"].(string)
	return code
}

// TestTestClockOnlyWhenAsked: without Options.TestClock the path does not
// exist; with it, only a server key reads or moves it, a move is forward
// only and its body is checked.
func TestTestClockOnlyWhenAsked(t *testing.T) {
	if code, _ := clockCall(t, newServer(t, nil), http.MethodGet, testKey, ""); code != http.StatusNotFound {
		t.Fatalf("without --test-clock: %d, want 404", code)
	}
	tc := clock.NewTest()
	var client string
	srv := newServer(t, func(o *httpapi.Options) {
		o.TestClock = tc
		o.Resolver = graph.NewResolver(o.Resolver.Client, tc, nil)
		k, err := auth.CreateKeyOfType(context.Background(), o.Resolver.Client, "default", auth.KeyTypeClient, "")
		if err != nil {
			t.Fatal(err)
		}
		client = k.Secret
	})
	if code, ans := clockCall(t, srv, http.MethodGet, "", ""); code != http.StatusUnauthorized || errorCode(ans) != "Unauthenticated" {
		t.Errorf("without a key: %d %v", code, ans)
	}
	if code, ans := clockCall(t, srv, http.MethodPost, client, `{"advance": "1h"}`); code != http.StatusForbidden || errorCode(ans) != "IdentityForbidden" {
		t.Errorf("with a client key: %d %v", code, ans)
	}
	code, ans := clockCall(t, srv, http.MethodGet, testKey, "")
	now, err := time.Parse(time.RFC3339Nano, ans["now"].(string))
	if code != http.StatusOK || err != nil || time.Since(now).Abs() > time.Minute {
		t.Fatalf("GET: %d %v (%v)", code, ans, err)
	}
	for _, body := range []string{``, `{}`, `{"advance": "1d"}`, `{"set": "tomorrow"}`, `{"advance": "1h", "set": "2030-01-01T00:00:00Z"}`,
		`{"advance": "-1h"}`, `{"set": "2020-01-01T00:00:00Z"}`, `{"advance": "1h", "extra": 1}`} {
		if code, ans := clockCall(t, srv, http.MethodPost, testKey, body); code != http.StatusBadRequest || errorCode(ans) != "BadUserInput" {
			t.Errorf("POST %s: %d %v, want 400 BadUserInput", body, code, ans)
		}
	}
	if d := tc.Now().Sub(time.Now()); d > time.Minute {
		t.Fatalf("a refused move moved the clock by %v", d)
	}
	code, ans = clockCall(t, srv, http.MethodPost, testKey, `{"set": "2031-05-01T00:00:00Z"}`)
	if code != http.StatusOK || ans["now"] == nil || !strings.HasPrefix(ans["now"].(string), "2031-05-01T00:00:00") {
		t.Fatalf("set: %d %v", code, ans)
	}
	if got := tc.Now(); got.Year() != 2031 {
		t.Fatalf("the clock is at %v after set", got)
	}
}

// TestTestClockMoveAppliesWhatBecameDue moves a running server's clock past
// the end of a month: the scheduled update applies before the answer, the
// metered usage starts a new period, and the realtime listener hears both
// customers' entitlements as the moved clock computes them.
func TestTestClockMoveAppliesWhatBecameDue(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		ctx := context.Background()
		if _, err := auth.Bootstrap(ctx, st.Client, testKey); err != nil {
			t.Fatal(err)
		}
		bus := events.ForStore(st, nil)
		bus.Start(ctx)
		t.Cleanup(bus.Close)
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := bus.WaitReady(wctx); err != nil {
			t.Fatal(err)
		}
		tc := clock.NewTest()
		if _, err := catalog.Load(ctx, st.Client, tc.Now(), ""); err != nil {
			t.Fatal(err)
		}
		res := graph.NewResolver(st.Client, tc, nil).WithEvents(bus)
		srv := httptest.NewServer(httpapi.New(httpapi.Options{Resolver: res, Auth: auth.NewAuthenticator(st.Client, tc), TestClock: tc}))
		t.Cleanup(srv.Close)
		gql := func(query string) json.RawMessage {
			t.Helper()
			r := apitest.Post(t, srv.URL, testKey, query, nil)
			if len(r.Errors) > 0 {
				t.Fatalf("%s: %v", query, r.Errors)
			}
			return r.Data
		}
		gql(`mutation { provisionCustomer(input: {customerId: "metered", subscriptionParams: {planId: "plan-revvenu-free"}}) { customer { customerId } } }`)
		gql(`mutation { reportUsage(input: {customerId: "metered", featureId: "feature-api-calls", value: 1000}) { currentUsage } }`)
		gql(`mutation { provisionCustomer(input: {customerId: "scheduled"}) { customer { customerId } } }`)
		gql(`mutation { provisionSubscription(input: {customerId: "scheduled", planId: "plan-revvenu-basic", skipTrial: true, subscriptionId: "s1"}) { status } }`)
		gql(`mutation { updateOneSubscription(input: {subscriptionId: "s1", addons: [{addonId: "addon-extra-seats", quantity: 1}], scheduleStrategy: END_OF_BILLING_PERIOD}) { subscriptionId } }`)

		ws, err := apitest.DialWS(t, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		if err := ws.Init(map[string]any{"X-API-KEY": testKey}); err != nil {
			t.Fatal(err)
		}
		ws.Subscribe("1", `subscription { entitlementsUpdated { customerId entitlements { feature { refId } usageLimit currentUsage usagePeriodStart } } }`, nil)
		if err := bus.Broker().WaitSubscribers(wctx, 1); err != nil {
			t.Fatal(err)
		}

		code, ans := clockCall(t, srv, http.MethodPost, testKey, `{"advance": "768h"}`) // 32 days
		if code != http.StatusOK || ans["scheduledUpdatesApplied"] != 1.0 || ans["entitlementsUpdated"] != 2.0 {
			t.Fatalf("move: %d %v, want the scheduled update applied and both customers told", code, ans)
		}
		var limits struct {
			Entitlement struct {
				CurrentUsage float64
				UsageLimit   float64
			}
		}
		read := func(customer, feature string) {
			t.Helper()
			raw := gql(`{ entitlement(query: {customerId: "` + customer + `", featureId: "` + feature + `"}) { currentUsage usageLimit } }`)
			if err := json.Unmarshal(raw, &limits); err != nil {
				t.Fatal(err)
			}
		}
		if read("metered", "feature-api-calls"); limits.Entitlement.CurrentUsage != 0 {
			t.Errorf("api calls after the period ended: %+v, want a new period at 0", limits.Entitlement)
		}
		if read("scheduled", "feature-seats"); limits.Entitlement.UsageLimit != 10 {
			t.Errorf("seats after the period ended: %+v, want 10 with the scheduled add-on", limits.Entitlement)
		}

		type entitlement struct {
			Feature      struct{ RefID string }
			UsageLimit   *float64
			CurrentUsage *float64
		}
		heard := map[string]map[string]entitlement{}
		for len(heard) < 2 {
			var got struct {
				EntitlementsUpdated struct {
					CustomerID   string
					Entitlements []entitlement
				}
			}
			ws.NextData("1", &got)
			byFeature := map[string]entitlement{}
			for _, e := range got.EntitlementsUpdated.Entitlements {
				byFeature[e.Feature.RefID] = e
			}
			heard[got.EntitlementsUpdated.CustomerID] = byFeature
		}
		if e := heard["metered"]["feature-api-calls"]; e.CurrentUsage == nil || *e.CurrentUsage != 0 {
			t.Errorf("realtime api calls: %+v", e)
		}
		if e := heard["scheduled"]["feature-seats"]; e.UsageLimit == nil || *e.UsageLimit != 10 {
			t.Errorf("realtime seats: %+v", e)
		}
	})
}
