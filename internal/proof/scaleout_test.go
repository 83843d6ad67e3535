package proof

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/internal/proof/serverproc"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// TestScaleOut runs two server processes on one PostgreSQL schema, as two
// replicas behind a load balancer: they migrate concurrently at start, what
// one writes the other reads, and customerId stays unique when both are
// asked to create the same customer at the same moment.
func TestScaleOut(t *testing.T) {
	d := freshDatabase(t, testdb.Postgres)

	// Both replicas start at once on the empty schema: the migrations
	// they race to apply must be applied once.
	var a, b *serverproc.Server
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a = startReplica(t, d) }()
	go func() { defer wg.Done(); b = startReplica(t, d) }()
	wg.Wait()
	if a == nil || b == nil {
		t.FailNow()
	}
	if a.Addr == b.Addr {
		t.Fatalf("both replicas on %s", a.Addr)
	}
	ca, cb := a.Client(64), b.Client(64)

	t.Run("writes through one are read through the other", func(t *testing.T) {
		okDo(t, ca, `mutation { provisionCustomer(input: {customerId: "scale-1", name: "Written by A", email: "a@scale.test"}) { customer { customerId } } }`, nil)
		got := customerName(t, cb, "scale-1")
		if got != "Written by A" {
			t.Fatalf("B reads name %q", got)
		}
		okDo(t, cb, `mutation { updateOneCustomer(input: {customerId: "scale-1", name: "Renamed by B"}) { customerId } }`, nil)
		if got := customerName(t, ca, "scale-1"); got != "Renamed by B" {
			t.Fatalf("A reads name %q after B's update", got)
		}
		// A bulk import through B is counted through A.
		var list []map[string]any
		for i := range 200 {
			list = append(list, map[string]any{"customerId": fmt.Sprintf("bulk-%03d", i), "name": "bulk"})
		}
		okDo(t, cb, `mutation($in: ImportCustomerBulkInput!) { importCustomersBulk(input: $in) }`,
			map[string]any{"in": map[string]any{"customers": list}})
		var out struct{ Customers struct{ TotalCount int } }
		r := okDo(t, ca, `{ customers(filter: {customerId: {like: "bulk-%"}}) { totalCount } }`, nil)
		if err := r.Decode(&out); err != nil || out.Customers.TotalCount != 200 {
			t.Fatalf("A counts %d bulk customers (%v), want 200", out.Customers.TotalCount, err)
		}
		// Archiving through A frees the customerId for B.
		okDo(t, ca, `mutation { archiveCustomer(input: {customerId: "scale-1"}) { customerId } }`, nil)
		okDo(t, cb, `mutation { provisionCustomer(input: {customerId: "scale-1", name: "Again"}) { customer { customerId } } }`, nil)
	})

	t.Run("customerId stays unique under a race between replicas", func(t *testing.T) {
		const rounds, racers = 5, 24
		st := d.open(t)
		for round := range rounds {
			id := fmt.Sprintf("race-%d", round)
			start := make(chan struct{})
			results := make([]*serverproc.Response, racers)
			errs := make([]error, racers)
			var wg sync.WaitGroup
			for i := range racers {
				c := ca
				if i%2 == 1 {
					c = cb
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					results[i], errs[i] = c.Do(bg(), `mutation($id: String!, $n: String) { provisionCustomer(input: {customerId: $id, name: $n}) { customer { customerId } } }`,
						map[string]any{"id": id, "n": fmt.Sprintf("racer %d", i)})
				}()
			}
			close(start)
			wg.Wait()
			won, dup := 0, 0
			for i := range racers {
				switch {
				case errs[i] != nil:
					t.Fatalf("%s racer %d: %v", id, i, errs[i])
				case results[i].OK():
					won++
				case len(results[i].Errors) == 1 && results[i].Errors[0].Code() == "DuplicatedEntityNotAllowed":
					dup++
				default:
					t.Fatalf("%s racer %d: unexpected answer %d %s", id, i, results[i].Status, results[i].Body)
				}
			}
			var rows int
			if err := st.DB.QueryRowContext(bg(), `SELECT count(*) FROM customers WHERE customer_id = $1`, id).Scan(&rows); err != nil {
				t.Fatal(err)
			}
			if won != 1 || dup != racers-1 || rows != 1 {
				t.Fatalf("%s: %d created, %d DuplicatedEntityNotAllowed, %d rows; want 1, %d, 1", id, won, dup, rows, racers-1)
			}
		}
		t.Logf("%d rounds of %d concurrent provisionCustomer split across two replicas: one winner each, the rest DuplicatedEntityNotAllowed", rounds, racers)
	})

	for _, s := range []*serverproc.Server{a, b} {
		if n := s.Count("database is locked") + s.Count("panic"); n > 0 {
			t.Errorf("replica %s logged %d lock errors or panics:\n%s", s.Addr, n, s.Output())
		}
		if err := s.Stop(20 * time.Second); err != nil {
			t.Errorf("replica %s: %v", s.Addr, err)
		}
	}
}

// startReplica starts one replica of d; it reports a failure on t rather
// than stopping the goroutine it runs in.
func startReplica(t *testing.T, d *database) *serverproc.Server {
	s, err := serverproc.Start(context.Background(), serverproc.Options{DB: d.url, APIKey: proofKey, Args: unlimited,
		Watch: []string{"database is locked", "panic"}})
	if err != nil {
		t.Error(err)
		return nil
	}
	t.Cleanup(func() { _ = s.Kill() })
	return s
}

// customerName reads a customer's name through c.
func customerName(t *testing.T, c *serverproc.Client, id string) string {
	t.Helper()
	var out struct {
		GetCustomerByRefID struct{ Name string } `json:"getCustomerByRefId"`
	}
	r := okDo(t, c, `query($id: String!) { getCustomerByRefId(input: {customerId: $id}) { name } }`, map[string]any{"id": id})
	if err := r.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out.GetCustomerByRefID.Name
}
