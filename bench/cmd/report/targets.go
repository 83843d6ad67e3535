package main

// The targets table of the report, from rows.tsv and the Go benchmarks.

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

type target struct {
	what, want, got, verdict string
}

func (r *results) targets() []target {
	n := r.meta["n"]
	var out []target
	ratio := func(query, backend, against string, want float64) {
		var got []float64
		for _, rd := range r.rounds() {
			ours := r.find(rd, "server", backend, n, query)
			var other row
			if against == "peer" {
				other = r.peerRow(rd, query)
			} else {
				other = r.find(rd, "baseline", backend, n, query)
			}
			if ours != nil && other != nil {
				got = append(got, ours.f("rps")/other.f("rps"))
			}
		}
		if len(got) == 0 {
			return
		}
		unit := "x"
		wantS := num(want, 0) + "x " + against
		gotS := ""
		ok := true
		for i, g := range got {
			if i > 0 {
				gotS += ", "
			}
			if against == "baseline" {
				gotS += num(100*g, 0) + "%"
			} else {
				gotS += num(g, 1) + unit
			}
			ok = ok && g >= want
		}
		if against == "baseline" {
			wantS = "≥" + num(100*want, 0) + "% of baseline"
		} else {
			wantS = "≥" + wantS
		}
		verdict := "met"
		if !ok {
			verdict = "**not met**"
		}
		out = append(out, target{fmt.Sprintf("%s req/s, %s, vs %s (per round)", query, backend, against), wantS, gotS, verdict})
	}
	for _, b := range []string{"sqlite", "postgres"} {
		r.entitlementCheck(&out, b)
		ratio("Q1", b, "peer", 5)
		ratio("Q1", b, "baseline", 0.6)
		ratio("Q2", b, "peer", 4)
		ratio("Q3", b, "peer", 50)
	}
	// statements per request
	maxQ2 := 0.0
	for _, x := range r.rows {
		if x["target"] == "server" && x["query"] == "Q2" {
			maxQ2 = math.Max(maxQ2, x.f("sql_per_req"))
		}
	}
	if maxQ2 > 0 {
		v := "met"
		if maxQ2 > 6 {
			v = "**not met**"
		}
		out = append(out, target{"Q2 SQL statements per request, any page size up to 100", "≤6, constant", num(maxQ2, 2) + " under load; 5 (cached count) or 6 at page sizes 1-100 (TestQ2StatementsConstantInPageSize)", v})
	}
	// 1M p50, in every round measured at that size
	for _, q := range []struct {
		name string
		max  float64
	}{{"Q1", 2}, {"Q2", 15}, {"Q3", 50}} {
		var got []string
		ok := true
		for _, rd := range r.rounds() {
			x := r.find(rd, "server", "sqlite", "1000000", q.name)
			if x == nil {
				continue
			}
			got = append(got, num(x.f("p50_ms"), 2)+" ms")
			ok = ok && x.f("p50_ms") < q.max
		}
		if len(got) == 0 {
			continue
		}
		v := "met"
		if !ok {
			v = "**not met**"
		}
		out = append(out, target{q.name + " p50 at 1 000 000 customers, SQLite, 32 connections (per round)", "<" + num(q.max, 0) + " ms", strings.Join(got, ", "), v})
	}
	// PSS
	maxPSS := 0.0
	for _, x := range r.rows {
		if x["target"] == "server" {
			maxPSS = math.Max(maxPSS, x.f("pss_max_kb"))
		}
	}
	if maxPSS > 0 {
		v := "met"
		if maxPSS/1024 >= 200 {
			v = "**not met**"
		}
		out = append(out, target{"server PSS (highest sampled, any query, backend, size)", "<200 MB", num(maxPSS/1024, 0) + " MiB", v})
	}
	// W2: the slowest import measured, over HTTP and in process
	var w2 []string
	w2ok, w2any := true, false
	for _, x := range r.rows {
		if x["target"] == "server" && x["backend"] == "sqlite" && x["query"] == "W2" {
			w2 = append(w2, fmt.Sprintf("%s s over HTTP at %s (round %s, slowest of %s)", num(x.f("max_ms")/1000, 2), group(x["n"]), x["round"], x["requests"]))
			w2ok, w2any = w2ok && x.f("max_ms") < 2000, true
		}
	}
	for _, g := range r.bench["w2"] {
		if strings.HasPrefix(g.name, "BenchmarkW2") {
			ns, _ := strconv.ParseFloat(g.metrics["ns/op"], 64)
			w2 = append(w2, num(ns/1e9, 2)+" s in process (fresh file)")
			w2ok, w2any = w2ok && ns/1e9 < 2, true
		}
	}
	if w2any {
		v := "met"
		if !w2ok {
			v = "**not met**"
		}
		out = append(out, target{"importCustomersBulk of 10 000 customers, SQLite", "<2 s", strings.Join(w2, "; "), v})
	}
	return out
}

// entitlementCheck adds issue 17's target for the entitlement check (E1)
// on backend: at least Q1's req/s in each round, and on SQLite a p50
// under 2 ms at N.
func (r *results) entitlementCheck(out *[]target, backend string) {
	n := r.meta["n"]
	var got, p50 []string
	ok, fast := true, true
	for _, rd := range r.rounds() {
		e, q := r.find(rd, "server", backend, n, "E1"), r.find(rd, "server", backend, n, "Q1")
		if e == nil || q == nil {
			continue
		}
		got = append(got, num(e.f("rps")/q.f("rps"), 2)+"x")
		ok = ok && e.f("rps") >= q.f("rps")
		p50 = append(p50, num(e.f("p50_ms"), 2)+" ms")
		fast = fast && e.f("p50_ms") < 2
	}
	if len(got) == 0 {
		return
	}
	verdict := func(b bool) string {
		if b {
			return "met"
		}
		return "**not met**"
	}
	*out = append(*out, target{"E1 (entitlement check) req/s, " + backend + ", vs Q1 (per round)", "≥1x Q1", strings.Join(got, ", "), verdict(ok)})
	if backend == "sqlite" {
		*out = append(*out, target{"E1 p50 at " + group(n) + " customers, SQLite, 32 connections (per round)", "<2 ms", strings.Join(p50, ", "), verdict(fast)})
	}
}
