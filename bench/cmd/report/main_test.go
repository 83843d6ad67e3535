package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReport renders the report of a small recorded run (testdata/results:
// one round at 5 000 and 12 000 customers, the peer at Q1 1 000 req/s, one
// W2 import made slow on purpose) and checks the verdicts and sections.
func TestReport(t *testing.T) {
	r := load("testdata/results", "")
	verdicts := map[string]target{}
	for _, tg := range append(r.targets(), r.earlierTargets()...) {
		verdicts[tg.what] = tg
	}
	for what, want := range map[string]string{
		"Q1 req/s, sqlite, vs peer (per round)":                   "**not met**", // 3 311 / 1 000 = 3.3x < 5x
		"Q1 req/s, sqlite, vs baseline (per round)":               "**not met**", // 3 311 / 12 080 = 27 %
		"Q3 req/s, postgres, vs peer (per round)":                 "met",         // 1 433 / 22.5 = 64x
		"E1 (entitlement check) req/s, sqlite, vs Q1 (per round)": "no data",     // no E1 in this run
		"importCustomersBulk of 10 000 customers, SQLite":         "**not met**", // 2.5 s at 12 000
		"Q2 SQL statements per request, any page size up to 100":  "met",
	} {
		got, ok := verdicts[what]
		if !ok {
			t.Errorf("no target %q in %v", what, verdicts)
			continue
		}
		if got.verdict != want {
			t.Errorf("%s: verdict %q, want %q (measured %s)", what, got.verdict, want, got.got)
		}
	}
	if got := verdicts["Q1 req/s, sqlite, vs peer (per round)"].got; got != "3.3x" {
		t.Errorf("Q1 vs peer measured %q, want 3.3x", got)
	}
	md := r.markdown()
	mustContain(t, md,
		"and all of it again at 12 000 customers on both databases",
		"### Writes",
		"| 1 | server | postgres | 12 000 | W1 updateOneCustomer | 472.6 |",
		"| 1 | server | sqlite | 5 000 | Q4 | 610.1 |",
		"| 1 | peer (PostGraphile) | postgres | 5 000 | Q1 | 1000.0 |",
		"### Earlier targets (issue 7, closed)",
		"### p50 at 12 000 customers, SQLite, 32 connections",
		// rows.tsv from before the round-trip counter: sql/req, then a blank trips/req
		"| 3.81 | – | ",
		// the baseline's statements and round trips, by construction
		"| 1 | baseline | sqlite | 5 000 | Q1 | 12080.3 | 4.20 | 2.12 | 30.58 | 0 | 3 | 3 |",
	)
	if reads, _, _ := strings.Cut(md, "### Writes"); strings.Contains(reads[strings.Index(reads, "### Reads"):], "W1 ") {
		t.Error("a write is listed among the reads")
	}
	// Q1-Q4 and W1 at both sizes.
	if n := len(r.panels()); n != 10 {
		t.Errorf("%d panels, want 10", n)
	}
	png := filepath.Join(t.TempDir(), "p.png")
	if err := r.plotPNG(png); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(png); err != nil || st.Size() < 10000 {
		t.Errorf("plot: %v, %v", st, err)
	}
}

// mustContain fails t for each of wants that the report md lacks.
func mustContain(t *testing.T, md string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
