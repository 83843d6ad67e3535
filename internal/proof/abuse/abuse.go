// Package abuse is the abuse proof's load generator: it measures normal
// traffic against a running server, then keeps that traffic going while
// other clients send deep, complex (wide), alias-heavy, batched and
// oversized requests, and reports whether the server stayed up, refused
// every abusive request with its code, and kept normal latency.
//
// It is used by the abuse test (internal/proof) and by the command
// internal/proof/cmd/abuse, which runs it for minutes against a server of
// its own or any running one.
package abuse

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stigg-selfhost/stiggql/internal/proof/serverproc"
)

// Config describes one run.
type Config struct {
	// URL is the server's base URL (http://host:port).
	URL string
	// Key is the API key of the normal traffic; AbuseKey that of the
	// abusive clients (Key when empty). With per-key rate limits, an
	// abuser with a key of its own is throttled without starving others.
	Key, AbuseKey string
	// Baseline is how long normal traffic runs alone first; Duration how
	// long it runs with the abusers. After (Baseline when zero; negative
	// for none) runs normal traffic alone again afterwards: when it differs
	// much from the baseline, something else on the machine changed the
	// figures.
	Baseline, Duration, After time.Duration
	// NormalClients each send a request, wait NormalPause, and again.
	NormalClients int
	NormalPause   time.Duration
	// Abusers send abusive requests concurrently, together at most
	// AbuseRate per second (0: each back to back, as fast as the machine
	// allows; this measures saturation rather than abuse).
	Abusers   int
	AbuseRate int
	// MaxBodyBytes is the server's body limit, to size oversized requests.
	MaxBodyBytes int64
	// ServerPID, when set (and /proc is there), is the server process whose
	// CPU time each phase reports: a figure that, unlike latency, does not
	// depend on what else runs on the machine.
	ServerPID int
	// Calibrate, with ServerPID, first sends this many requests of each
	// kind (normal and abusive) one at a time, to report the server CPU
	// time each kind costs.
	Calibrate int
	// Logf, when set, reports progress.
	Logf func(format string, args ...any)
}

func (c *Config) defaults() {
	if c.AbuseKey == "" {
		c.AbuseKey = c.Key
	}
	if c.NormalClients <= 0 {
		c.NormalClients = 4
	}
	if c.NormalPause <= 0 {
		c.NormalPause = 10 * time.Millisecond
	}
	if c.Abusers <= 0 {
		c.Abusers = 4
	}
	if c.After == 0 {
		c.After = c.Baseline
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
}

// Phase is what the normal traffic saw in one phase.
type Phase struct {
	Duration time.Duration
	Requests int
	Errors   int
	// FirstErrors are the first few failures, for the report.
	FirstErrors []string
	P50, P99    time.Duration
	// ServerCPU is the CPU time the server used in the phase (0 when
	// unknown).
	ServerCPU time.Duration
}

// Kind is what the abusers sent of one kind.
type Kind struct {
	Name string
	// Want is the code the server must answer with.
	Want string
	Sent int
	// Refused counts answers with the Want code; the others are Wrong.
	Refused, Wrong int
	// FirstWrong are the first few wrong answers.
	FirstWrong []string
	// Slowest is the longest a refusal took.
	Slowest time.Duration
}

// Report is the outcome of Run.
type Report struct {
	Baseline, UnderAbuse, After Phase
	Kinds                       []*Kind
	// HealthChecks ran every 250 ms during both phases; HealthFailures
	// of them failed.
	HealthChecks, HealthFailures int
	// AliveAtEnd: /healthz answered after the run.
	AliveAtEnd bool
	// CPUPerRequest is the server CPU time one request of each kind
	// costs ("normal" and the abusive kinds), when calibrated.
	CPUPerRequest map[string]time.Duration
	kindOrder     []string
}

// Ratio is the p99 under abuse over the baseline p99.
func (r *Report) Ratio() float64 {
	if r.Baseline.P99 <= 0 {
		return 0
	}
	return float64(r.UnderAbuse.P99) / float64(r.Baseline.P99)
}

// Problems lists what the run shows to be wrong; checkLatency adds the p99
// bound (within maxRatio of the baseline).
func (r *Report) Problems(checkLatency bool, maxRatio float64) []string {
	var out []string
	if !r.AliveAtEnd {
		out = append(out, "the server did not answer /healthz after the run")
	}
	if r.HealthFailures > 0 {
		out = append(out, fmt.Sprintf("%d of %d health checks failed", r.HealthFailures, r.HealthChecks))
	}
	for _, p := range []*Phase{&r.Baseline, &r.UnderAbuse, &r.After} {
		if p.Errors > 0 {
			out = append(out, fmt.Sprintf("%d normal requests failed: %s", p.Errors, strings.Join(p.FirstErrors, "; ")))
		}
	}
	if r.UnderAbuse.Requests == 0 {
		out = append(out, "no normal request completed under abuse")
	}
	for _, k := range r.Kinds {
		if k.Wrong > 0 {
			out = append(out, fmt.Sprintf("%s: %d of %d not refused with %s: %s", k.Name, k.Wrong, k.Sent, k.Want, strings.Join(k.FirstWrong, "; ")))
		}
		if k.Sent == 0 {
			out = append(out, fmt.Sprintf("%s: none sent", k.Name))
		}
	}
	if checkLatency && r.Ratio() > maxRatio {
		out = append(out, fmt.Sprintf("normal p99 rose from %s to %s (%.2fx, limit %.1fx)", r.Baseline.P99, r.UnderAbuse.P99, r.Ratio(), maxRatio))
	}
	return out
}

// String prints the report for people.
func (r *Report) String() string {
	var b strings.Builder
	ph := func(name string, p Phase) {
		fmt.Fprintf(&b, "%-13s %6.1fs  normal: %6d requests (%5.0f/s), p50 %8s, p99 %8s, errors %d", name, p.Duration.Seconds(), p.Requests,
			float64(p.Requests)/p.Duration.Seconds(), p.P50, p.P99, p.Errors)
		if p.ServerCPU > 0 {
			fmt.Fprintf(&b, "; server CPU %.0f%% of a core", 100*p.ServerCPU.Seconds()/p.Duration.Seconds())
		}
		b.WriteByte('\n')
	}
	ph("baseline", r.Baseline)
	ph("under abuse", r.UnderAbuse)
	if r.After.Duration > 0 {
		ph("after", r.After)
	}
	fmt.Fprintf(&b, "p99 under abuse / baseline: %.2fx\n", r.Ratio())
	total := 0
	for _, k := range r.Kinds {
		total += k.Sent
		fmt.Fprintf(&b, "  abusive %-10s %7d sent, %7d refused with %-38s wrong %d, slowest %s\n", k.Name, k.Sent, k.Refused, k.Want+",", k.Wrong, k.Slowest)
	}
	if d := r.UnderAbuse.Duration.Seconds(); d > 0 {
		fmt.Fprintf(&b, "  abusive total %d (%.0f/s)\n", total, float64(total)/d)
	}
	fmt.Fprintf(&b, "health: %d checks, %d failed; alive at end: %v\n", r.HealthChecks, r.HealthFailures, r.AliveAtEnd)
	if len(r.CPUPerRequest) > 0 {
		b.WriteString("server CPU per request, one at a time:")
		for _, k := range r.kindOrder {
			fmt.Fprintf(&b, " %s %s", k, r.CPUPerRequest[k])
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Run runs the baseline, then the abuse phase, and reports. It returns an
// error only when the run could not be carried out (seeding failed).
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.defaults()
	normal := &serverproc.Client{URL: cfg.URL, Key: cfg.Key, HTTP: serverproc.NewHTTPClient(cfg.NormalClients+2, 30*time.Second)}
	for i := range cfg.NormalClients {
		r, err := normal.Do(ctx, `mutation($id: String!) { importOneCustomer(input: {customerId: $id, name: "normal", email: "normal@abuse.test"}) { customerId } }`,
			map[string]any{"id": fmt.Sprintf("abuse-normal-%d", i)})
		if err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
		if !r.OK() {
			return nil, fmt.Errorf("seed: status %d: %.300s", r.Status, r.Body)
		}
	}

	rep := &Report{}
	kinds := abusiveKinds(cfg.MaxBodyBytes)
	if cfg.Calibrate > 0 && cpuTime(cfg.ServerPID) > 0 {
		cfg.Logf("calibrating: %d requests of each kind, one at a time", cfg.Calibrate)
		rep.CPUPerRequest = map[string]time.Duration{}
		hc := serverproc.NewHTTPClient(2, 30*time.Second)
		measure := func(name string, send func()) {
			c0 := cpuTime(cfg.ServerPID)
			for range cfg.Calibrate {
				send()
			}
			rep.CPUPerRequest[name] = ((cpuTime(cfg.ServerPID) - c0) / time.Duration(cfg.Calibrate)).Round(10 * time.Microsecond)
			rep.kindOrder = append(rep.kindOrder, name)
		}
		i := 0
		measure("normal", func() { q, v := normalOp(0, i); i++; _, _ = normal.Do(ctx, q, v) })
		for _, k := range kinds {
			measure(k.Name, func() { _, _ = k.send(ctx, hc, cfg.URL, cfg.AbuseKey) })
		}
	}
	health := startHealth(cfg.URL)

	cfg.Logf("baseline: normal traffic alone for %s", cfg.Baseline)
	cpu0 := cpuTime(cfg.ServerPID)
	rep.Baseline = runNormal(ctx, cfg, normal, cfg.Baseline)
	cpu1 := cpuTime(cfg.ServerPID)
	rep.Baseline.ServerCPU = cpu1 - cpu0

	rate := "back to back"
	if cfg.AbuseRate > 0 {
		rate = fmt.Sprintf("%d requests/s in all", cfg.AbuseRate)
	}
	cfg.Logf("abuse: normal traffic with %d abusers (%s) for %s", cfg.Abusers, rate, cfg.Duration)
	actx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var mu sync.Mutex
	abuser := &http.Client{Transport: serverproc.NewHTTPClient(cfg.Abusers*2, 0).Transport, Timeout: 30 * time.Second}
	var next atomic.Int64
	var pace <-chan time.Time
	if cfg.AbuseRate > 0 {
		tick := time.NewTicker(time.Second / time.Duration(cfg.AbuseRate))
		defer tick.Stop()
		pace = tick.C
	}
	for range cfg.Abusers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for actx.Err() == nil {
				if pace != nil {
					select {
					case <-pace:
					case <-actx.Done():
						return
					}
				}
				k := kinds[int(next.Add(1))%len(kinds)]
				t0 := time.Now()
				code, detail := k.send(actx, abuser, cfg.URL, cfg.AbuseKey)
				took := time.Since(t0)
				if actx.Err() != nil {
					return // cut short by the end of the phase
				}
				mu.Lock()
				k.Sent++
				if code == k.Want {
					k.Refused++
					k.Slowest = max(k.Slowest, took.Round(100*time.Microsecond))
				} else {
					k.Wrong++
					if len(k.FirstWrong) < 3 {
						k.FirstWrong = append(k.FirstWrong, fmt.Sprintf("got %q (%s)", code, detail))
					}
				}
				mu.Unlock()
			}
		}()
	}
	rep.UnderAbuse = runNormal(ctx, cfg, normal, cfg.Duration)
	stop()
	wg.Wait()
	cpu2 := cpuTime(cfg.ServerPID)
	rep.UnderAbuse.ServerCPU = cpu2 - cpu1
	for _, k := range kinds {
		rep.Kinds = append(rep.Kinds, &k.Kind)
	}
	if cfg.After > 0 {
		cfg.Logf("after: normal traffic alone again for %s", cfg.After)
		rep.After = runNormal(ctx, cfg, normal, cfg.After)
		rep.After.ServerCPU = cpuTime(cfg.ServerPID) - cpu2
	}
	rep.HealthChecks, rep.HealthFailures = health.stop()
	hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	rep.AliveAtEnd = healthy(hctx, cfg.URL) == nil
	return rep, nil
}

// normalOp is what a well-behaved client asks, in turn: a page of
// customers, one customer with its relations, and an update of its own.
func normalOp(client, i int) (string, map[string]any) {
	id := fmt.Sprintf("abuse-normal-%d", client)
	switch i % 5 {
	case 0, 2:
		return `{ customers(paging: {first: 10}) { totalCount edges { node { customerId name email createdAt } } } }`, nil
	case 1, 3:
		return `query($id: String!) { getCustomerByRefId(input: {customerId: $id}) { customerId name email subscriptions { subscriptionId status } promotionalEntitlements { featureId } } }`,
			map[string]any{"id": id}
	}
	return `mutation($id: String!, $n: String) { updateOneCustomer(input: {customerId: $id, name: $n}) { customerId name } }`,
		map[string]any{"id": id, "n": fmt.Sprintf("normal %d", i)}
}

func runNormal(ctx context.Context, cfg Config, c *serverproc.Client, d time.Duration) Phase {
	var mu sync.Mutex
	var lat []time.Duration
	p := Phase{Duration: d}
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for cl := range cfg.NormalClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(end) && ctx.Err() == nil; i++ {
				q, vars := normalOp(cl, i)
				t0 := time.Now()
				r, err := c.Do(ctx, q, vars)
				took := time.Since(t0)
				mu.Lock()
				p.Requests++
				lat = append(lat, took)
				switch {
				case err != nil:
					p.Errors++
					if len(p.FirstErrors) < 3 {
						p.FirstErrors = append(p.FirstErrors, err.Error())
					}
				case !r.OK():
					p.Errors++
					if len(p.FirstErrors) < 3 {
						p.FirstErrors = append(p.FirstErrors, fmt.Sprintf("%d %.200s", r.Status, r.Body))
					}
				}
				mu.Unlock()
				time.Sleep(cfg.NormalPause)
			}
		}()
	}
	wg.Wait()
	p.P50, p.P99 = Percentile(lat, 50), Percentile(lat, 99)
	return p
}

// Percentile returns the p-th percentile (nearest rank) of ds.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[max(0, min(i, len(s)-1))].Round(10 * time.Microsecond)
}
