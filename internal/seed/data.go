package seed

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
)

// The distribution follows the peer benchmark's generator
// (/work/shared/bench/peer/gen_data.py) so that the two servers answer the
// same questions over data of the same shape: three environments (80 / 15 /
// 5 %), about 1 % archived customers, 2 % without email, emails built from
// the same first names, last names and domains (so Q3's search terms match
// the same share of customers), 0 to 3 subscriptions, 0 to 2 promotional
// entitlements and 0 to 2 sync states per customer. The values are not byte
// for byte the peer's (Go's generator is not Python's).

var (
	firstNames = []string{"Anna", "Ben", "Carla", "David", "Elena", "Felix", "Grace", "Hugo", "Ines", "Jonas",
		"Kate", "Liam", "Maria", "Noah", "Olga", "Paul", "Quinn", "Rosa", "Sam", "Tara",
		"Umar", "Vera", "Will", "Xenia", "Yusuf", "Zoe", "Li", "Mei", "Arjun", "Priya",
		"Lucas", "Sofia", "Mateo", "Chloe", "Omar", "Lea", "Ivan", "Nina", "Karl", "Eva"}
	lastNames = []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
		"Rodriguez", "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas",
		"Taylor", "Moore", "Jackson", "Martin", "Lee", "Wang", "Kim", "Nguyen", "Schmidt",
		"Muller", "Rossi", "Dubois", "Novak", "Kowalski", "Sato", "Tanaka", "Silva",
		"Santos", "Costa", "Ivanov", "Petrov", "Larsen", "Jensen", "Haddad", "Cohen"}
	domains = []string{"gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "proton.me",
		"acme.io", "example.org", "globex.com", "initech.net", "umbrella.co", "hooli.xyz"}
	regions      = []string{"us-east", "us-west", "eu-central", "eu-west", "ap-south", "ap-northeast"}
	sources      = []string{"web", "sales", "partner", "api", "import"}
	subStatus    = weighted{[]string{"ACTIVE", "CANCELED", "EXPIRED", "IN_TRIAL", "NOT_STARTED", "PAYMENT_PENDING"}, []int{45, 20, 15, 12, 5, 3}}
	peStatus     = weighted{[]string{"ACTIVE", "EXPIRED", "PAUSED"}, []int{70, 25, 5}}
	resetPeriods = []string{"", "DAY", "WEEK", "MONTH", "YEAR"}
	vendors      = []string{"STRIPE", "HUBSPOT", "SALESFORCE", "ZUORA"}
	syncStatus   = weighted{[]string{"SUCCESS", "ERROR", "PENDING", "NO_SYNC_REQUIRED"}, []int{70, 10, 10, 10}}
	syncErrors   = []string{"card_declined: the card was declined",
		"rate_limited: too many requests to vendor API",
		"not_found: no such customer in vendor",
		"timeout: vendor did not answer within 30s"}
	envShares = []int{80, 15, 5}
)

// Epoch and Now bound every generated time: the data never depends on the
// clock, so the same seed gives the same rows on any day.
var (
	Epoch = time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	Now   = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

type weighted struct {
	values  []string
	weights []int
}

func (w weighted) pick(r *rand.Rand) string {
	total := 0
	for _, x := range w.weights {
		total += x
	}
	n := r.IntN(total)
	for i, x := range w.weights {
		if n < x {
			return w.values[i]
		}
		n -= x
	}
	return w.values[len(w.values)-1]
}

// gen produces the rows of one customer after another from one random
// stream, so the output depends only on the seed and the customer count.
type gen struct {
	r    *rand.Rand
	envs [3]uuid.UUID
	seq  uint64
	cat  *demoCatalog
}

// demoCatalog is what the generator needs of the demo catalog loaded into
// each seeded environment: subscriptions point at its plans, grants at its
// features.
type demoCatalog struct {
	plans    []string                // plan refIds
	free     map[string]bool         // plan refId -> FREE pricing
	planIDs  [3]map[string]uuid.UUID // per environment: plan refId -> id
	features []string                // feature refIds
}

func newGen(seed uint64, envs [3]uuid.UUID, cat *demoCatalog) *gen {
	return &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), envs: envs, cat: cat}
}

// uuid returns a time-ordered id in the UUIDv7 layout: a 48-bit
// millisecond counter that grows with every id (starting at Epoch), then
// random bits. Ordered ids make every primary-key insert an append to the
// end of its index instead of a write to a random page, which roughly
// doubles SQLite's loading speed; the application treats ids as opaque.
func (g *gen) uuid() uuid.UUID {
	var u uuid.UUID
	g.seq++
	ms := uint64(Epoch.UnixMilli()) + g.seq
	binary.BigEndian.PutUint64(u[0:8], ms<<16|g.r.Uint64()&0xffff)
	binary.BigEndian.PutUint64(u[8:16], g.r.Uint64())
	u[6] = u[6]&0x0f | 0x70 // version 7
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return u
}

func (g *gen) token(k int) string {
	const hex = "0123456789abcdef"
	b := make([]byte, k)
	for i := range b {
		b[i] = hex[g.r.IntN(16)]
	}
	return string(b)
}

func (g *gen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

// later returns a random instant in [start, min(start+maxDays, Now)],
// microsecond precision (what the databases keep).
func (g *gen) later(start time.Time, maxDays int) time.Time {
	room := min(time.Duration(maxDays)*24*time.Hour, Now.Sub(start))
	if room <= 0 {
		return start
	}
	return start.Add(time.Duration(g.r.Int64N(int64(room/time.Microsecond))) * time.Microsecond)
}

// sample returns n distinct items of xs.
func (g *gen) sample(xs []string, n int) []string {
	idx := g.r.Perm(len(xs))[:n]
	out := make([]string, n)
	for i, j := range idx {
		out[i] = xs[j]
	}
	return out
}

func (g *gen) envIndex() int {
	n := g.r.IntN(100)
	for i, w := range envShares {
		if n < w {
			return i
		}
		n -= w
	}
	return 0
}

func jsonb(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// customer appends customer number i and its children to b.
func (g *gen) customer(i int, b *batch) {
	envIdx := g.envIndex()
	env := g.envs[envIdx]
	id := g.uuid()
	ref := fmt.Sprintf("customer-%07d", i)
	first, last := g.pick(firstNames), g.pick(lastNames)
	name := first + " " + last
	var email any
	if g.r.Float64() >= 0.02 {
		email = fmt.Sprintf("%s.%s%d@%s", lower(first), lower(last), 1+g.r.IntN(9999), g.pick(domains))
	}
	created := Epoch.Add(time.Duration(g.r.Int64N(int64(Now.Sub(Epoch)/time.Microsecond))) * time.Microsecond)
	updated := g.later(created, 180)
	var deleted any
	var nameV any = name
	if g.r.Float64() < 0.01 {
		deleted = g.later(updated, 30)
		// Archiving clears name and email (customers.Service.Archive).
		nameV, email = nil, nil
	}
	var billingID, crmID, pmID any
	if g.r.Float64() < 0.7 {
		billingID = "cus_" + g.token(14)
	}
	if g.r.Float64() < 0.3 {
		crmID = "crm_" + g.token(10)
	}
	if billingID != nil && g.r.Float64() < 0.6 {
		pmID = "pm_" + g.token(16)
	}
	meta := jsonb(map[string]any{"region": g.pick(regions), "source": g.pick(sources), "seats": 1 + g.r.IntN(500)})
	b.customers = append(b.customers, id, created, updated, ref, nameV, email, billingID, crmID, pmID, meta, deleted, env)
	b.nCustomers++
	if envIdx == 0 && deleted == nil {
		b.refs = append(b.refs, ref)
	}

	for j := range g.r.IntN(4) {
		status := subStatus.pick(g.r)
		plan := g.pick(g.cat.plans)
		free := g.cat.free[plan]
		start := g.later(created, 365)
		var end, trialEnd, cancel any
		switch status {
		case "IN_TRIAL":
			trialEnd = start.Add(time.Duration([]int{7, 14, 30}[g.r.IntN(3)]) * 24 * time.Hour)
		case "CANCELED":
			c := g.later(start, 300)
			cancel, end = c, c
		case "EXPIRED":
			end = g.later(start, 400)
		case "NOT_STARTED":
			start = Now.Add(time.Duration(1+g.r.IntN(60)) * 24 * time.Hour)
		default:
			if g.r.Float64() < 0.3 {
				end = Now.Add(time.Duration(1+g.r.IntN(365)) * 24 * time.Hour)
			}
		}
		var meta any
		if g.r.Float64() < 0.2 {
			meta = jsonb(map[string]any{"seats": 1 + g.r.IntN(50)})
		}
		var period, billing any
		pricing := "FREE"
		if !free {
			period = []string{"MONTHLY", "ANNUALLY"}[g.r.IntN(2)]
			billing = "sub_" + g.token(14)
			pricing = "PAID"
			if plan == "plan-enterprise" {
				pricing = "CUSTOM"
			}
		}
		subCreated := start
		if subCreated.After(Now) {
			subCreated = Now
		}
		b.subs = append(b.subs, g.uuid(), subCreated, g.later(subCreated, 60), fmt.Sprintf("subscription-%07d-%d", i, j),
			g.cat.planIDs[envIdx][plan], status, pricing, "NOT_REQUIRED", period, start, end, trialEnd, cancel, billing, meta,
			status == "IN_TRIAL", id, env)
		b.nSubs++
	}

	for _, feat := range g.sample(g.cat.features, g.r.IntN(3)) {
		status := peStatus.pick(g.r)
		unlimited := g.r.Float64() < 0.4
		start := g.later(created, 365)
		var end any
		period := "LIFETIME"
		if status == "EXPIRED" {
			end, period = g.later(start, 200), "CUSTOM"
		} else if g.r.Float64() < 0.6 {
			end, period = Now.Add(time.Duration(1+g.r.IntN(365))*24*time.Hour), "CUSTOM"
		}
		var limit any
		if !unlimited {
			limit = float64([]int{10, 100, 1000, 5000, 100000}[g.r.IntN(5)])
		}
		var reset any
		if p := g.pick(resetPeriods); p != "" {
			reset = p
		}
		visible := g.r.Float64() >= 0.1
		b.pes = append(b.pes, g.uuid(), start, g.later(start, 30), feat, period, start, end, limit, unlimited, reset, visible, id, env)
		b.nPEs++
	}

	for _, vendor := range g.sample(vendors, g.r.IntN(3)) {
		status := syncStatus.pick(g.r)
		var errV any
		if status == "ERROR" {
			errV = g.pick(syncErrors)
		}
		at := g.later(created, 10)
		b.syncs = append(b.syncs, g.uuid(), at, g.later(at, 90), "CUSTOMER", id, vendor, status, errV, id, env)
		b.nSyncs++
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
