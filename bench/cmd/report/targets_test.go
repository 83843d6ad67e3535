package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run is a synthetic run of two rounds at 100 000 customers: the peer at
// Q1 1 000, Q2 100, Q3 20 req/s in each round, and figures of this server
// and the baseline that meet every target of issue 17 (each by a little),
// which a case then changes.
type run struct {
	rows map[string]string // "round target backend query" -> "rps p50 sql trips"
	peer bool
}

func passingRun() run {
	r := run{rows: map[string]string{}, peer: true}
	for _, rd := range []string{"1", "2"} {
		for k, v := range map[string]string{
			"server postgres Q1":   "3100 9.0 1.00 1.00", // 3.1x peer, 91 % of the baseline
			"baseline postgres Q1": "3400 8.0",
			"server postgres Q2":   "410 70 5.00 1.00",  // 4.1x
			"server postgres Q3":   "1010 25 2.00 1.00", // 50.5x
			"server postgres E1":   "3200 9.5 1.00 1.00",
			"server sqlite Q1":     "5100 5.0 3.00 3.00", // 5.1x peer, 85 % of the baseline
			"baseline sqlite Q1":   "6000 4.0",
			"server sqlite Q2":     "400 70 5.00 5.00",   // 4x exactly
			"server sqlite Q3":     "1000 20 2.00 2.00",  // 50x exactly
			"server sqlite E1":     "5200 1.9 1.00 1.00", // p50 under 2 ms
		} {
			r.rows[rd+" "+k] = v
		}
	}
	return r
}

// write writes the run as scripts/bench.sh does (rows.tsv with the
// round_trips_per_req column, peer-rN.tsv, meta.txt) and loads it.
func (r run) load(t *testing.T) *results {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("round\ttarget\tbackend\tn\tquery\trps\tmean_ms\tp50_ms\tp90_ms\tp99_ms\tmax_ms\tbytes_per_req\terrors\trequests\tsql_per_req\tallocs_per_req\tcpu_ms_per_req\tpg_cpu_ms_per_req\trss_max_kb\tpss_max_kb\thwm_kb\tpg_pss_max_kb\tidle_pct\tsteal_pct\tround_trips_per_req\n")
	for k, v := range r.rows {
		key, val := strings.Fields(k), append(strings.Fields(v), "", "")
		fmt.Fprintf(&b, "%s\t%s\t%s\t100000\t%s\t%s\t1\t%s\t1\t1\t1\t100\t0\t1000\t%s\t100\t0.2\t\t100000\t150000\t100000\t0\t0\t0\t%s\n",
			key[0], key[1], key[2], key[3], val[0], val[1], val[2], val[3])
	}
	files := map[string]string{"rows.tsv": b.String(), "meta.txt": "n=100000\n"}
	if r.peer {
		for _, rd := range []string{"1", "2"} {
			files["peer-r"+rd+".tsv"] = "query\trps\tp50_ms\trequests\nQ1\t1000\t10\t1\nQ2\t100\t100\t1\nQ3\t20\t500\t1\n"
		}
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return load(dir, "")
}

// TestIssue17Targets checks the verdict of each of issue 17's targets on
// synthetic runs: met, not met (in one round of two is enough), and no data
// (the run lacks the figures), with what is missing said.
func TestIssue17Targets(t *testing.T) {
	const (
		pgQ1Peer  = "Q1 req/s, postgres, vs peer (per round)"
		pgQ1Base  = "Q1 req/s, postgres, vs baseline (per round)"
		pgQ2      = "Q2 req/s, postgres, vs peer (per round)"
		pgQ3      = "Q3 req/s, postgres, vs peer (per round)"
		pgE1      = "E1 (entitlement check) req/s, postgres, vs Q1 (per round)"
		sqQ1Peer  = "Q1 req/s, sqlite, vs peer (per round)"
		sqQ1Base  = "Q1 req/s, sqlite, vs baseline (per round)"
		sqQ2      = "Q2 req/s, sqlite, vs peer (per round)"
		sqQ3      = "Q3 req/s, sqlite, vs peer (per round)"
		sqE1      = "E1 (entitlement check) req/s, sqlite, vs Q1 (per round)"
		sqE1P50   = "E1 p50 at 100 000 customers, sqlite, 32 connections (per round)"
		pss       = "server PSS (highest sampled, any query, backend, size)"
		allTarget = 12
	)
	all := []string{pgQ1Peer, pgQ1Base, pgQ2, pgQ3, pgE1, sqQ1Peer, sqQ1Base, sqQ2, sqQ3, sqE1, sqE1P50, pss}
	type check struct{ verdict, got string } // got: a part of the measured text, or ""
	for _, c := range []struct {
		name   string
		change func(r *run)
		want   map[string]check // targets not named: met
	}{
		{"all met", func(*run) {}, map[string]check{
			pgQ1Peer: {met, "3.1x, 3.1x"}, pgQ1Base: {met, "91%, 91%"}, pgQ3: {met, "50.5x"},
			sqQ1Base: {met, "85%, 85%"}, sqQ2: {met, "4.0x, 4.0x"}, sqQ3: {met, "50.0x"},
			pgE1: {met, "1.03x"}, sqE1P50: {met, "1.90 ms, 1.90 ms"}, pss: {met, "146 MiB"},
		}},
		{"not met in one round", func(r *run) {
			r.rows["2 server postgres Q1"] = "2900 9.0 1.00 1.00" // 2.9x peer, 85 % of the baseline; E1 above it
			r.rows["2 server sqlite Q3"] = "990 20 2.00 2.00"     // 49.5x
			r.rows["1 server sqlite E1"] = "5000 2.1 1.00 1.00"   // below Q1, p50 over 2 ms
			r.rows["1 server postgres Q2"] = "399 70 5.00 1.00"   // 3.99x
		}, map[string]check{
			pgQ1Peer: {notMet, "3.1x, 2.9x"}, pgQ1Base: {notMet, "91%, 85%"}, pgQ2: {notMet, "3.99x, 4.1x"},
			sqQ3: {notMet, "50.0x, 49.5x"}, sqE1: {notMet, "0.98x, 1.02x"}, sqE1P50: {notMet, "2.10 ms, 1.90 ms"},
		}},
		{"no peer, baseline or E1", func(r *run) {
			r.peer = false
			for k := range r.rows {
				if strings.Contains(k, "baseline") || strings.HasSuffix(k, "E1") {
					delete(r.rows, k)
				}
			}
		}, map[string]check{
			pgQ1Peer: {noData, "not measured: no peer Q1 (round 1, 2)"}, pgQ1Base: {noData, "no baseline Q1 (round 1, 2)"},
			pgQ2: {noData, ""}, pgQ3: {noData, ""}, pgE1: {noData, "no E1 on postgres"},
			sqQ1Peer: {noData, ""}, sqQ1Base: {noData, ""}, sqQ2: {noData, ""}, sqQ3: {noData, ""},
			sqE1: {noData, "no E1 on sqlite"}, sqE1P50: {noData, "no E1 on sqlite (round 1, 2)"},
		}},
		{"a round without the figures", func(r *run) {
			delete(r.rows, "2 server sqlite E1")
			delete(r.rows, "2 baseline postgres Q1")
			delete(r.rows, "1 server postgres Q3")
		}, map[string]check{
			sqE1:     {met, "1.02x; not measured: no E1 on sqlite (round 2)"},
			sqE1P50:  {met, "1.90 ms; not measured: no E1 on sqlite (round 2)"},
			pgQ1Base: {met, "91%; not measured: no baseline Q1 (round 2)"},
			pgQ3:     {met, "50.5x; not measured: no server Q3 on postgres (round 1)"},
		}},
		{"nothing at all", func(r *run) { r.rows = map[string]string{}; r.peer = false }, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := passingRun()
			c.change(&r)
			res := r.load(t)
			if len(r.rows) == 0 {
				res = &results{meta: map[string]string{"n": "100000"}, peer: map[string][]row{}}
			}
			got := map[string]target{}
			for _, tg := range res.targets() {
				got[tg.what] = tg
			}
			if len(got) != allTarget {
				t.Errorf("%d targets, want %d: %v", len(got), allTarget, got)
			}
			for _, what := range all {
				want, ok := c.want[what]
				if !ok {
					want = check{verdict: met}
					if len(r.rows) == 0 {
						want = check{verdict: noData}
					}
				}
				tg, ok := got[what]
				if !ok {
					t.Errorf("no target %q", what)
					continue
				}
				if tg.verdict != want.verdict || !strings.Contains(tg.got, want.got) {
					t.Errorf("%s: %s (%s), want %s (%s)", what, tg.verdict, tg.got, want.verdict, want.got)
				}
			}
		})
	}
}

// TestRoundTripsColumn: the per-query tables show round trips per request
// beside statements, as recorded, and "–" for rows of a server that did not
// count them.
func TestRoundTripsColumn(t *testing.T) {
	r := passingRun()
	r.rows["1 server postgres Q4"] = "800 30 7.70" // no round trips recorded
	md := r.load(t).markdown()
	mustContain(t, md,
		"| sql/req | trips/req |",
		"| 1 | server | postgres | 100 000 | Q2 | 410 | 1 | 70 | 1 | 0 | 5.00 | 1.00 |",
		"| 1 | server | sqlite | 100 000 | Q2 | 400 | 1 | 70 | 1 | 0 | 5.00 | 5.00 |",
		"| 1 | server | postgres | 100 000 | Q4 | 800 | 1 | 30 | 1 | 0 | 7.70 | – |",
		"| 1 | baseline | postgres | 100 000 | Q1 | 3400 | 1 | 8.0 | 1 | 0 | 3 | 3 |",
		"| 1 | peer (PostGraphile) | postgres | 100 000 | Q1 | 1000 |",
	)
	if strings.Contains(md, "### Earlier targets") && strings.Contains(md, "| importCustomersBulk") {
		t.Error("importCustomersBulk judged without a W2 figure")
	}
}
