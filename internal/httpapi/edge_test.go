package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/httpapi"
)

func edgeGet(t *testing.T, url, key string, header map[string]string) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if key != "" {
		req.Header.Set(auth.HeaderName, key)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return do(t, req)
}

func edgeDocument(t *testing.T, operation string) string {
	t.Helper()
	b, err := httpapi.EdgeDocuments.ReadFile("edge/" + operation + ".graphql")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestEdgePathsAnswerAsGraphQL: each edge path answers exactly what the
// GraphQL endpoint answers to the SDK document it stands for, with the
// variables the SDKs' query strings mean, and needs the same key.
func TestEdgePathsAnswerAsGraphQL(t *testing.T) {
	srv := newServer(t, nil)
	if r := post(t, srv, testKey, `mutation { provisionCustomer(input: {customerId: "edge-1"}) { customer { customerId } } }`); len(r.Errors) > 0 {
		t.Fatalf("provision: %s", r.Body)
	}
	for _, tc := range []struct {
		path      string
		operation string
		variables map[string]any
	}{
		{"/v1/config/server-sdk-configuration.json", "GetSdkConfiguration", nil},
		{"/v1/config/client-sdk-configuration.json", "GetSdkConfiguration", nil},
		{"/v1/c/edge-1/entitlements.json", "GetEntitlements", map[string]any{"query": map[string]any{"customerId": "edge-1"}}},
		{"/v1/c/edge-1/entitlements.json?resourceId=site-1", "GetEntitlements", map[string]any{"query": map[string]any{"customerId": "edge-1", "resourceId": "site-1"}}},
		{"/v1/c/nobody/entitlements.json", "GetEntitlements", map[string]any{"query": map[string]any{"customerId": "nobody"}}},
		{"/v1/c/edge-1/subscriptions.json?", "GetActiveSubscriptionsList", map[string]any{"input": map[string]any{"customerId": "edge-1"}}},
		{"/v1/c/edge-1/subscriptions.json?resourceId=site-1", "GetActiveSubscriptionsList", map[string]any{"input": map[string]any{"customerId": "edge-1", "resourceId": "site-1"}}},
		{"/v1/c/edge-1/subscriptions.json?resourceIds=a&resourceIds=b", "GetActiveSubscriptionsList", map[string]any{"input": map[string]any{"customerId": "edge-1", "resourceIds": []string{"a", "b"}}}},
		{"/v1/c/nobody/subscriptions.json?", "GetActiveSubscriptionsList", map[string]any{"input": map[string]any{"customerId": "nobody"}}},
		{"/v1/paywall.json?fetchAllCountriesPrices=undefined", "GetPaywall", map[string]any{"input": map[string]any{}}},
		{"/v1/p/product-a/paywall.json?fetchAllCountriesPrices=true&billingCountryCode=DE&includeHiddenPlans=true", "GetPaywall", map[string]any{"input": map[string]any{
			"productId": "product-a", "billingCountryCode": "DE", "fetchAllCountriesPrices": true, "includeHiddenPlans": true,
		}}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			got := edgeGet(t, srv.URL+tc.path, testKey, map[string]string{"X-API-VERSION": "1", "source": "node-server-sdk"})
			body, _ := json.Marshal(map[string]any{"operationName": tc.operation, "query": edgeDocument(t, tc.operation), "variables": tc.variables})
			req, _ := http.NewRequest(http.MethodPost, srv.URL+httpapi.GraphQLPath, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(auth.HeaderName, testKey)
			want := do(t, req)
			// Same status, data and errors (by code and message up to
			// gqlparser's "Did you mean" suggestions, whose order varies).
			if got.Status != want.Status || !reflect.DeepEqual(got.Data, want.Data) || !reflect.DeepEqual(errorCodes(got), errorCodes(want)) {
				t.Errorf("edge answered %d %s\nGraphQL answers %d %s", got.Status, got.Body, want.Status, want.Body)
			}
			if ct := got.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if cc := got.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", cc)
			}

			for key, code := range map[string]int{"": http.StatusUnauthorized, "server-wrong": http.StatusUnauthorized} {
				r := edgeGet(t, srv.URL+tc.path, key, nil)
				if r.Status != code || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "Unauthenticated" {
					t.Errorf("key %q: %d %s, want %d Unauthenticated", key, r.Status, r.Body, code)
				}
			}
		})
	}

	// The configuration both SDKs start with: no Sentry DSN (the browser SDK
	// would report to it), no watermark.
	for _, path := range []string{"/v1/config/server-sdk-configuration.json", "/v1/config/client-sdk-configuration.json"} {
		r := edgeGet(t, srv.URL+path, testKey, nil)
		if r.Status != http.StatusOK || len(r.Errors) > 0 || string(r.Data["sdkConfiguration"]) != `{"sentryDsn":null,"isWidgetWatermarkEnabled":false}` {
			t.Errorf("%s: %d %s", path, r.Status, r.Body)
		}
	}
	// What the SDK reads of a customer without subscriptions.
	r := edgeGet(t, srv.URL+"/v1/c/edge-1/subscriptions.json?", testKey, nil)
	if r.Status != http.StatusOK || string(r.Data["getActiveSubscriptions"]) != "[]" {
		t.Errorf("subscriptions.json: %d %s, want data.getActiveSubscriptions []", r.Status, r.Body)
	}
	// A WebSocket upgrade (which RequireAPIKey lets through for the
	// WebSocket transport) gets nothing from an edge path without a key.
	up := edgeGet(t, srv.URL+"/v1/c/edge-1/subscriptions.json", "", map[string]string{
		"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
	})
	if up.Status != http.StatusUnauthorized {
		t.Errorf("upgrade to an edge path without a key: %d %s", up.Status, up.Body)
	}
	// Other paths under /v1/ and other methods are not found.
	if r := edgeGet(t, srv.URL+"/v1/c/edge-1/other.json", testKey, nil); r.Status != http.StatusNotFound {
		t.Errorf("unknown edge path: %d", r.Status)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/c/edge-1/entitlements.json", nil)
	req.Header.Set(auth.HeaderName, testKey)
	if r := do(t, req); r.Status != http.StatusMethodNotAllowed {
		t.Errorf("POST to an edge path: %d", r.Status)
	}
}

// TestEdgePreflight: browsers may call the edge paths from the CORS origins
// with the headers @stigg/js-client-sdk sends.
func TestEdgePreflight(t *testing.T) {
	srv := newServer(t, func(o *httpapi.Options) { o.CORSOrigins = []string{"https://app.example.com"} })
	req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/v1/c/c1/entitlements.json", nil)
	req.Header.Set("Origin", "https://app.example.com")
	req.Header.Set("Access-Control-Request-Method", "GET")
	req.Header.Set("Access-Control-Request-Headers", "x-api-key,x-api-version,source,x-customer-key")
	r := do(t, req)
	if r.Status != http.StatusNoContent || r.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Fatalf("preflight: %d %v", r.Status, r.Header)
	}
}

// errorCodes lists a response's errors as "code: message" without
// suggestions.
func errorCodes(r response) []string {
	var out []string
	for _, e := range r.Errors {
		msg, _, _ := strings.Cut(e.Message, " Did you mean")
		out = append(out, e.Extensions["code"].(string)+": "+msg)
	}
	return out
}
