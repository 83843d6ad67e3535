// Command report writes docs/performance.md and its plot from the results
// of scripts/bench.sh (bench/results/latest): the load figures of the peer,
// the server and the baseline, the in-process Go benchmarks, the targets
// and whether they are met, and the hand-written discussion in
// bench/results/notes.md. `bash scripts/bench.sh report` runs it.
package main

import (
	"bufio"
	"flag"
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

// has tells whether any row measured query.
func (r *results) has(query string) bool {
	for _, x := range r.rows {
		if x["query"] == query {
			return true
		}
	}
	return false
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
	case "E1":
		return "E1 entitlement check"
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
		for _, q := range []string{"Q1", "Q2", "Q3", "Q4", "E1"} {
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
