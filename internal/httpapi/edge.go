package httpapi

import (
	"bytes"
	"embed"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/auth"
)

// The edge API. Stigg's SDKs read a few JSON documents from an "edge"
// address (baseEdgeUri) instead of the GraphQL API: the SDK configuration
// when they start, a customer's entitlements on every cache miss, its
// active subscriptions, and the public paywall. Each body is exactly the
// GraphQL response to one of the SDKs' own documents (the SDKs read
// `data.entitlements`, `data.getActiveSubscriptions`, ... and throw on
// `errors`), so each edge path here runs that document through the GraphQL
// handler: same key check, rate limits, limits, resolvers, error codes and
// operation metrics as the SDK's GraphQL fallback, and nothing to keep in
// step. Serving them from the same address lets users set baseEdgeUri to the
// server's base URL.

// EdgeDocuments are the SDK documents the edge paths run, verbatim from
// @stigg/api-client-js 3.108.0 (the version @stigg/node-server-sdk 3.95.0
// sends); in allow-list mode (Options.PersistedQueries) register them too.
//
//go:embed edge/*.graphql
var EdgeDocuments embed.FS

// edgeRoute maps one edge path to its document and variables.
type edgeRoute struct {
	pattern   string
	operation string
	variables func(r *http.Request) map[string]any
}

var edgeRoutes = []edgeRoute{
	{"GET /v1/config/server-sdk-configuration.json", "GetSdkConfiguration", nil},
	{"GET /v1/config/client-sdk-configuration.json", "GetSdkConfiguration", nil},
	{"GET /v1/c/{customerId}/entitlements.json", "GetEntitlements", func(r *http.Request) map[string]any {
		q := map[string]any{"customerId": r.PathValue("customerId")}
		if v := r.URL.Query().Get("resourceId"); v != "" {
			q["resourceId"] = v
		}
		return map[string]any{"query": q}
	}},
	{"GET /v1/c/{customerId}/subscriptions.json", "GetActiveSubscriptionsList", func(r *http.Request) map[string]any {
		in := map[string]any{"customerId": r.PathValue("customerId")}
		q := r.URL.Query()
		if v := q.Get("resourceId"); v != "" {
			in["resourceId"] = v
		} else if ids := q["resourceIds"]; len(ids) > 0 {
			in["resourceIds"] = ids
		}
		return map[string]any{"input": in}
	}},
	{"GET /v1/paywall.json", "GetPaywall", paywallVariables},
	{"GET /v1/p/{productId}/paywall.json", "GetPaywall", paywallVariables},
}

// paywallVariables reads the paywall's query string. The SDKs always send
// fetchAllCountriesPrices, as "undefined" when unset: only "true" counts.
func paywallVariables(r *http.Request) map[string]any {
	q := r.URL.Query()
	in := map[string]any{}
	if v := r.PathValue("productId"); v != "" {
		in["productId"] = v
	}
	if v := q.Get("billingCountryCode"); v != "" {
		in["billingCountryCode"] = v
	}
	if q.Get("fetchAllCountriesPrices") == "true" {
		in["fetchAllCountriesPrices"] = true
	}
	if q.Get("includeHiddenPlans") == "true" {
		in["includeHiddenPlans"] = true
	}
	return map[string]any{"input": in}
}

// EdgePaths lists the edge paths served (without their methods).
func EdgePaths() []string {
	out := make([]string, len(edgeRoutes))
	for i, rt := range edgeRoutes {
		out[i] = strings.TrimPrefix(rt.pattern, "GET ")
	}
	return out
}

// edgeHandler serves the edge paths by running their documents through api,
// the authenticated GraphQL handler, as POST requests.
func edgeHandler(api http.Handler) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range edgeRoutes {
		doc, err := EdgeDocuments.ReadFile("edge/" + rt.operation + ".graphql")
		if err != nil {
			panic("edge document " + rt.operation + ": " + err.Error())
		}
		mux.Handle(rt.pattern, edgeOperation(api, rt.operation, string(doc), rt.variables))
	}
	return mux
}

func edgeOperation(api http.Handler, operation, doc string, variables func(*http.Request) map[string]any) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// RequireAPIKey lets WebSocket upgrades through for the WebSocket
		// transport to check; an edge path has none.
		if auth.FromContext(r.Context()) == nil {
			writeError(w, http.StatusUnauthorized, apperr.Unauthenticated, "a valid X-API-KEY header is required")
			return
		}
		params := map[string]any{"operationName": operation, "query": doc}
		if variables != nil {
			params["variables"] = variables(r)
		}
		body, err := json.Marshal(params)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		req := r.Clone(r.Context())
		req.Method = http.MethodPost
		req.URL.Path, req.URL.RawPath, req.URL.RawQuery = GraphQLPath, "", ""
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
		req.Header = r.Header.Clone()
		req.Header.Set("Content-Type", "application/json")
		req.Header.Del("Content-Length")
		// Answers are per key and change with every write: no shared cache
		// may keep them.
		w.Header().Set("Cache-Control", "no-store")
		api.ServeHTTP(w, req)
	})
}
