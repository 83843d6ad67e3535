package proof

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/ent/customer"
)

// slotKinds are the customer fields one client owns on one customer: four
// plain fields written by updateOneCustomer and the default payment method,
// written by attach and detach.
var slotKinds = []string{"name", "email", "billingId", "crmId", "paymentMethod"}

// TestConcurrentWriters has many clients write to the same few customers
// through a real server at once, and compares the database with a
// sequential model afterwards.
//
// Every client owns one slot (a field of one customer) and is the only one
// to write it, so the final value of every slot is the last value its owner
// wrote, however the server interleaved the requests: that is the sequential
// model. The owners of one customer's five slots write the same row at the
// same time, so a write that rewrote a whole stale row, a transaction that
// lost another's update, or an acknowledged write that was not committed
// leaves a slot with a value other than its owner's last. Every tenth
// mutation of a client imports a new customer instead, so inserts compete
// with the updates and their count is checked too. Nothing is expected to
// fail: no error of any kind, and no "database is locked" in the server log.
//
// Default: 10 clients × 20 mutations on 2 customers; long: 50 × 200 on 10.
func TestConcurrentWriters(t *testing.T) {
	clients, perClient := pick(10, 50), pick(20, 200)
	eachBackend(t, func(t *testing.T, d *database) {
		srv := d.serve(t, unlimited...)
		c := srv.Client(clients + 8)
		nCustomers := (clients + len(slotKinds) - 1) / len(slotKinds)
		for k := range nCustomers {
			okDo(t, c, `mutation($id: String!) { provisionCustomer(input: {customerId: $id, name: "seed"}) { customer { customerId } } }`,
				map[string]any{"id": fmt.Sprintf("shared-%d", k)})
		}

		type slot struct{ customer, kind string }
		final := make(map[slot]*string, clients) // the sequential model
		imported := map[string]string{}          // customerId -> name
		var mu sync.Mutex
		var failures []string
		fail := func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			failures = append(failures, fmt.Sprintf(format, args...))
		}
		latencies := make([][]time.Duration, clients)

		start := make(chan struct{})
		var wg sync.WaitGroup
		for cl := range clients {
			own := slot{fmt.Sprintf("shared-%d", cl%nCustomers), slotKinds[cl/nCustomers]}
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				var last *string
				for i := range perClient {
					v := fmt.Sprintf("c%d-i%d", cl, i)
					var m mutation
					if i%10 == 9 {
						m = importMutation("load-"+v, "imported "+v)
					} else {
						m = slotMutation(own.customer, own.kind, v, i)
					}
					t0 := time.Now()
					r, err := c.Do(bg(), m.query, m.vars)
					latencies[cl] = append(latencies[cl], time.Since(t0))
					if err != nil {
						fail("client %d mutation %d: %v", cl, i, err)
						continue
					}
					if !r.OK() {
						fail("client %d mutation %d: status %d %.300s", cl, i, r.Status, r.Body)
						continue
					}
					if got := string(r.Data); !strings.Contains(got, m.echo) {
						fail("client %d mutation %d answered %s, want it to contain %s", cl, i, got, m.echo)
					}
					if i%10 == 9 {
						mu.Lock()
						imported["load-"+v] = "imported " + v
						mu.Unlock()
					} else {
						last = m.want
					}
				}
				mu.Lock()
				final[own] = last
				mu.Unlock()
			}()
		}
		began := time.Now()
		close(start)
		wg.Wait()
		elapsed := time.Since(began)

		if len(failures) > 0 {
			t.Errorf("%d of %d mutations failed; first ones:\n%s", len(failures), clients*perClient,
				strings.Join(failures[:min(10, len(failures))], "\n"))
		}
		if n := srv.Count("database is locked"); n > 0 {
			t.Errorf(`the server logged "database is locked" %d times`, n)
		}
		if n := srv.Count(`"level":"ERROR"`); n > 0 {
			t.Errorf("the server logged %d errors:\n%s", n, srv.Output())
		}
		if err := srv.Stop(30 * time.Second); err != nil {
			t.Error(err)
		}

		// The database, read directly, must equal the model.
		st := d.open(t)
		ctx, cancel := context.WithTimeout(bg(), time.Minute)
		defer cancel()
		rows, err := st.Client.Customer.Query().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		seen := map[string]map[string]*string{}
		for _, cu := range rows {
			if cu.DeletedAt != nil {
				t.Errorf("customer %s is archived", cu.CustomerID)
			}
			if strings.HasPrefix(cu.CustomerID, "load-") {
				got[cu.CustomerID] = deref(cu.Name)
				continue
			}
			seen[cu.CustomerID] = map[string]*string{"name": cu.Name, "email": cu.Email, "billingId": cu.BillingID,
				"crmId": cu.CrmID, "paymentMethod": cu.DefaultPaymentMethodID}
		}
		if len(seen) != nCustomers {
			t.Errorf("%d shared customers in the database, want %d", len(seen), nCustomers)
		}
		lost := 0
		for s, want := range final {
			have := seen[s.customer][s.kind]
			if deref(have) != deref(want) {
				lost++
				t.Errorf("%s.%s = %q, want %q (its owner's last write)", s.customer, s.kind, deref(have), deref(want))
			}
		}
		for id, name := range imported {
			if got[id] != name {
				lost++
				t.Errorf("imported customer %s: name %q, want %q", id, got[id], name)
			}
		}
		if len(got) != len(imported) {
			t.Errorf("%d imported customers in the database, %d acknowledged", len(got), len(imported))
		}
		n, err := st.Client.Customer.Query().Where(customer.CustomerIDHasPrefix("shared-")).Count(ctx)
		if err != nil || n != nCustomers {
			t.Errorf("shared customers: %d (%v)", n, err)
		}

		all := slices.Concat(latencies...)
		p50, p99 := percentile(all, 50), percentile(all, 99)
		t.Logf("%s: %d clients × %d mutations on %d customers in %s (%.0f mutations/s), latency p50 %s p99 %s; errors %d, lost updates %d, slots checked %d, imports checked %d",
			d.backend, clients, perClient, nCustomers, elapsed.Round(time.Millisecond),
			float64(clients*perClient)/elapsed.Seconds(), p50, p99, len(failures), lost, len(final), len(imported))
	})
}

// mutation is one request of a load client: what it sends, what its answer
// must contain, and the value its slot holds afterwards.
type mutation struct {
	query string
	vars  map[string]any
	echo  string
	want  *string
}

func slotMutation(customerID, kind, v string, i int) mutation {
	set := func(field, value string) mutation {
		return mutation{
			query: fmt.Sprintf(`mutation($id: String!, $v: String) { updateOneCustomer(input: {customerId: $id, %s: $v}) { %s } }`, field, field),
			vars:  map[string]any{"id": customerID, "v": value},
			echo:  fmt.Sprintf(`%q`, value),
			want:  &value,
		}
	}
	switch kind {
	case "email":
		return set("email", v+"@load.test")
	case "paymentMethod":
		if i%4 == 3 {
			return mutation{
				query: `mutation($id: String!) { detachCustomerPaymentMethod(input: {customerId: $id}) { defaultPaymentMethodId } }`,
				vars:  map[string]any{"id": customerID},
				echo:  `"defaultPaymentMethodId":null`,
			}
		}
		pm := "pm-" + v
		return mutation{
			query: `mutation($id: String!, $pm: String!) { attachCustomerPaymentMethod(input: {customerId: $id, paymentMethodId: $pm, vendorIdentifier: STRIPE}) { defaultPaymentMethodId } }`,
			vars:  map[string]any{"id": customerID, "pm": pm},
			echo:  fmt.Sprintf(`%q`, pm),
			want:  &pm,
		}
	}
	return set(kind, v)
}

func importMutation(id, name string) mutation {
	return mutation{
		query: `mutation($in: ImportCustomerInput!) { importOneCustomer(input: $in) { customerId name } }`,
		vars:  map[string]any{"in": map[string]any{"customerId": id, "name": name, "additionalMetaData": map[string]any{"source": "proof"}}},
		echo:  fmt.Sprintf(`%q`, name),
	}
}

func deref(s *string) string {
	if s == nil {
		return "<null>"
	}
	return *s
}

// percentile returns the p-th percentile (nearest rank) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[max(0, min(i, len(s)-1))].Round(10 * time.Microsecond)
}
