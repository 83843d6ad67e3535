package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/bench/benchdata"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/graph"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/httpapi"
	"github.com/stigg-selfhost/stiggql/internal/limits"
	"github.com/stigg-selfhost/stiggql/internal/seed"
	"github.com/stigg-selfhost/stiggql/internal/sqlcount"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// Settings of the in-process benchmarks (environment variables):
//
//	BENCH_DB         database to benchmark, already seeded (stiggql seed);
//	                 default: a temporary SQLite file seeded with BENCH_CUSTOMERS
//	BENCH_CUSTOMERS  customers seeded into the temporary database (10000)
//	BENCH_SQL_LOG    print every statement of the first iteration (1)
//	BENCH_WARMUP     untimed requests before each benchmark, as a duration (2s)
const benchKey = "server-bench-in-process"

// Substrings are Q3's search terms, the peer's, wrapped in % for iLike.
var Substrings = []string{"smith", "ANNA", "example.org", "li.w", "son1", "@acme", "Kim4", "zzz"}

// Query returns the text of bench/queries/<name>.graphql.
func Query(tb testing.TB, name string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("queries", name+".graphql"))
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// target is a server under benchmark: the product's whole HTTP handler
// (authentication, limits, gqlgen, resolvers, ent) over a store whose
// driver counts statements.
type target struct {
	store   *db.Store
	counter *sqlcount.Counter
	handler http.Handler
	env     uuid.UUID
	refs    []string
}

var (
	sharedOnce sync.Once
	shared     *target
	sharedErr  error
)

// benchTarget opens (once per process) the database the benchmarks read.
func benchTarget(b *testing.B) *target {
	b.Helper()
	sharedOnce.Do(func() {
		url := os.Getenv("BENCH_DB")
		seedIt := false
		if url == "" {
			dir, err := os.MkdirTemp("", "stiggql-bench-")
			if err != nil {
				sharedErr = err
				return
			}
			url, seedIt = "file:"+filepath.Join(dir, "bench.db"), true
		}
		n := 10000
		if v := os.Getenv("BENCH_CUSTOMERS"); v != "" {
			n, _ = strconv.Atoi(v)
		}
		shared, sharedErr = openTarget(url, seedIt, n)
	})
	if sharedErr != nil {
		b.Fatal(sharedErr)
	}
	return shared
}

func openTarget(url string, seedIt bool, n int) (*target, error) {
	ctx := context.Background()
	// The server's GC settings (server.go, tuneGC), unless the environment
	// sets its own.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(120 << 20)
	}
	c := &sqlcount.Counter{}
	st, err := db.Open(ctx, url, db.WithDriver(c.Wrap))
	if err != nil {
		return nil, err
	}
	if seedIt {
		if _, err := seed.Run(ctx, st.Client, st.DB, st.Dialect, seed.Options{Customers: n, Seed: seed.DefaultSeed}); err != nil {
			return nil, err
		}
	}
	return newTarget(st, c)
}

func newTarget(st *db.Store, c *sqlcount.Counter) (*target, error) {
	ctx := context.Background()
	if _, err := auth.Bootstrap(ctx, st.Client, benchKey); err != nil {
		return nil, err
	}
	p, err := auth.NewAuthenticator(st.Client, clock.System{}).Authenticate(ctx, benchKey)
	if err != nil {
		return nil, err
	}
	env := p.EnvironmentID
	refs, err := st.Client.Customer.Query().Where(customer.EnvironmentID(env), customer.DeletedAtIsNil()).
		Limit(20000).Select(customer.FieldCustomerID).Strings(ctx)
	if err != nil {
		return nil, err
	}
	return &target{store: st, counter: c, handler: handler(st, true), env: env, refs: refs}, nil
}

// uncachedEntitlements is t with the entitlements cache off.
func (t *target) uncachedEntitlements() *target {
	u := *t
	u.handler = handler(t.store, false)
	return &u
}

// handler is the server's HTTP handler over st, with the cross-request
// caches on, the entitlements cache only when entCache.
func handler(st *db.Store, entCache bool) http.Handler {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	res := graph.NewResolver(st.Client, clock.System{}, log)
	res.EnableCaches(st.Dialect)
	res.EnablePipelining(st.Driver) // as serve does
	if !entCache {
		res.Entitlements.DisableCache()
	}
	// The default limits, but a body big enough for Q4's 10 000 customers
	// (about 1.3 MB; the server's default is 1 MiB, --max-body-bytes).
	lim := limits.Default()
	lim.MaxBodyBytes = 16 << 20
	return httpapi.New(httpapi.Options{
		Resolver: res,
		Auth:     auth.NewAuthenticator(st.Client, clock.System{}),
		Log:      log,
		Ready:    st.Ready,
		Limits:   &lim,
	})
}

// body encodes a GraphQL request.
func body(query string, vars map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return b
}

// do serves one request in process and returns the response body.
func do(tb testing.TB, h http.Handler, key string, payload []byte) []byte {
	req := httptest.NewRequest(http.MethodPost, httpapi.GraphQLPath, bytes.NewReader(payload))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set(auth.HeaderName, key)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		tb.Fatalf("status %d: %s", rec.Code, rec.Body.Bytes())
	}
	out := rec.Body.Bytes()
	if bytes.Contains(out, []byte(`"errors"`)) {
		tb.Fatalf("GraphQL errors: %s", out)
	}
	return out
}

// warmUp is how long run sends untimed requests first: BENCH_WARMUP, a
// duration, or 2 s.
var warmUp = func() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("BENCH_WARMUP")); err == nil {
		return d
	}
	return 2 * time.Second
}()

// run benchmarks one query: payloads are used in turn. It reports sql/op
// (statements per request) and B/resp next to the usual ns/op and
// allocs/op.
func (t *target) run(b *testing.B, payloads [][]byte) {
	b.Helper()
	if os.Getenv("BENCH_SQL_LOG") != "" {
		t.counter.Record()
		do(b, t.handler, benchKey, payloads[0])
		for _, q := range t.counter.Stop() {
			fmt.Fprintln(os.Stderr, q.Query)
		}
	}
	// Untimed requests warm the caches (parsed query, API key, catalog,
	// entitlements, database pages): the payloads in turn for warmUp, and
	// each at least once. The page cache matters most: on a machine that
	// keeps little of it, a database that sat idle is read from disk at
	// first (ten times slower).
	for i, start := 0, time.Now(); i < len(payloads) || time.Since(start) < warmUp; i++ {
		do(b, t.handler, benchKey, payloads[i%len(payloads)])
	}
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	before := t.counter.Count()
	cpu := cpuTime()
	size := 0
	for i := 0; b.Loop(); i++ {
		size += len(do(b, t.handler, benchKey, payloads[i%len(payloads)]))
	}
	b.StopTimer()
	n := float64(b.N)
	// CPU time of this process (user+sys) per request: what a request
	// costs here whatever else the machine runs (PostgreSQL's own CPU is
	// not in it).
	b.ReportMetric(float64(cpuTime()-cpu)/n, "cpu-ns/op")
	b.ReportMetric(float64(t.counter.Count()-before)/n, "sql/op")
	b.ReportMetric(float64(size)/n, "B/resp")
}

// cpuTime is the process's user+sys CPU time so far, in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// q1Payloads are Q1 requests over the benchmark's customers.
func (t *target) q1Payloads(tb testing.TB) [][]byte {
	q := Query(tb, "q1")
	out := make([][]byte, 0, 1000)
	for i := 0; i < len(t.refs) && i < 1000; i++ {
		// Spread over the whole set, not the first thousand.
		ref := t.refs[(i*7919)%len(t.refs)]
		out = append(out, body(q, map[string]any{"refId": ref}))
	}
	return out
}

func q3Payloads(tb testing.TB) [][]byte {
	q := Query(tb, "q3")
	out := make([][]byte, len(Substrings))
	for i, s := range Substrings {
		out[i] = body(q, map[string]any{"q": "%" + s + "%"})
	}
	return out
}

// cleanName turns a substring into a sub-benchmark name.
func cleanName(s string) string {
	return strings.NewReplacer("@", "at", ".", "_").Replace(s)
}

// customersWithSubscriptions returns up to limit customerIds of the
// benchmark's environment having exactly n subscriptions.
func (t *target) customersWithSubscriptions(b *testing.B, n, limit int) []string {
	b.Helper()
	refs, err := benchdata.CustomersWithSubscriptions(context.Background(), t.store.DB, t.store.Dialect, t.env, n, limit)
	if err != nil {
		b.Fatal(err)
	}
	return refs
}

// writeTarget is a server over a fresh database of the benchmark database's
// kind, seeded with n customers, for benchmarks that write.
func writeTarget(b *testing.B, n int) *target {
	b.Helper()
	kind := testdb.Postgres
	if benchTarget(b).store.Dialect == dialect.SQLite {
		kind = testdb.SQLite
	}
	backend, ok := testdb.ByName(kind)
	if !ok {
		b.Fatalf("no test database for %s", kind)
	}
	st := backend.Open(b)
	if _, err := seed.Run(context.Background(), st.Client, st.DB, st.Dialect, seed.Options{Customers: n, Seed: seed.DefaultSeed}); err != nil {
		b.Fatal(err)
	}
	c := &sqlcount.Counter{}
	t, err := newTarget(testdb.Reopen(b, st, db.WithDriver(c.Wrap)), c)
	if err != nil {
		b.Fatal(err)
	}
	return t
}
