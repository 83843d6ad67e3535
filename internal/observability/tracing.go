package observability

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"

	"entgo.io/ent/dialect"
	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/stigg-selfhost/stiggql/internal/sqlhook"
)

// ServiceName is the service.name traces carry unless OTEL_SERVICE_NAME
// says otherwise.
const ServiceName = "stiggql"

const instrumentation = "github.com/stigg-selfhost/stiggql"

// Tracing is an OpenTelemetry tracer with its propagator: Observer starts
// the HTTP span with it, Extension the operation and resolver spans,
// WrapDriver the SQL spans.
type Tracing struct {
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator
	shutdown   func(context.Context) error
}

// NewTracing returns a Tracing over provider, propagating W3C trace
// context and baggage. Tests give it an SDK provider with an in-memory
// exporter.
func NewTracing(provider trace.TracerProvider) *Tracing {
	return &Tracing{
		tracer:     provider.Tracer(instrumentation),
		propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
		shutdown:   func(context.Context) error { return nil },
	}
}

// TracingEnabled reports whether the OpenTelemetry environment asks for
// traces: OTEL_TRACES_EXPORTER=otlp, or an OTLP endpoint
// (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) with
// OTEL_TRACES_EXPORTER unset; never with OTEL_SDK_DISABLED=true or
// OTEL_TRACES_EXPORTER=none. Other exporters are not supported.
func TracingEnabled(getenv func(string) string) (bool, error) {
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") {
		return false, nil
	}
	switch exp := strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER"))); exp {
	case "none":
		return false, nil
	case "otlp":
		return true, nil
	case "":
		return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "", nil
	default:
		return false, fmt.Errorf("OTEL_TRACES_EXPORTER=%s is not supported: use otlp (OTLP over HTTP) or none", exp)
	}
}

// SetupTracing starts exporting traces with OTLP over HTTP when the
// environment asks for it (see TracingEnabled) and returns nil otherwise.
// The exporter reads the standard OTEL_EXPORTER_OTLP_* variables (endpoint,
// headers, timeout, TLS), the SDK reads OTEL_TRACES_SAMPLER[_ARG], and the
// resource OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES. The returned
// Tracing is also installed as the global provider and propagator.
func SetupTracing(ctx context.Context) (*Tracing, error) {
	on, err := TracingEnabled(os.Getenv)
	if err != nil || !on {
		return nil, err
	}
	proto := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if proto == "" {
		proto = os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	if proto != "" && proto != "http/protobuf" {
		return nil, fmt.Errorf("OTLP protocol %s is not supported: only http/protobuf", proto)
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", ServiceName)),
		resource.WithFromEnv(),
		resource.WithTelemetrySDK(),
	)
	if err != nil && res == nil {
		return nil, fmt.Errorf("tracing resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	t := NewTracing(tp)
	t.shutdown = tp.Shutdown
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(t.propagator)
	return t, nil
}

// Shutdown flushes the spans not yet exported. It is safe on nil.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.shutdown(ctx)
}

// Extension returns the gqlgen extension making a span for each operation
// and for each resolver that is a method or a resolver function (fields
// read from a struct would only add noise).
func (t *Tracing) Extension() graphql.HandlerExtension { return tracingExtension{t} }

type tracingExtension struct{ t *Tracing }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
	graphql.FieldInterceptor
} = tracingExtension{}

func (tracingExtension) ExtensionName() string                   { return "OpenTelemetry" }
func (tracingExtension) Validate(graphql.ExecutableSchema) error { return nil }

func (e tracingExtension) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	opCtx := graphql.GetOperationContext(ctx)
	name, opType := "", ""
	if opCtx.Operation != nil {
		name, opType = opCtx.Operation.Name, string(opCtx.Operation.Operation)
	}
	spanName := strings.TrimSpace("graphql " + opType + " " + name)
	ctx, span := e.t.tracer.Start(ctx, spanName, trace.WithAttributes(
		attribute.String("graphql.operation.name", name),
		attribute.String("graphql.operation.type", opType),
	))
	handler := next(ctx)
	return func(ctx context.Context) *graphql.Response {
		resp := handler(ctx)
		if resp == nil {
			span.End()
			return nil
		}
		if len(resp.Errors) > 0 {
			span.SetStatus(codes.Error, resp.Errors[0].Message)
			span.SetAttributes(attribute.Int("graphql.errors", len(resp.Errors)))
		}
		span.End()
		return resp
	}
}

func (e tracingExtension) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !(fc.IsResolver || fc.IsMethod) {
		return next(ctx)
	}
	ctx, span := e.t.tracer.Start(ctx, fc.Object+"."+fc.Field.Name, trace.WithAttributes(
		attribute.String("graphql.field.path", fc.Path().String()),
	))
	defer span.End()
	res, err := next(ctx)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
	}
	return res, err
}

// WrapDriver returns d with a client span around every statement and
// transaction end. The spans carry the statement text (its parameters are
// placeholders, so no values), never the arguments.
func (t *Tracing) WrapDriver(d dialect.Driver) dialect.Driver {
	system := d.Dialect()
	switch system {
	case dialect.SQLite:
		system = "sqlite"
	case dialect.Postgres:
		system = "postgresql"
	}
	start := func(ctx context.Context, query string) (context.Context, trace.Span) {
		op, _, _ := strings.Cut(strings.TrimSpace(query), " ")
		return t.tracer.Start(ctx, strings.ToUpper(op), trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
			attribute.String("db.system.name", system),
			attribute.String("db.query.text", query),
		))
	}
	return sqlhook.Wrap(d, sqlhook.Hooks{
		Statement: func(ctx context.Context, query string, _ any) (context.Context, func(error)) {
			ctx, span := start(ctx, query)
			return ctx, func(err error) { end(span, err) }
		},
		TxEnd: func(ctx context.Context, op string) func(error) {
			_, span := start(ctx, op)
			return func(err error) { end(span, err) }
		},
	})
}

func end(span trace.Span, err error) {
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
