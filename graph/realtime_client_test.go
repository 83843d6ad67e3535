package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/stigg-selfhost/stiggql/internal/apitest"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

const clientEntitlementsDoc = `subscription { entitlementsUpdated { customerId entitlements { feature { refId } } } }`

// wsRefusal returns the code and reason of the close frame that ended ws.
func wsRefusal(t *testing.T, ws *apitest.WS, init map[string]any) (int, string) {
	t.Helper()
	err := ws.Init(init)
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("connection_init: %v, want the connection closed", err)
	}
	return ce.Code, ce.Text
}

// wsOperationError returns the codes of the error message answering
// operation id.
func wsOperationError(t *testing.T, ws *apitest.WS, id string) []string {
	t.Helper()
	m, err := ws.Next()
	if err != nil {
		t.Fatal(err)
	}
	var errs []apitest.Error
	switch {
	case m.ID != id:
		t.Fatalf("got %s %s %s, want an answer to %s", m.Type, m.ID, m.Payload, id)
	case m.Type == "error":
		if err := json.Unmarshal(m.Payload, &errs); err != nil {
			t.Fatal(err)
		}
	case m.Type == "next":
		// A refused root field: a result with errors and no data, then complete.
		var r struct {
			Data   json.RawMessage `json:"data"`
			Errors []apitest.Error `json:"errors"`
		}
		if err := json.Unmarshal(m.Payload, &r); err != nil {
			t.Fatal(err)
		}
		if len(r.Data) > 0 && string(r.Data) != "null" {
			t.Fatalf("refused operation %s answered data %s", id, r.Data)
		}
		errs = r.Errors
		if done, err := ws.Next(); err != nil || done.Type != "complete" || done.ID != id {
			t.Fatalf("after the refusal: %+v %v, want complete %s", done, err, id)
		}
	default:
		t.Fatalf("got %s %s, want a refusal of %s", m.Type, m.Payload, id)
	}
	var codes []string
	for _, e := range errs {
		c, _ := e.Extensions["code"].(string)
		codes = append(codes, c)
	}
	return codes
}

// TestClientKeyOverWebSocket: a client key with its customer token (in
// connection_init, or in its headers object) streams entitlementsUpdated and
// usageUpdated of the token's customer only; customerUpdated for another
// customer is refused with IdentityForbidden, and so are the customer
// streams without a token (they would carry every customer's events) and
// server-only fields. A bad key or a bad token closes the connection with
// 4401 before connection_ack. In hardened mode a client key without a token
// connects (the catalog needs none) and each customer operation is refused.
func TestClientKeyOverWebSocket(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		s := apitest.New(t, st)
		s.LoadDemoCatalog()
		url := live(t, s)
		ctx := context.Background()
		for _, c := range []string{"own", "other"} {
			provision(t, s, s.Key, map[string]any{"customerId": c})
		}
		key := s.NewClientKey("default")
		tok, err := auth.MintCustomerToken(ctx, st.Client, "default", "own")
		if err != nil {
			t.Fatal(err)
		}

		// Key and token at the top of connection_init (graphql-ws's
		// connectionParams), then in a headers object.
		top := dial(t, url, nil)
		if err := top.Init(map[string]any{"X-API-KEY": key, "X-CUSTOMER-KEY": tok}); err != nil {
			t.Fatal(err)
		}
		nested := dial(t, url, nil)
		if err := nested.Init(map[string]any{"headers": map[string]any{"X-API-KEY": key, "X-CUSTOMER-KEY": tok}}); err != nil {
			t.Fatal(err)
		}
		top.Subscribe("e", clientEntitlementsDoc, nil)
		nested.Subscribe("u", `subscription { usageUpdated { usage { customerId featureId currentUsage } } }`, nil)
		subscribed(t, s, 2)

		// The other customer's changes come first: neither stream may show them.
		for _, c := range []string{"other", "own"} {
			provisionSub(t, s, map[string]any{"customerId": c, "planId": "plan-revvenu-free"})
			run(t, s, `mutation($c: String!) { reportUsage(input: {customerId: $c, featureId: "feature-api-calls", value: 3}) { id } }`, map[string]any{"c": c})
		}
		var ent struct {
			EntitlementsUpdated struct{ CustomerID string } `json:"entitlementsUpdated"`
		}
		top.NextData("e", &ent)
		eq(t, "entitlements event's customer", ent.EntitlementsUpdated.CustomerID, "own")
		var use struct {
			UsageUpdated struct {
				Usage struct {
					CustomerID   string  `json:"customerId"`
					CurrentUsage float64 `json:"currentUsage"`
				} `json:"usage"`
			} `json:"usageUpdated"`
		}
		nested.NextData("u", &use)
		eq(t, "usage event's customer", use.UsageUpdated.Usage.CustomerID, "own")
		eq(t, "usage", use.UsageUpdated.Usage.CurrentUsage, 3.0)

		// Another customer by name, and a server-only field: refused.
		top.Subscribe("c", `subscription { customerUpdated(customerId: "other") { customerId } }`, nil)
		deq(t, "customerUpdated of another customer", wsOperationError(t, top, "c"), []string{"IdentityForbidden"})
		top.Subscribe("own", `subscription { customerUpdated(customerId: "own") { customerId } }`, nil)
		subscribed(t, s, 3)
		top.Subscribe("q", `query { customers { totalCount } }`, nil)
		deq(t, "a server-only query", wsOperationError(t, top, "q"), []string{"IdentityForbidden"})

		// Without a token the customer streams are refused (they would carry
		// every customer's events); the catalog's stream is not.
		anon := dial(t, url, nil)
		if err := anon.Init(map[string]any{"X-API-KEY": key}); err != nil {
			t.Fatal(err)
		}
		anon.Subscribe("e", clientEntitlementsDoc, nil)
		deq(t, "entitlementsUpdated without a token", wsOperationError(t, anon, "e"), []string{"IdentityForbidden"})
		anon.Subscribe("p", `subscription { packagePublished { packageType } }`, nil)
		subscribed(t, s, 4)

		// Bad key, bad token: closed with 4401 before connection_ack.
		code, reason := wsRefusal(t, dial(t, url, nil), map[string]any{"X-API-KEY": "client-wrong"})
		if code != 4401 || reason != "Invalid API key" {
			t.Errorf("wrong client key: close %d %q, want 4401 Invalid API key", code, reason)
		}
		code, reason = wsRefusal(t, dial(t, url, nil), map[string]any{"X-API-KEY": key, "X-CUSTOMER-KEY": tok + "x"})
		if code != 4401 || !strings.Contains(reason, "customer token") {
			t.Errorf("wrong customer token: close %d %q, want 4401 naming the token", code, reason)
		}
		code, _ = wsRefusal(t, dial(t, url, http.Header{auth.CustomerTokenHeader: {"HMAC-SHA256 own:00"}}), map[string]any{"X-API-KEY": key})
		eq(t, "wrong token in the upgrade's header", code, 4401)

		// Hardened: the token is required for the customer's own stream too,
		// and a valid one (here in the upgrade's headers) still works.
		if err := auth.SetHardened(ctx, st.Client, "default", true); err != nil {
			t.Fatal(err)
		}
		hkey := s.NewClientKey("default") // a fresh key: the old one's settings are cached for auth.CacheTTL
		hard := dial(t, url, nil)
		if err := hard.Init(map[string]any{"X-API-KEY": hkey}); err != nil {
			t.Fatal(err)
		}
		hard.Subscribe("own", `subscription { customerUpdated(customerId: "own") { customerId } }`, nil)
		deq(t, "hardened without a token", wsOperationError(t, hard, "own"), []string{"IdentityForbidden"})
		withTok := dial(t, url, http.Header{auth.HeaderName: {hkey}, auth.CustomerTokenHeader: {tok}})
		if err := withTok.Init(nil); err != nil {
			t.Fatal(err)
		}
		withTok.Subscribe("e", clientEntitlementsDoc, nil)
		subscribed(t, s, 5)
		run(t, s, `mutation { grantPromotionalEntitlements(input: {customerId: "own", promotionalEntitlements: [{featureId: "feature-sso", period: ONE_MONTH}]}) { id } }`, nil)
		withTok.NextData("e", &ent)
		eq(t, "hardened entitlements event", ent.EntitlementsUpdated.CustomerID, "own")
	})
}

func dial(t *testing.T, url string, h http.Header) *apitest.WS {
	t.Helper()
	ws, err := apitest.DialWS(t, url, h)
	if err != nil {
		t.Fatal(err)
	}
	return ws
}
