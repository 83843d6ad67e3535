// Package observability reports what the server does: one structured access
// log line per GraphQL request, Prometheus metrics, and OpenTelemetry
// traces (HTTP request, GraphQL operation, resolvers and SQL statements)
// when an OTLP endpoint is configured.
//
// Middleware wraps the GraphQL endpoint and reports each request when it
// ends; the inner layers tell it what they learnt through the request's
// reqinfo.Info: Recorder (a gqlgen extension) records the operations and
// the error codes of the responses, and HTTP layers that refuse a request
// record their code with reqinfo.WriteError.
package observability

import (
	"bufio"
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/stigg-selfhost/stiggql/internal/reqinfo"
	"github.com/stigg-selfhost/stiggql/internal/requestid"
)

// Observer reports requests. Every field is optional.
type Observer struct {
	// Log receives the access log lines; none are written when nil.
	Log *slog.Logger
	// Metrics records request metrics.
	Metrics *Metrics
	// Tracing, when set, starts a server span per request, continuing the
	// trace of an incoming traceparent header.
	Tracing *Tracing
	// Now is the clock for durations; time.Now when nil.
	Now func() time.Time
}

// Middleware reports every request through next when it ends.
func (o *Observer) Middleware(next http.Handler) http.Handler {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := now()
		ctx, info := reqinfo.With(r.Context())
		var span trace.Span
		if o.Tracing != nil {
			ctx = o.Tracing.propagator.Extract(ctx, propagation.HeaderCarrier(r.Header))
			ctx, span = o.Tracing.tracer.Start(ctx, r.Method+" "+r.URL.Path,
				trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(
					attribute.String("http.request.method", r.Method),
					attribute.String("url.path", r.URL.Path),
					attribute.String("request.id", requestid.From(ctx)),
				))
		}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(ctx))
		elapsed := now().Sub(start)
		rep := report(r, info, sw.statusCode())

		if span != nil {
			span.SetAttributes(attribute.Int("http.response.status_code", rep.status))
			if rep.name != "" {
				span.SetAttributes(attribute.String("graphql.operation.name", rep.name))
			}
			if rep.status >= 500 {
				span.SetStatus(codes.Error, http.StatusText(rep.status))
			}
			span.End()
		}
		o.Metrics.Observe(rep.metricName, rep.opType, rep.status, elapsed, rep.codes)
		if o.Log != nil {
			level := slog.LevelInfo
			if rep.status >= 500 {
				level = slog.LevelError
			}
			attrs := []slog.Attr{
				slog.String("request_id", requestid.From(ctx)),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("operation", rep.name),
				slog.String("operation_type", rep.opType),
				slog.Int("status", rep.status),
				slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
				slog.Int64("bytes", sw.bytes),
				slog.String("api_key_id", rep.apiKeyID),
				slog.String("environment_id", rep.environmentID),
				slog.Any("error_codes", nonNil(rep.codes)),
			}
			if rep.batch > 1 {
				attrs = append(attrs, slog.Int("batch", rep.batch))
			}
			o.Log.LogAttrs(context.WithoutCancel(ctx), level, "request", attrs...)
		}
	})
}

// requestReport is what is reported of one request.
type requestReport struct {
	name, metricName, opType string
	apiKeyID, environmentID  string
	status, batch            int
	codes                    []string
}

func report(r *http.Request, info *reqinfo.Info, status int) requestReport {
	rep := requestReport{status: status, codes: info.Codes()}
	rep.apiKeyID, rep.environmentID = info.Principal()
	header := r.Header.Get(reqinfo.OperationNameHeader)
	ops := info.Operations()
	rep.batch = len(ops)
	names := make([]string, 0, len(ops))
	types := make([]string, 0, len(ops))
	for _, op := range ops {
		names = append(names, OperationName(op, header))
		types = append(types, op.Type)
	}
	switch len(ops) {
	case 0:
		rep.name = truncate(header, 200)
	case 1:
		rep.name, rep.opType = names[0], types[0]
	default:
		for i, n := range names {
			if n == "" {
				names[i] = AnonymousOperation
			}
		}
		rep.name = truncate(strings.Join(names, ","), 1000)
		rep.opType = commonOrMixed(types)
	}

	switch {
	case rep.apiKeyID == "" && (status == http.StatusUnauthorized || status == http.StatusServiceUnavailable):
		rep.metricName = UnauthenticatedOperation
	case len(ops) > 1:
		rep.metricName = BatchOperation
	case rep.name == "":
		rep.metricName = AnonymousOperation
	default:
		rep.metricName = rep.name
	}
	return rep
}

// OperationName names an operation as the access log and metrics do: the
// request's operationName, else the name the client sent in the
// X-GraphQL-Operation-Name header, else the operation's name in the
// document.
func OperationName(op reqinfo.Operation, header string) string {
	switch {
	case op.RequestName != "":
		return op.RequestName
	case header != "":
		return header
	}
	return op.DocumentName
}

func commonOrMixed(types []string) string {
	for _, t := range types[1:] {
		if t != types[0] {
			return "mixed"
		}
	}
	return types[0]
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// statusWriter remembers the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) statusCode() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack hands the connection over (a WebSocket upgrade); the request is
// then reported with status 101 Switching Protocols when it ends. WebSocket
// libraries look for http.Hijacker on the writer itself, not through
// Unwrap.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil && w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return conn, rw, err
}

// Flush passes flushes through for streaming transports.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Recorder is the gqlgen extension that tells Middleware about each
// operation (its names and type) and the error codes of each response.
// Register it before extensions that may refuse an operation, so that a
// refused operation is still named in the log.
type Recorder struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
	graphql.ResponseInterceptor
} = Recorder{}

const recorderIndex = "observability.operation"

// ExtensionName implements graphql.HandlerExtension.
func (Recorder) ExtensionName() string { return "Observability" }

// Validate implements graphql.HandlerExtension.
func (Recorder) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters records the operation as the request names it,
// before it is parsed (so that unparsable ones are counted too).
func (Recorder) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	idx := reqinfo.From(ctx).StartOperation(p.OperationName)
	if opCtx := graphql.GetOperationContext(ctx); opCtx != nil && idx >= 0 {
		opCtx.Stats.SetExtension(recorderIndex, idx)
	}
	return nil
}

// MutateOperationContext completes the record with the parsed operation.
func (Recorder) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	idx, ok := opCtx.Stats.GetExtension(recorderIndex).(int)
	if !ok || opCtx.Operation == nil {
		return nil
	}
	reqinfo.From(ctx).SetOperation(idx, opCtx.Operation.Name, string(opCtx.Operation.Operation))
	return nil
}

// InterceptResponse records the codes of the response's errors.
func (Recorder) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil || len(resp.Errors) == 0 {
		return resp
	}
	info := reqinfo.From(ctx)
	for _, e := range resp.Errors {
		code, _ := e.Extensions["code"].(string)
		if code == "" {
			code = "unknown"
		}
		info.AddCodes(code)
	}
	return resp
}
