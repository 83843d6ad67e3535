package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"

	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/clientaccess"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/limits"
	"github.com/stigg-selfhost/stiggql/internal/observability"
	"github.com/stigg-selfhost/stiggql/internal/ratelimit"
	"github.com/stigg-selfhost/stiggql/internal/reqinfo"
)

// MetricsPath is where Prometheus metrics are served when Options.Metrics
// is set.
const MetricsPath = "/metrics"

// limitsConfig returns the limits in force: Options.Limits, or the defaults.
func (o Options) limitsConfig() limits.Config {
	if o.Limits == nil {
		return limits.Default()
	}
	return *o.Limits
}

// observe wraps the whole GraphQL endpoint: the access log, metrics and
// request span see every request, refused or not, and the timeout covers
// authentication as well as execution. WebSocket connections are exempt
// from the timeout: they live as long as their subscriptions.
func (o Options) observe(next http.Handler) http.Handler {
	timed := limits.Timeout(o.limitsConfig().Timeout, next)
	obs := &observability.Observer{Log: o.Log, Metrics: o.Metrics, Tracing: o.Tracing}
	return obs.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if IsWebSocketUpgrade(r) {
			next.ServeHTTP(w, r)
			return
		}
		timed.ServeHTTP(w, r)
	}))
}

// protect wraps the gqlgen server behind authentication: it records the
// principal for the access log, bounds the body, splits batches, and adds
// the gqlgen extensions for the operation records, tracing, rate limits and
// query limits, in that order (so that a refused operation is still named).
func (o Options) protect(gql *handler.Server) http.Handler {
	cfg := o.limitsConfig()
	gql.Use(observability.Recorder{})
	gql.Use(clientaccess.Extension{Owner: clientaccess.StoreOwner(o.Resolver.Client)})
	if o.Tracing != nil {
		gql.Use(o.Tracing.Extension())
	}
	var h http.Handler = answerUnavailable(gql, CodeTransportErrors(gql))
	if o.RateLimit.Enabled() {
		gql.Use(ratelimit.New(o.RateLimit).Extension())
		h = ratelimit.Middleware(h)
	}
	gql.Use(limits.NewExtension(cfg))
	h = limits.Batch(cfg.MaxBatchOperations, h)
	h = limits.BodyLimit(cfg.MaxBodyBytes, h)
	return notePrincipal(clientaccess.Middleware(h))
}

// notePrincipal tells the access log which key and environment a request
// acts as.
func notePrincipal(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := auth.FromContext(r.Context()); p != nil {
			reqinfo.From(r.Context()).SetPrincipal(p.APIKeyID.String(), p.EnvironmentID.String())
		}
		next.ServeHTTP(w, r)
	})
}

// readyz answers 200 when the store answers and its schema is migrated, and
// 503 naming which of the two is not the case (never the error itself,
// which may name hosts).
func (o Options) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if o.Ready == nil {
		_, _ = w.Write([]byte("ready\n"))
		return
	}
	err := o.Ready(ctx)
	switch {
	case err == nil:
		_, _ = w.Write([]byte("database: ok\nmigrations: applied\nready\n"))
	case errors.Is(err, db.ErrDiskFull):
		o.Log.WarnContext(ctx, "not ready", "error", err.Error())
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("database: disk full\nnot ready\n"))
	case errors.Is(err, db.ErrNotMigrated):
		o.Log.WarnContext(ctx, "not ready", "error", err.Error())
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("database: ok\nmigrations: not applied\nnot ready\n"))
	default:
		o.Log.WarnContext(ctx, "not ready", "error", err.Error())
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("database: not reachable\nnot ready\n"))
	}
}
