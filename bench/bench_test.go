// Package bench holds the performance benchmarks of the GraphQL server:
// the in-process Go benchmarks below (go test -bench . ./bench), the query
// texts wrk sends over HTTP (queries/), a minimal hand-written baseline
// server (baseline/) and the load script and report (scripts/bench.sh,
// docs/performance.md).
package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/httpapi"
	"github.com/stigg-selfhost/stiggql/internal/sqlcount"
)

// BenchmarkQ1 is one customer by customerId with its subscriptions and
// promotional entitlements.
func BenchmarkQ1(b *testing.B) {
	t := benchTarget(b)
	t.run(b, t.q1Payloads(b))
}

// BenchmarkQ2 is the 50 newest customers with totalCount, pageInfo and
// three nested lists each.
func BenchmarkQ2(b *testing.B) {
	t := benchTarget(b)
	t.run(b, [][]byte{body(Query(b, "q2"), nil)})
}

// BenchmarkQ3 is the case-insensitive email substring search, first 20
// newest with totalCount: all terms in turn, then each term alone.
func BenchmarkQ3(b *testing.B) {
	t := benchTarget(b)
	all := q3Payloads(b)
	b.Run("mix", func(b *testing.B) { t.run(b, all) })
	for i, s := range Substrings {
		b.Run(cleanName(s), func(b *testing.B) { t.run(b, all[i:i+1]) })
	}
}

// BenchmarkQ4 is the official Stigg client's whole GetCustomerById
// document (testdata/stigg-client, sent verbatim) for customers with two
// subscriptions each, in turn.
func BenchmarkQ4(b *testing.B) {
	t := benchTarget(b)
	doc, err := os.ReadFile(filepath.Join("..", "testdata", "stigg-client", "GetCustomerById.graphql"))
	if err != nil {
		b.Fatal(err)
	}
	refs := t.customersWithSubscriptions(b, 2, 1000)
	payloads := make([][]byte, len(refs))
	for i, ref := range refs {
		payloads[i] = body(string(doc), map[string]any{"input": map[string]any{"customerId": ref}})
	}
	t.run(b, payloads)
}

// BenchmarkE1 is the entitlement check: the server SDK's GetEntitlements
// document (@stigg/node-server-sdk 3.95.0, as the edge API serves it:
// internal/httpapi/edge/GetEntitlements.graphql) for one customer, the
// customers with one subscription in turn, through the entitlements cache
// (cached) and with it off (uncached: every request computes).
func BenchmarkE1(b *testing.B) {
	t := benchTarget(b)
	raw, err := httpapi.EdgeDocuments.ReadFile("edge/GetEntitlements.graphql")
	if err != nil {
		b.Fatal(err)
	}
	doc := string(raw)
	refs := t.customersWithSubscriptions(b, 1, 1000)
	payloads := make([][]byte, len(refs))
	for i, ref := range refs {
		payloads[i] = body(doc, map[string]any{"query": map[string]any{"customerId": ref}})
	}
	b.Run("cached", func(b *testing.B) { t.run(b, payloads) })
	u := t.uncachedEntitlements()
	b.Run("uncached", func(b *testing.B) { u.run(b, payloads) })
}

// BenchmarkW1 is the write path: provisionCustomer of a new customer, and
// updateOneCustomer of an existing one, each one request at a time and with
// 32 requests in flight (its ns/op is the inverse of the throughput). It
// writes into a fresh database of the benchmark's kind (SQLite, or a
// PostgreSQL schema of its own) seeded with 10 000 customers, so the seeded
// benchmark database is left as it was.
func BenchmarkW1(b *testing.B) {
	t := writeTarget(b, 10000)
	provision, update := Query(b, "w1-provision"), Query(b, "w1-update")
	prefix := "w1-"
	var seq atomic.Int64
	provisionPayload := func() []byte {
		n := seq.Add(1)
		return body(provision, map[string]any{"input": map[string]any{
			"customerId": fmt.Sprintf("%s%d", prefix, n), "name": fmt.Sprintf("W1 %d", n), "email": fmt.Sprintf("%s%d@example.org", prefix, n)}})
	}
	// The customers updated: a thousand provisioned first, untimed.
	const updated = 1000
	for range updated {
		do(b, t.handler, benchKey, provisionPayload())
	}
	updatePayload := func() []byte {
		n := seq.Add(1)
		return body(update, map[string]any{"input": map[string]any{
			"customerId": fmt.Sprintf("%s%d", prefix, 1+n%updated), "name": fmt.Sprintf("Updated %d", n)}})
	}
	for _, w := range []struct {
		name    string
		payload func() []byte
	}{{"provisionCustomer", provisionPayload}, {"updateOneCustomer", updatePayload}} {
		b.Run(w.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				do(b, t.handler, benchKey, w.payload())
			}
		})
		b.Run(w.name+"/parallel32", func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(16) // 16 per core, 32 in all on two cores
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					do(b, t.handler, benchKey, w.payload())
				}
			})
		})
	}
}

// BenchmarkW2 is importCustomersBulk of 10 000 customers into a fresh
// SQLite database (one import per iteration, each with new customerIds).
func BenchmarkW2(b *testing.B) {
	ctx := context.Background()
	c := &sqlcount.Counter{}
	st, err := db.Open(ctx, "file:"+filepath.Join(b.TempDir(), "w2.db"), db.WithDriver(c.Wrap))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	t, err := newTarget(st, c)
	if err != nil {
		b.Fatal(err)
	}
	const n = 10000
	doc := Query(b, "w2-import")
	payload := func(iter int) []byte {
		customers := make([]map[string]any, n)
		for i := range customers {
			customers[i] = map[string]any{
				"customerId": fmt.Sprintf("import-%d-%06d", iter, i),
				"name":       fmt.Sprintf("Imported %d", i),
				"email":      fmt.Sprintf("imported.%d.%d@example.org", iter, i),
				"billingId":  fmt.Sprintf("cus_%d_%d", iter, i),
			}
		}
		return body(doc, map[string]any{"input": map[string]any{"customers": customers}})
	}
	payloads := make([][]byte, 0, 8)
	for i := 0; i < 8; i++ {
		payloads = append(payloads, payload(i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	before := c.Count()
	i := 0
	for b.Loop() {
		if i == len(payloads) {
			b.StopTimer()
			payloads = append(payloads, payload(i))
			b.StartTimer()
		}
		do(b, t.handler, benchKey, payloads[i])
		i++
	}
	b.ReportMetric(float64(c.Count()-before)/float64(b.N), "sql/op")
	if os.Getenv("BENCH_SQL_LOG") != "" {
		fmt.Fprintln(os.Stderr, "imported", i*n, "customers")
	}
}
