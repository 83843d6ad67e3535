package cli

import (
	"fmt"

	"github.com/stigg-selfhost/stiggql/internal/httpapi"
	"github.com/stigg-selfhost/stiggql/internal/limits"
	"github.com/stigg-selfhost/stiggql/internal/observability"
	"github.com/stigg-selfhost/stiggql/internal/ratelimit"
)

// opsFlags are the serve flags that bound and report requests: query
// limits, rate limits and metrics. Tracing has no flag: it follows the
// standard OTEL_* environment variables (see observability.SetupTracing).
type opsFlags struct {
	limits        limits.Config
	queryRate     *string
	queryBurst    *int
	mutationRate  *string
	mutationBurst *int
	metrics       *bool
}

func (o *opsFlags) register(f *flagSet) {
	f.fs.IntVar(&o.limits.MaxDepth, "max-depth", limits.DefaultMaxDepth,
		"deepest field nesting of an operation; 0 for no limit")
	f.bind("max-depth", "MAX_QUERY_DEPTH")
	f.fs.IntVar(&o.limits.MaxComplexity, "max-complexity", limits.DefaultMaxComplexity,
		"highest estimated complexity of an operation (about the number of values it may return); 0 for no limit")
	f.bind("max-complexity", "MAX_QUERY_COMPLEXITY")
	f.fs.IntVar(&o.limits.MaxAliases, "max-aliases", limits.DefaultMaxAliases,
		"most aliased fields in an operation; 0 for no limit")
	f.bind("max-aliases", "MAX_QUERY_ALIASES")
	f.fs.IntVar(&o.limits.MaxTokens, "max-tokens", limits.DefaultMaxTokens,
		"most tokens in a GraphQL document, counted before it is parsed; 0 for no limit")
	f.bind("max-tokens", "MAX_QUERY_TOKENS")
	f.fs.IntVar(&o.limits.MaxFieldOverlaps, "max-field-overlaps", limits.DefaultMaxFieldOverlaps,
		"most comparisons of same-named fields validating a document may take; 0 for no limit")
	f.bind("max-field-overlaps", "MAX_QUERY_FIELD_OVERLAPS")
	f.fs.IntVar(&o.limits.MaxBatchOperations, "max-batch", limits.DefaultMaxBatchOperations,
		"most operations in a batched request (a JSON array); 0 refuses batched requests")
	f.bind("max-batch", "MAX_BATCH_OPERATIONS")
	f.fs.Int64Var(&o.limits.MaxBodyBytes, "max-body-bytes", limits.DefaultMaxBodyBytes,
		"largest request body in bytes; 0 for no limit")
	f.bind("max-body-bytes", "MAX_BODY_BYTES")
	f.fs.DurationVar(&o.limits.Timeout, "request-timeout", limits.DefaultTimeout,
		"time a GraphQL request may take before its database work is cancelled; 0 for none")
	f.bind("request-timeout", "REQUEST_TIMEOUT")
	o.queryRate = f.String("rate-limit-query", "RATE_LIMIT_QUERY", "5000/s",
		"queries per API key, as N/s, N/m or N/h; 0 for no limit")
	o.queryBurst = f.Int("rate-limit-query-burst", "RATE_LIMIT_QUERY_BURST", 10000,
		"queries an API key may send at once above the rate")
	o.mutationRate = f.String("rate-limit-mutation", "RATE_LIMIT_MUTATION", "1000/s",
		"mutations per API key, as N/s, N/m or N/h; 0 for no limit")
	o.mutationBurst = f.Int("rate-limit-mutation-burst", "RATE_LIMIT_MUTATION_BURST", 2000,
		"mutations an API key may send at once above the rate")
	o.metrics = f.Bool("metrics", "METRICS", true,
		"serve Prometheus metrics at "+httpapi.MetricsPath)
}

// rateLimit returns the rate limits the flags ask for, or the first
// malformed one.
func (o *opsFlags) rateLimit() (ratelimit.Config, error) {
	q, err := ratelimit.ParseRule(*o.queryRate, *o.queryBurst)
	if err != nil {
		return ratelimit.Config{}, fmt.Errorf("--rate-limit-query: %w", err)
	}
	m, err := ratelimit.ParseRule(*o.mutationRate, *o.mutationBurst)
	if err != nil {
		return ratelimit.Config{}, fmt.Errorf("--rate-limit-mutation: %w", err)
	}
	return ratelimit.Config{Query: q, Mutation: m}, nil
}

// newMetrics returns the metrics when enabled, else nil.
func (o *opsFlags) newMetrics() *observability.Metrics {
	if !*o.metrics {
		return nil
	}
	return observability.NewMetrics()
}
