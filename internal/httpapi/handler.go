// Package httpapi assembles the HTTP surface of the server: the GraphQL
// endpoint with its transports, caches and error handling, authentication by
// API key, CORS, the schema's SDL, the playground, and health checks.
package httpapi

import (
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/stigg-selfhost/stiggql/graph"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/limits"
	"github.com/stigg-selfhost/stiggql/internal/observability"
	"github.com/stigg-selfhost/stiggql/internal/persisted"
	"github.com/stigg-selfhost/stiggql/internal/playground"
	"github.com/stigg-selfhost/stiggql/internal/ratelimit"
	"github.com/stigg-selfhost/stiggql/internal/reqinfo"
	"github.com/stigg-selfhost/stiggql/internal/requestid"
)

// Options configure the handler.
type Options struct {
	Resolver *graph.Resolver
	Auth     *auth.Authenticator
	Log      *slog.Logger
	// Ready reports whether the store answers and is migrated
	// (db.Store.Ready); /readyz uses it.
	Ready func(ctx context.Context) error
	// Limits bounds every GraphQL request; nil means limits.Default().
	Limits *limits.Config
	// RateLimit throttles each API key; the zero value limits nothing.
	RateLimit ratelimit.Config
	// Metrics, when set, counts requests and is served at /metrics.
	Metrics *observability.Metrics
	// Tracing, when set, traces requests, operations and resolvers.
	Tracing *observability.Tracing
	// CORSOrigins may call the API from browser pages (see CORS).
	CORSOrigins []string
	// PersistedQueries, when set, restricts the API to the registered
	// operations (allow-list mode) instead of automatic persisted queries.
	PersistedQueries *persisted.AllowList
	// PublicIntrospection lets introspection-only queries in without a key.
	PublicIntrospection bool
	// SchemaSDL is served at /schema.graphql (404 when empty).
	SchemaSDL string
	// PlaygroundAssetsDir and PlaygroundAPIKey configure the playground
	// (playground.Options.AssetsDir and DefaultAPIKey).
	PlaygroundAssetsDir string
	// ExamplePaywall, when set, is the built example page (examples/
	// react-paywall) served under ExamplePaywallPath.
	ExamplePaywall   fs.FS
	PlaygroundAPIKey string
	// Shutdown, when done, closes the open WebSocket connections (which
	// http.Server.Shutdown does not track), so their clients reconnect
	// elsewhere; nil leaves them open.
	Shutdown context.Context
	// TestClock, when set (serve --test-clock, for tests only), is the
	// clock of every service, and TestClockPath reads and moves it.
	TestClock *clock.Test
	// StripeWebhookSecret, when set (Stripe configured with a webhook
	// signing secret), serves StripeWebhookPath.
	StripeWebhookSecret string
}

// ExamplePaywallPath is where Options.ExamplePaywall is served.
const ExamplePaywallPath = "/examples/paywall/"

// GraphQLPath is where the API is served, as in Stigg's hosted API.
const GraphQLPath = "/graphql"

// NewGraphQLServer returns the gqlgen server of o.Resolver with explicit
// transports (POST, GET, and WebSocket for subscriptions; the deprecated
// NewDefaultServer is not fit for production), a parsed-query cache,
// automatic persisted queries, and the one error presenter.
func NewGraphQLServer(o Options) *handler.Server {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	log := o.Log
	srv := handler.New(graph.NewSchema(o.Resolver))
	srv.AddTransport(o.webSocket())
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.Use(extension.Introspection{})
	if o.PersistedQueries != nil {
		// Allow-list mode: only registered operations, by hash or text.
		srv.Use(o.PersistedQueries)
	} else {
		srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	}
	srv.Use(InputStrings{})
	srv.SetErrorPresenter(graph.ErrorPresenter(log))
	srv.SetRecoverFunc(graph.RecoverFunc(log))
	// Loaders are per response, not per operation: a subscription sends
	// many responses, and rows cached for one event would be stale by the
	// next.
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		return next(graph.WithLoaders(ctx))
	})
	return srv
}

// New returns the server's whole HTTP handler.
func New(o Options) http.Handler {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	mux := http.NewServeMux()
	gql := NewGraphQLServer(o)
	api := o.protect(gql)
	mux.Handle(GraphQLPath, o.observe(CORS(o.CORSOrigins, CacheGETQueries(RequireAPIKey(o.Auth, o.Log, o.PublicIntrospection, api)))))
	// The edge API of Stigg's SDKs (see edge.go), on the same address.
	mux.Handle("/v1/", o.observe(CORS(o.CORSOrigins, RequireAPIKey(o.Auth, o.Log, false, edgeHandler(api)))))
	if o.Metrics != nil {
		mux.Handle("GET "+MetricsPath, o.Metrics.Handler())
	}
	mux.Handle("GET "+SchemaPath, CORS(o.CORSOrigins, schemaHandler(o.SchemaSDL)))
	pg := playground.New(playground.Options{Endpoint: GraphQLPath, DefaultAPIKey: o.PlaygroundAPIKey, AssetsDir: o.PlaygroundAssetsDir})
	mux.Handle("GET /{$}", pg)
	mux.Handle("GET /playground", pg)
	mux.Handle("GET /playground/", pg)
	if o.ExamplePaywall != nil {
		mux.Handle("GET "+ExamplePaywallPath, http.StripPrefix(ExamplePaywallPath, http.FileServerFS(o.ExamplePaywall)))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", o.readyz)
	if o.StripeWebhookSecret != "" {
		mux.Handle("POST "+StripeWebhookPath, o.observe(StripeWebhook(o.StripeWebhookSecret, o.Resolver.SubscriptionService, o.Log)))
	}
	if o.TestClock != nil {
		mux.Handle(TestClockPath, o.observe(RequireAPIKey(o.Auth, o.Log, false, o.testClock())))
	}
	return requestid.Middleware(mux)
}

// RequireAPIKey authenticates every request by its X-API-KEY header and
// scopes it to the key's environment. A request without a valid key is
// answered 401 with a GraphQL-shaped error, before any GraphQL work.
// With publicIntrospection, a request without the header whose operation is
// only an introspection query (see IsIntrospectionQuery) runs without a
// principal; a wrong key is still refused.
// A WebSocket upgrade goes through unauthenticated: browsers cannot set
// headers on it, so the WebSocket transport checks the key, from the
// upgrade's header or from connection_init, and refuses the connection with
// a WebSocket close code that clients understand (see initWebSocket);
// nothing runs before that.
func RequireAPIKey(a *auth.Authenticator, log *slog.Logger, publicIntrospection bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		if IsWebSocketUpgrade(r) {
			next.ServeHTTP(w, r)
			return
		}
		if publicIntrospection && r.Header.Get(auth.HeaderName) == "" {
			ok, r2 := introspectionRequest(r)
			if ok {
				next.ServeHTTP(w, r2)
				return
			}
			r = r2
		}
		p, err := a.AuthenticateRequest(r.Context(), r.Header.Get(auth.HeaderName), r.Header.Get(auth.CustomerTokenHeader))
		if err != nil {
			code, msg := apperr.Unauthenticated, "a valid X-API-KEY header is required"
			if ae, ok := apperr.As(err); ok {
				msg = ae.Message
			} else {
				log.ErrorContext(r.Context(), "authentication failed", "request_id", requestid.From(r.Context()), "error", err.Error())
				code, msg = apperr.UnexpectedError, "authentication is unavailable (request id "+requestid.From(r.Context())+")"
			}
			status := http.StatusUnauthorized
			if code == apperr.UnexpectedError {
				status = http.StatusServiceUnavailable
				if db.Unavailable(err) {
					code, msg = apperr.ServiceUnavailable, "the database is unavailable; retry later (request id "+requestid.From(r.Context())+")"
					w.Header().Set("Retry-After", RetryAfterSeconds)
				}
			}
			reqinfo.From(r.Context()).AddCodes(string(code))
			writeError(w, status, code, msg)
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

// writeError answers with a GraphQL response holding one coded error, the
// shape GraphQL clients parse even on non-200 statuses.
func writeError(w http.ResponseWriter, status int, code apperr.Code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": string(code)}}},
		"data":   nil,
	})
}
