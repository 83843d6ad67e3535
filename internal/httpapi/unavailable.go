package httpapi

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"

	"github.com/stigg-selfhost/stiggql/internal/apperr"
)

// RetryAfterSeconds is the Retry-After of a 503 ServiceUnavailable answer.
const RetryAfterSeconds = "5"

type unavailableKey struct{}

// answerUnavailable makes a GraphQL response holding a ServiceUnavailable
// error (the database unreachable or its disk full, see db.Unavailable) an
// HTTP 503 with Retry-After instead of a 200, so that clients and load
// balancers can tell a temporary outage from a bug.
func answerUnavailable(gql *handler.Server, next http.Handler) http.Handler {
	gql.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		if resp != nil {
			for _, e := range resp.Errors {
				if e.Extensions["code"] == string(apperr.ServiceUnavailable) {
					if flag, ok := ctx.Value(unavailableKey{}).(*atomic.Bool); ok {
						flag.Store(true)
					}
					break
				}
			}
		}
		return resp
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		flag := &atomic.Bool{}
		uw := &unavailableWriter{ResponseWriter: w, flag: flag}
		next.ServeHTTP(uw, r.WithContext(context.WithValue(r.Context(), unavailableKey{}, flag)))
	})
}

type unavailableWriter struct {
	http.ResponseWriter
	flag    *atomic.Bool
	written bool
}

func (w *unavailableWriter) WriteHeader(status int) {
	if w.written {
		return
	}
	w.written = true
	if status == http.StatusOK && w.flag.Load() {
		w.Header().Set("Retry-After", RetryAfterSeconds)
		status = http.StatusServiceUnavailable
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *unavailableWriter) Write(b []byte) (int, error) {
	if !w.written {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes on flushes (streamed responses).
func (w *unavailableWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer
// (WebSocket upgrades hijack it).
func (w *unavailableWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack passes WebSocket upgrades on.
func (w *unavailableWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("hijacking is not supported")
	}
	return h.Hijack()
}
