package ratelimit

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/auth"
)

// Extension is the gqlgen extension that applies a Limiter to every
// operation of an authenticated request, after parsing and before
// execution. Requests without a principal (public introspection) are not
// limited. Use it with Middleware around the GraphQL handler, which turns a
// refusal into HTTP 429 with Retry-After.
type Extension struct {
	l *Limiter
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = (*Extension)(nil)

// Extension returns the gqlgen extension applying l.
func (l *Limiter) Extension() *Extension { return &Extension{l: l} }

// ExtensionName implements graphql.HandlerExtension.
func (*Extension) ExtensionName() string { return "RateLimit" }

// Validate implements graphql.HandlerExtension.
func (*Extension) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext takes the operation from its key's budget, or
// refuses it with code RateLimitExceeded.
func (e *Extension) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	p := auth.FromContext(ctx)
	if p == nil || opCtx.Operation == nil {
		return nil
	}
	class := Query
	if opCtx.Operation.Operation == ast.Mutation {
		class = Mutation
	}
	ok, wait := e.l.Allow(p.APIKeyID.String(), class)
	if ok {
		return nil
	}
	secs := RetryAfterSeconds(wait)
	if v, _ := ctx.Value(verdictKey{}).(*verdict); v != nil {
		v.retryAfter.Store(int64(secs))
	}
	return &gqlerror.Error{
		Message:    fmt.Sprintf("rate limit exceeded: this API key sends too many %s operations; retry in %d s", class, secs),
		Extensions: map[string]any{"code": string(apperr.RateLimitExceeded), "retryAfter": secs},
	}
}

// verdict is where the extension leaves a refusal for Middleware.
type verdict struct {
	retryAfter atomic.Int64
}

type verdictKey struct{}

// Middleware answers with status 429 and a Retry-After header when the
// Extension refused the request's operation; gqlgen itself would answer
// 200. It must wrap the handler running the Extension.
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := &verdict{}
		sw := &statusWriter{ResponseWriter: w, v: v}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), verdictKey{}, v)))
	})
}

type statusWriter struct {
	http.ResponseWriter
	v     *verdict
	wrote bool
}

func (w *statusWriter) WriteHeader(status int) {
	if !w.wrote {
		w.wrote = true
		if secs := w.v.retryAfter.Load(); secs > 0 {
			w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
			status = http.StatusTooManyRequests
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack hands the connection over (a WebSocket upgrade). WebSocket
// libraries look for http.Hijacker on the writer itself, not through
// Unwrap.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.wrote = true
	}
	return conn, rw, err
}

// Flush passes flushes through for streaming transports.
func (w *statusWriter) Flush() {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
