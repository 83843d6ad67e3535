package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

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
	queryRate     string
	queryBurst    int
	mutationRate  string
	mutationBurst int
	metrics       bool

	// envErrs are malformed environment values, reported after parsing.
	envErrs []string
}

func (f *opsFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&f.limits.MaxDepth, "max-depth", f.envInt("MAX_QUERY_DEPTH", limits.DefaultMaxDepth),
		"deepest field nesting of an operation; 0 for no limit [env MAX_QUERY_DEPTH]")
	fs.IntVar(&f.limits.MaxComplexity, "max-complexity", f.envInt("MAX_QUERY_COMPLEXITY", limits.DefaultMaxComplexity),
		"highest estimated complexity of an operation (about the number of values it may return); 0 for no limit [env MAX_QUERY_COMPLEXITY]")
	fs.IntVar(&f.limits.MaxAliases, "max-aliases", f.envInt("MAX_QUERY_ALIASES", limits.DefaultMaxAliases),
		"most aliased fields in an operation; 0 for no limit [env MAX_QUERY_ALIASES]")
	fs.IntVar(&f.limits.MaxTokens, "max-tokens", f.envInt("MAX_QUERY_TOKENS", limits.DefaultMaxTokens),
		"most tokens in a GraphQL document, counted before it is parsed; 0 for no limit [env MAX_QUERY_TOKENS]")
	fs.IntVar(&f.limits.MaxFieldOverlaps, "max-field-overlaps", f.envInt("MAX_QUERY_FIELD_OVERLAPS", limits.DefaultMaxFieldOverlaps),
		"most comparisons of same-named fields validating a document may take; 0 for no limit [env MAX_QUERY_FIELD_OVERLAPS]")
	fs.IntVar(&f.limits.MaxBatchOperations, "max-batch", f.envInt("MAX_BATCH_OPERATIONS", limits.DefaultMaxBatchOperations),
		"most operations in a batched request (a JSON array); 0 refuses batched requests [env MAX_BATCH_OPERATIONS]")
	fs.Int64Var(&f.limits.MaxBodyBytes, "max-body-bytes", int64(f.envInt("MAX_BODY_BYTES", limits.DefaultMaxBodyBytes)),
		"largest request body in bytes; 0 for no limit [env MAX_BODY_BYTES]")
	fs.DurationVar(&f.limits.Timeout, "request-timeout", f.envDuration("REQUEST_TIMEOUT", limits.DefaultTimeout),
		"time a GraphQL request may take before its database work is cancelled; 0 for none [env REQUEST_TIMEOUT]")
	fs.StringVar(&f.queryRate, "rate-limit-query", envOr("RATE_LIMIT_QUERY", "5000/s"),
		"queries per API key, as N/s, N/m or N/h; 0 for no limit [env RATE_LIMIT_QUERY]")
	fs.IntVar(&f.queryBurst, "rate-limit-query-burst", f.envInt("RATE_LIMIT_QUERY_BURST", 10000),
		"queries an API key may send at once above the rate [env RATE_LIMIT_QUERY_BURST]")
	fs.StringVar(&f.mutationRate, "rate-limit-mutation", envOr("RATE_LIMIT_MUTATION", "1000/s"),
		"mutations per API key, as N/s, N/m or N/h; 0 for no limit [env RATE_LIMIT_MUTATION]")
	fs.IntVar(&f.mutationBurst, "rate-limit-mutation-burst", f.envInt("RATE_LIMIT_MUTATION_BURST", 2000),
		"mutations an API key may send at once above the rate [env RATE_LIMIT_MUTATION_BURST]")
	fs.BoolVar(&f.metrics, "metrics", f.envBool("METRICS", true),
		"serve Prometheus metrics at "+httpapi.MetricsPath+" [env METRICS]")
}

// rateLimit returns the rate limits the flags ask for, or the first
// malformed flag or environment value.
func (f *opsFlags) rateLimit() (ratelimit.Config, error) {
	if len(f.envErrs) > 0 {
		return ratelimit.Config{}, fmt.Errorf("invalid environment: %s", strings.Join(f.envErrs, "; "))
	}
	q, err := ratelimit.ParseRule(f.queryRate, f.queryBurst)
	if err != nil {
		return ratelimit.Config{}, fmt.Errorf("-rate-limit-query: %w", err)
	}
	m, err := ratelimit.ParseRule(f.mutationRate, f.mutationBurst)
	if err != nil {
		return ratelimit.Config{}, fmt.Errorf("-rate-limit-mutation: %w", err)
	}
	return ratelimit.Config{Query: q, Mutation: m}, nil
}

// newMetrics returns the metrics when enabled, else nil.
func (f *opsFlags) newMetrics() *observability.Metrics {
	if !f.metrics {
		return nil
	}
	return observability.NewMetrics()
}

// envInt, envDuration and envBool are envOr for typed flags: a malformed
// value is remembered and reported instead of silently ignored.
func (f *opsFlags) envInt(name string, def int) int {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		f.envErrs = append(f.envErrs, fmt.Sprintf("%s=%q is not an integer", name, v))
		return def
	}
	return n
}

func (f *opsFlags) envDuration(name string, def time.Duration) time.Duration {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return def
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil {
		f.envErrs = append(f.envErrs, fmt.Sprintf("%s=%q is not a duration like 30s", name, v))
		return def
	}
	return d
}

func (f *opsFlags) envBool(name string, def bool) bool {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return def
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		f.envErrs = append(f.envErrs, fmt.Sprintf("%s=%q is not true or false", name, v))
		return def
	}
	return b
}

// shutdownTracing flushes the spans still buffered, for at most 5 s.
func shutdownTracing(t *observability.Tracing, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := t.Shutdown(ctx); err != nil {
		log.Warn("flushing traces failed", "error", err.Error())
	}
}
