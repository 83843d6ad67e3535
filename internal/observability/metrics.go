package observability

import (
	"database/sql"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Label bounds: Prometheus keeps one series per label value, so values
// that clients choose are truncated and capped.
const (
	// MaxOperationLabel is the longest operation label, in characters.
	MaxOperationLabel = 64
	// MaxOperationNames is how many distinct operation names get a label
	// of their own; later ones are counted as OtherOperation.
	MaxOperationNames = 200
	// MaxErrorCodes caps the distinct code label values likewise.
	MaxErrorCodes = 100

	// OtherOperation labels operations past MaxOperationNames.
	OtherOperation = "other"
	// AnonymousOperation labels operations without a name.
	AnonymousOperation = "anonymous"
	// UnauthenticatedOperation labels requests refused before they were
	// authenticated, whose names are not worth a series.
	UnauthenticatedOperation = "unauthenticated"
	// BatchOperation labels batched requests of several operations.
	BatchOperation = "batch"
)

// Metrics are the server's Prometheus metrics, in a registry of their own
// (with the Go runtime and process collectors) served by Handler.
type Metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	errors   *prometheus.CounterVec

	operations *boundedSet
	codes      *boundedSet

	mu            sync.Mutex
	dbStats       func() sql.DBStats
	outboxDepth   func() float64
	sqlStatements func() int64
	sqlRoundTrips func() int64
}

// NewMetrics registers the metrics in a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stiggql_requests_total",
			Help: "GraphQL HTTP requests by operation name, operation type and HTTP status.",
		}, []string{"operation", "type", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "stiggql_request_duration_seconds",
			Help:    "Time to answer a GraphQL HTTP request, by operation name.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"operation"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "stiggql_errors_total",
			Help: "Errors in GraphQL responses, by extensions.code.",
		}, []string{"code"}),
		operations: newBoundedSet(MaxOperationNames),
		codes:      newBoundedSet(MaxErrorCodes),
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.duration, m.errors,
		gaugeCollector{m},
	)
	return m
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Registry is where the metrics live, for callers adding their own.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// SetDBStats makes the connection pool gauges read stats at every scrape
// (typically (*sql.DB).Stats); nil removes them.
func (m *Metrics) SetDBStats(stats func() sql.DBStats) {
	m.mu.Lock()
	m.dbStats = stats
	m.mu.Unlock()
}

// SetSQLStatements makes stiggql_sql_statements_total read count, and
// stiggql_sql_round_trips_total read roundTrips, at every scrape (a
// sqlcount.Counter wrapping the store's driver): statements per request,
// the cost that an N+1 or a missing batch shows up in first, and the round
// trips they took (fewer where statements were sent together,
// internal/sqlbatch).
func (m *Metrics) SetSQLStatements(count, roundTrips func() int64) {
	m.mu.Lock()
	m.sqlStatements, m.sqlRoundTrips = count, roundTrips
	m.mu.Unlock()
}

// SetOutboxDepth makes stiggql_outbox_depth read depth at every scrape: the
// hook for the billing sync's queue of pending events. Until it is set
// (or after it is set to nil) the gauge is absent.
func (m *Metrics) SetOutboxDepth(depth func() float64) {
	m.mu.Lock()
	m.outboxDepth = depth
	m.mu.Unlock()
}

// Observe records one finished request.
func (m *Metrics) Observe(operation, opType string, status int, d time.Duration, codes []string) {
	if m == nil {
		return
	}
	op := m.operations.label(operation, OtherOperation)
	if opType == "" {
		opType = "unknown"
	}
	m.requests.WithLabelValues(op, opType, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(op).Observe(d.Seconds())
	for _, c := range codes {
		m.errors.WithLabelValues(m.codes.label(c, OtherOperation)).Inc()
	}
}

// boundedSet admits the first max distinct values; others get a fallback.
type boundedSet struct {
	mu   sync.Mutex
	max  int
	seen map[string]struct{}
}

func newBoundedSet(max int) *boundedSet {
	return &boundedSet{max: max, seen: map[string]struct{}{}}
}

func (s *boundedSet) label(v, other string) string {
	v = truncate(v, MaxOperationLabel)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen[v]; ok {
		return v
	}
	if len(s.seen) >= s.max {
		return other
	}
	s.seen[v] = struct{}{}
	return v
}

// truncate cuts s to at most n characters, keeping it valid UTF-8.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i, count := 0, 0
	for i < len(s) && count < n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		count++
	}
	return s[:i]
}

var (
	descDBOpen = prometheus.NewDesc("stiggql_db_open_connections",
		"Connections to the database, in use or idle.", nil, nil)
	descDBInUse = prometheus.NewDesc("stiggql_db_in_use_connections",
		"Connections to the database running a statement or transaction.", nil, nil)
	descDBIdle = prometheus.NewDesc("stiggql_db_idle_connections",
		"Idle connections to the database.", nil, nil)
	descDBMaxOpen = prometheus.NewDesc("stiggql_db_max_open_connections",
		"Most connections the pool opens (0: unlimited).", nil, nil)
	descDBWaitCount = prometheus.NewDesc("stiggql_db_wait_count_total",
		"Times a request waited for a free database connection.", nil, nil)
	descDBWaitDuration = prometheus.NewDesc("stiggql_db_wait_duration_seconds_total",
		"Time spent waiting for a free database connection.", nil, nil)
	descOutboxDepth = prometheus.NewDesc("stiggql_outbox_depth",
		"Events waiting in the billing sync's outbox.", nil, nil)
	descSQLStatements = prometheus.NewDesc("stiggql_sql_statements_total",
		"SQL statements sent to the database by the API (not by migrations or the billing worker's own pool).", nil, nil)
	descSQLRoundTrips = prometheus.NewDesc("stiggql_sql_round_trips_total",
		"Round trips to the database those statements took (statements sent in one batch share one).", nil, nil)
)

// gaugeCollector reads the pool and outbox hooks at scrape time.
type gaugeCollector struct{ m *Metrics }

func (c gaugeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descDBOpen, descDBInUse, descDBIdle, descDBMaxOpen, descDBWaitCount, descDBWaitDuration, descOutboxDepth, descSQLStatements, descSQLRoundTrips} {
		ch <- d
	}
}

func (c gaugeCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	stats, depth, statements, roundTrips := c.m.dbStats, c.m.outboxDepth, c.m.sqlStatements, c.m.sqlRoundTrips
	c.m.mu.Unlock()
	if statements != nil {
		ch <- prometheus.MustNewConstMetric(descSQLStatements, prometheus.CounterValue, float64(statements()))
	}
	if roundTrips != nil {
		ch <- prometheus.MustNewConstMetric(descSQLRoundTrips, prometheus.CounterValue, float64(roundTrips()))
	}
	if stats != nil {
		s := stats()
		ch <- prometheus.MustNewConstMetric(descDBOpen, prometheus.GaugeValue, float64(s.OpenConnections))
		ch <- prometheus.MustNewConstMetric(descDBInUse, prometheus.GaugeValue, float64(s.InUse))
		ch <- prometheus.MustNewConstMetric(descDBIdle, prometheus.GaugeValue, float64(s.Idle))
		ch <- prometheus.MustNewConstMetric(descDBMaxOpen, prometheus.GaugeValue, float64(s.MaxOpenConnections))
		ch <- prometheus.MustNewConstMetric(descDBWaitCount, prometheus.CounterValue, float64(s.WaitCount))
		ch <- prometheus.MustNewConstMetric(descDBWaitDuration, prometheus.CounterValue, s.WaitDuration.Seconds())
	}
	if depth != nil {
		ch <- prometheus.MustNewConstMetric(descOutboxDepth, prometheus.GaugeValue, depth())
	}
}
