// Command report writes docs/performance.md and its plot from the results
// of scripts/bench.sh (bench/results/latest): the load figures of the peer,
// the server and the baseline, the in-process Go benchmarks, the targets
// and whether they are met, and the hand-written discussion in
// bench/results/notes.md. `bash scripts/bench.sh report` runs it.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"image/color"
	"log"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// row is one measured (round, target, backend, n, query).
type row map[string]string

func (r row) f(k string) float64 {
	v, err := strconv.ParseFloat(r[k], 64)
	if err != nil {
		return math.NaN()
	}
	return v
}

func readTSV(path string) []row {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var cols []string
	var out []row
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.Split(sc.Text(), "\t")
		if cols == nil {
			cols = parts
			continue
		}
		r := row{}
		for i, c := range cols {
			if i < len(parts) {
				r[c] = parts[i]
			}
		}
		out = append(out, r)
	}
	return out
}

func readKV(path string) map[string]string {
	out := map[string]string{}
	b, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out
}

// gobench is one line of `go test -bench` output.
type gobench struct {
	name    string
	metrics map[string]string // unit -> value
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+)\s+(\d+)\s+(.*)$`)

func readGoBench(path string) []gobench {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []gobench
	for _, line := range strings.Split(string(b), "\n") {
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		g := gobench{name: strings.TrimSuffix(m[1], "-2"), metrics: map[string]string{}}
		f := strings.Fields(m[3])
		for i := 0; i+1 < len(f); i += 2 {
			g.metrics[f[i+1]] = f[i]
		}
		out = append(out, g)
	}
	return out
}

type results struct {
	dir   string
	meta  map[string]string
	rows  []row
	peer  map[string][]row // round -> rows (query, rps, ...)
	bench map[string][]gobench
	seeds []string
	notes string
}

func load(dir, notes string) *results {
	r := &results{dir: dir, meta: readKV(filepath.Join(dir, "meta.txt")), rows: readTSV(filepath.Join(dir, "rows.tsv")),
		peer: map[string][]row{}, bench: map[string][]gobench{}}
	peers, _ := filepath.Glob(filepath.Join(dir, "peer-r*.tsv"))
	for _, p := range peers {
		round := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "peer-r"), ".tsv")
		r.peer[round] = readTSV(p)
	}
	for _, k := range []string{"sqlite", "postgres", "w2"} {
		r.bench[k] = readGoBench(filepath.Join(dir, "gobench-"+k+".txt"))
	}
	if b, err := os.ReadFile(filepath.Join(dir, "seed-times.txt")); err == nil {
		r.seeds = strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	if b, err := os.ReadFile(notes); err == nil {
		r.notes = string(b)
	}
	return r
}

func (r *results) find(round, target, backend, n, query string) row {
	for _, x := range r.rows {
		if x["round"] == round && x["target"] == target && x["backend"] == backend && x["n"] == n && x["query"] == query {
			return x
		}
	}
	return nil
}

func (r *results) peerRow(round, query string) row {
	for _, x := range r.peer[round] {
		if x["query"] == query {
			return x
		}
	}
	return nil
}

func (r *results) rounds() []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range r.rows {
		if !seen[x["round"]] {
			seen[x["round"]] = true
			out = append(out, x["round"])
		}
	}
	sort.Strings(out)
	return out
}

func num(v float64, prec int) string {
	if math.IsNaN(v) {
		return "–"
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

func mib(kb string) string {
	v, err := strconv.ParseFloat(kb, 64)
	if err != nil || v == 0 {
		return "–"
	}
	return num(v/1024, 0)
}

// target is one of the goals, evaluated on the results.
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

func (r *results) markdown() string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	m := r.meta
	p("# Performance\n\n")
	p("<!-- Generated by `bash scripts/bench.sh report` from bench/results/latest and bench/results/notes.md; do not edit by hand. -->\n\n")
	p("How fast the server answers the three queries of the peer benchmark (../shared/bench/peer: PostGraphile over PostgreSQL on the same data model), measured in one run on this machine, interleaved with the peer and with a hand-written baseline, at %s customers; and, in the same run, the official client's GetCustomerById (Q4) and the writes (W1, W2) over HTTP", group(m["n"]))
	if m["n_big"] != "" {
		p(", and all of it again at %s customers on both databases", group(m["n_big"]))
	}
	p(".\n\n")
	p("![req/s per query](performance.png)\n\n")

	p("## Targets\n\n| target | wanted | measured | |\n| --- | --- | --- | --- |\n")
	for _, t := range r.targets() {
		p("| %s | %s | %s | %s |\n", t.what, t.want, t.got, t.verdict)
	}
	p("\n")
	if r.notes != "" {
		p("%s\n", strings.TrimSpace(r.notes))
		p("\n")
	}

	p("## Machine and run\n\n")
	for _, k := range []string{"date", "cpu", "memory", "os", "go", "postgres", "wrk", "commit", "load", "loadavg_start", "loadavg_end", "gobench_commit", "gobench_date"} {
		if v := m[k]; v != "" {
			p("- %s: %s\n", k, v)
		}
	}
	p("\nThe machine has 2 cores shared with other engineers' work: the load average above is the whole host's, and figures move by tens of percent between runs minutes apart (the peer's README shows ±25%% on an idle machine). Compare only within a round: each round runs the peer, then this server and the baseline, back to back.\n\n")

	p("## Load (wrk over HTTP on loopback)\n\n")
	p("Each process is started fresh; per query: one checked answer, then wrk (%s) with the peer's gql.lua for Q1-Q3 and scripts/bench/ops.lua, which checks every answer the same way, for Q4 and W1. sql/req and allocs/req come from the server's /metrics (statements counted by a driver wrapper; Go heap allocations, HTTP server included) over the measured run; cpu is the process's user+sys time per request; RSS/PSS are the highest samples (every 0.25 s) over warm-up and run.\n\n", m["load"])
	p("### Reads\n\nQ1-Q3 as in the peer's README; Q4 is the official Stigg client's whole GetCustomerById document (testdata/stigg-client, verbatim) for a random one of 1 000 customers with two subscriptions.\n\n")
	header := func() {
		p("| round | target | db | N | query | req/s | mean ms | p50 ms | p99 ms | errors | sql/req | allocs/req | cpu ms/req | RSS MiB | PSS MiB |\n")
		p("| --- | --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	}
	line := func(x row) {
		sqlReq := x["sql_per_req"]
		if sqlReq == "" {
			sqlReq = map[string]string{"Q1": "3", "Q2": "5"}[x["query"]]
		}
		p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", x["round"], x["target"], x["backend"], group(x["n"]), opName(x["query"]),
			x["rps"], x["mean_ms"], x["p50_ms"], x["p99_ms"], x["errors"], sqlReq, x["allocs_per_req"],
			x["cpu_ms_per_req"], mib(x["rss_max_kb"]), mib(x["pss_max_kb"]))
	}
	header()
	for _, rd := range r.rounds() {
		for _, q := range []string{"Q1", "Q2", "Q3"} {
			if pr := r.peerRow(rd, q); pr != nil {
				reqs := pr.f("requests")
				p("| %s | peer (PostGraphile) | postgres | %s | %s | %s | %s | %s | %s | %s | 1 | – | %s | %s | – |\n", rd, group(m["n"]), q,
					pr["rps"], pr["mean_ms"], pr["p50_ms"], pr["p99_ms"], pr["errors"],
					num(pr.f("server_cpu_s")*1000/reqs, 2), mib(pr["server_rss_max_kb"]))
			}
		}
		for _, x := range r.rows {
			if x["round"] == rd && !isWrite(x["query"]) {
				line(x)
			}
		}
	}
	p("\n### Writes\n\nEach round's writes run against a fresh copy of the seeded database, in a server started with `--max-body-bytes 8388608` (an import of 10 000 customers is a 1.3 MB request, over the 1 MiB default). W1 provisionCustomer creates a new customer per request (its own customerId), W1 updateOneCustomer renames a random seeded customer; both with 32 connections like the reads. W2 is importCustomersBulk of 10 000 new customers, one request at a time after one untimed import: its req/s is imports per second and its latencies are the whole import's.\n\n")
	header()
	for _, x := range r.rows {
		if isWrite(x["query"]) {
			line(x)
		}
	}
	p("\nThe peer's sql/req is 1 by its design (PostGraphile compiles a request to one statement); its cpu is the Node process's. On PostgreSQL the database's own CPU is not in this server's cpu ms/req: ")
	var pgs []string
	for _, x := range r.rows {
		if x["backend"] == "postgres" && x["pg_cpu_ms_per_req"] != "" {
			pgs = append(pgs, fmt.Sprintf("%s %s N=%s r%s %s ms", x["target"], x["query"], group(x["n"]), x["round"], x["pg_cpu_ms_per_req"]))
		}
	}
	p("PostgreSQL CPU per request: %s.\n\n", strings.Join(pgs, ", "))

	p("## In-process Go benchmarks\n\n")
	p("`go test -bench` in bench/, through the whole HTTP handler (httptest), one request at a time, on the same seeded databases. sql/op counts statements (the API key lookup is cached, so it does not appear); Q3 cycles through the eight terms and then runs each alone; Q4 is the official Stigg client's GetCustomerById document, verbatim, for customers with two subscriptions; W1 is provisionCustomer of new customers and updateOneCustomer of existing ones, one at a time and with 32 in flight (/parallel32: its µs/op is the inverse of the throughput); W2 is importCustomersBulk of 10 000 new customers into a fresh SQLite file.\n\n")
	p("| db | benchmark | µs/op | allocs/op | B/op | sql/op | B/resp |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |\n")
	for _, k := range []string{"sqlite", "postgres", "w2"} {
		for _, g := range r.bench[k] {
			ns, _ := strconv.ParseFloat(g.metrics["ns/op"], 64)
			db := k
			if k == "w2" {
				db = "sqlite"
			}
			p("| %s | %s | %s | %s | %s | %s | %s |\n", db, strings.TrimPrefix(g.name, "Benchmark"), num(ns/1000, 0),
				g.metrics["allocs/op"], g.metrics["B/op"], g.metrics["sql/op"], g.metrics["B/resp"])
		}
	}
	p("\n")
	if len(r.seeds) > 0 {
		p("## Seeding\n\n`stiggql seed --customers N` (internal/seed):\n\n")
		for _, s := range r.seeds {
			p("- %s\n", s)
		}
		p("\n")
	}
	p("## Reproduce\n\n```sh\n")
	p("bash scripts/bench.sh                       # seed (once), run peer / server / baseline interleaved, Go benchmarks, write this file\n")
	p("BIG=1 bash scripts/bench.sh                 # also every read and write at 1 000 000 customers, on both databases\n")
	p("bash scripts/bench.sh report                # regenerate this file and the plot from bench/results/latest\n")
	p("go run . seed --customers 100000 --db file:bench.db --refs refs.txt   # the data alone\n")
	p("bash scripts/bench.sh gobench               # the Go benchmarks alone, on the seeded databases, into bench/results/latest\n")
	p("BENCH_DB=file:bench.db go test -run '^$' -bench . ./bench            # the Go benchmarks by hand\n")
	p("```\n")
	return b.String()
}

// isWrite tells the write operations (W1, W2) from the reads.
func isWrite(q string) bool { return strings.HasPrefix(q, "W") }

// opName is the report's name of an operation of rows.tsv.
func opName(q string) string {
	switch q {
	case "W1P":
		return "W1 provisionCustomer"
	case "W1U":
		return "W1 updateOneCustomer"
	case "W2":
		return "W2 importCustomersBulk 10 000"
	}
	return q
}

func group(s string) string {
	n, err := strconv.Atoi(s)
	if err != nil {
		return s
	}
	t := strconv.Itoa(n)
	var out []byte
	for i := range t {
		if i > 0 && (len(t)-i)%3 == 0 {
			out = append(out, ' ')
		}
		out = append(out, t[i])
	}
	return string(out)
}

// panel is one chart of the plot: req/s bars.
type panel struct {
	title string
	bars  []bar
}

type bar struct {
	label string
	rps   float64
}

// panels are the plot's charts: each read at N against the peer and the
// baseline, each read at N_BIG, and the writes at each size; req/s averaged
// over rounds. Charts without figures are left out.
func (r *results) panels() []panel {
	avg := func(target, backend, n, q string) (float64, bool) {
		var v []float64
		for _, rd := range r.rounds() {
			if x := r.find(rd, target, backend, n, q); x != nil {
				v = append(v, x.f("rps"))
			}
		}
		return mean(v), len(v) > 0
	}
	type series struct{ target, backend, q, label string }
	chart := func(title string, ss []series, n string) panel {
		pn := panel{title: title}
		for _, s := range ss {
			if s.target == "peer" {
				var peer []float64
				for _, rd := range r.rounds() {
					if pr := r.peerRow(rd, s.q); pr != nil {
						peer = append(peer, pr.f("rps"))
					}
				}
				if len(peer) > 0 {
					pn.bars = append(pn.bars, bar{s.label, mean(peer)})
				}
				continue
			}
			if v, ok := avg(s.target, s.backend, n, s.q); ok {
				pn.bars = append(pn.bars, bar{s.label, v})
			}
		}
		return pn
	}
	var out []panel
	for _, n := range []string{r.meta["n"], r.meta["n_big"]} {
		if n == "" {
			continue
		}
		for _, q := range []string{"Q1", "Q2", "Q3", "Q4"} {
			ss := []series{{"peer", "", q, "peer"}, {"server", "sqlite", q, "ours SQLite"}, {"server", "postgres", q, "ours PG"},
				{"baseline", "sqlite", q, "baseline SQLite"}, {"baseline", "postgres", q, "baseline PG"}}
			if n != r.meta["n"] {
				ss = ss[1:3] // the peer and the baseline run at N only
			}
			out = append(out, chart(q+" req/s, N="+group(n), ss, n))
		}
		out = append(out, chart("W1 req/s, N="+group(n), []series{
			{"server", "sqlite", "W1P", "provision SQLite"}, {"server", "postgres", "W1P", "provision PG"},
			{"server", "sqlite", "W1U", "update SQLite"}, {"server", "postgres", "W1U", "update PG"}}, n))
	}
	kept := out[:0]
	for _, pn := range out {
		if len(pn.bars) > 0 {
			kept = append(kept, pn)
		}
	}
	return kept
}

// plotPNG draws the panels, five to a row, one bar per (target, database).
func (r *results) plotPNG(path string) error {
	panels := r.panels()
	const cols = 5
	rows := (len(panels) + cols - 1) / cols
	w, h := 20*vg.Inch, vg.Length(rows)*4*vg.Inch
	img := vgimg.New(w, h)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Millimeter * 4, PadY: vg.Millimeter * 6, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	colors := map[string]color.Color{
		"peer": color.RGBA{150, 150, 150, 255}, "ours SQLite": color.RGBA{31, 119, 180, 255}, "ours PG": color.RGBA{44, 160, 44, 255},
		"baseline SQLite": color.RGBA{158, 202, 225, 255}, "baseline PG": color.RGBA{161, 217, 155, 255},
		"provision SQLite": color.RGBA{31, 119, 180, 255}, "provision PG": color.RGBA{44, 160, 44, 255},
		"update SQLite": color.RGBA{158, 202, 225, 255}, "update PG": color.RGBA{161, 217, 155, 255},
	}
	for i, pn := range panels {
		pl := plot.New()
		pl.Title.Text = pn.title
		pl.Y.Min = 0
		names := make([]string, len(pn.bars))
		for j, b := range pn.bars {
			names[j] = b.label
			vals := make(plotter.Values, len(pn.bars))
			vals[j] = b.rps
			bc, err := plotter.NewBarChart(vals, vg.Points(28))
			if err != nil {
				return err
			}
			bc.Color = colors[b.label]
			bc.LineStyle.Width = 0
			pl.Add(bc)
			lbl, err := plotter.NewLabels(plotter.XYLabels{XYs: []plotter.XY{{X: float64(j), Y: b.rps}}, Labels: []string{num(b.rps, 0)}})
			if err == nil {
				for k := range lbl.TextStyle {
					lbl.TextStyle[k].XAlign = draw.XCenter
				}
				pl.Add(lbl)
			}
		}
		pl.NominalX(names...)
		pl.X.Tick.Label.Rotation = 0.35
		pl.X.Tick.Label.XAlign = draw.XRight
		pl.Draw(tiles.At(dc, i%cols, i/cols))
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = vgimg.PngCanvas{Canvas: img}.WriteTo(f)
	return err
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func main() {
	dir := flag.String("results", "bench/results/latest", "results directory written by scripts/bench.sh")
	notes := flag.String("notes", "bench/results/notes.md", "hand-written discussion included in the report")
	out := flag.String("out", "docs/performance.md", "report to write")
	png := flag.String("png", "docs/performance.png", "plot to write")
	flag.Parse()
	r := load(*dir, *notes)
	if len(r.rows) == 0 {
		log.Fatalf("no results in %s", *dir)
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, []byte(r.markdown()), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := r.plotPNG(*png); err != nil {
		log.Fatal(err)
	}
}
