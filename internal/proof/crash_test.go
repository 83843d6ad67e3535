package proof

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/internal/proof/serverproc"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// crashArgs are the serve flags of the crash proofs: no rate limits, and
// room for a 50,000-customer import in one request.
var crashArgs = append([]string{"--max-body-bytes", strconv.Itoa(256 << 20), "--request-timeout", "10m"}, unlimited...)

// TestCrash kills the server with SIGKILL (no shutdown code runs) while it
// writes, restarts it on the same database, and checks what survived: the
// database passes its integrity checks, a bulk import is all there or not
// at all, every acknowledged mutation is there, and every mutation is
// either wholly there or absent. Default: a 5,000-customer import; long:
// 50,000.
func TestCrash(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the crash proof watches the server through /proc and pg_stat_activity: Linux only")
	}
	eachBackend(t, func(t *testing.T, d *database) {
		// The servers restarted by the subtests belong to this test, so
		// that the next subtest finds the last one running.
		owner := t
		srv := d.serve(t, crashArgs...)
		ok := t.Run("kill -9 during a bulk import", func(t *testing.T) {
			srv = crashBulkImport(t, owner, d, srv, pick(5000, 50000))
		})
		ok = ok && t.Run("kill -9 during a burst of mutations", func(t *testing.T) {
			srv = crashBurst(t, owner, d, srv, pick(16, 50), pick(150, 2000))
		})
		if ok {
			if err := srv.Stop(30 * time.Second); err != nil {
				t.Error(err)
			}
		}
	})
}

// crashBulkImport sends an import of n customers, kills the server once it
// has begun writing them, restarts it and checks the outcome. It returns
// the restarted server.
func crashBulkImport(t, owner *testing.T, d *database, srv *serverproc.Server, n int) *serverproc.Server {
	list := make([]map[string]any, n)
	for i := range list {
		id := fmt.Sprintf("crash-bulk-%05d", i)
		list[i] = map[string]any{"customerId": id, "name": "Bulk " + id, "email": id + "@crash.test",
			"additionalMetaData": map[string]any{"i": i}}
	}
	vars := map[string]any{"in": map[string]any{"customers": list}}
	const importQuery = `mutation($in: ImportCustomerBulkInput!) { importCustomersBulk(input: $in) }`

	c := srv.Client(2)
	type result struct {
		r   *serverproc.Response
		err error
	}
	done := make(chan result, 1)
	watch := newWriteWatch(t, d, srv)
	sent := time.Now()
	go func() {
		r, err := c.Do(bg(), importQuery, vars)
		done <- result{r, err}
	}()

	// Wait until the server's transaction has written, then kill it.
	deadline := time.After(2 * time.Minute)
	var how string
poll:
	for {
		select {
		case res := <-done:
			t.Fatalf("the import ended before the server wrote anything visible (%v, %v): nothing to crash", res.err, res.r != nil && res.r.OK())
		case <-deadline:
			t.Fatal("the server did not begin writing within 2 minutes")
		case <-time.After(2 * time.Millisecond):
			if ok, what := watch.begun(); ok {
				how = what
				break poll
			}
		}
	}
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	killedAfter := time.Since(sent)
	res := <-done
	if res.err == nil && res.r.OK() {
		t.Fatalf("the import was acknowledged before the kill (after %s): the kill came too late to prove anything", killedAfter)
	}

	srv = restart(t, owner, srv)
	st := d.open(t)
	checkIntegrity(t, d)
	got, err := st.Client.Customer.Query().Where(customer.CustomerIDHasPrefix("crash-bulk-")).Count(bg())
	if err != nil {
		t.Fatal(err)
	}
	if got != 0 && got != n {
		t.Fatalf("after the crash %d of %d imported customers exist: the import was torn", got, n)
	}
	t.Logf("%s: killed %s after sending a %d-customer import (%s); after restart %d present, integrity ok", d.backend, killedAfter.Round(time.Millisecond), n, how, got)

	// The restarted server takes the same import to completion.
	t0 := time.Now()
	okDo(t, srv.Client(2), importQuery, vars)
	got, err = st.Client.Customer.Query().Where(customer.CustomerIDHasPrefix("crash-bulk-")).Count(bg())
	if err != nil || got != n {
		t.Fatalf("after re-running the import: %d customers (%v), want %d", got, err, n)
	}
	t.Logf("%s: the restarted server imported all %d in %s", d.backend, n, time.Since(t0).Round(time.Millisecond))
	return srv
}

// writeWatch tells when the server has begun writing to the database: on
// PostgreSQL when one of its connections (found by application_name) holds
// a transaction id, which PostgreSQL assigns at the first write; on SQLite
// when the process has written to the database files (its write syscalls,
// from /proc/PID/io: an idle server writes nothing else before it answers).
type writeWatch struct {
	d        *database
	pid      int
	baseline int64
}

// sqliteWritten is how many bytes the server must have written before the
// SQLite transaction counts as under way: some WAL frames, more than any
// write outside the transaction.
const sqliteWritten = 256 << 10

func newWriteWatch(t *testing.T, d *database, srv *serverproc.Server) *writeWatch {
	w := &writeWatch{d: d, pid: srv.Pid()}
	if d.backend == testdb.SQLite {
		n, err := procWrites(w.pid)
		if err != nil {
			t.Skipf("cannot watch the server's writes: %v", err)
		}
		w.baseline = n
	}
	return w
}

func (w *writeWatch) begun() (bool, string) {
	if w.d.backend == testdb.Postgres {
		var n int
		err := w.d.admin.QueryRowContext(bg(), `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = $1 AND backend_xid IS NOT NULL`, w.d.schema).Scan(&n)
		return err == nil && n > 0, "its PostgreSQL transaction had an xid, i.e. had written"
	}
	n, err := procWrites(w.pid)
	if err != nil {
		return false, ""
	}
	return n-w.baseline >= sqliteWritten, fmt.Sprintf("it had written %d KiB to the database files", (n-w.baseline)>>10)
}

// procWrites returns the bytes process pid has written with write system
// calls (wchar in /proc/PID/io).
func procWrites(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "wchar: "); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, errors.New("no wchar in /proc/PID/io")
}

// restart starts a new server on the killed one's database and address;
// owner's end kills it.
func restart(t, owner *testing.T, srv *serverproc.Server) *serverproc.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(bg(), 2*time.Minute)
	defer cancel()
	s, err := srv.Restart(ctx)
	if err != nil {
		t.Fatal(err)
	}
	owner.Cleanup(func() { _ = s.Kill() })
	return s
}

// checkIntegrity runs the database's own consistency checks.
func checkIntegrity(t *testing.T, d *database) {
	t.Helper()
	st := d.open(t)
	ctx, cancel := context.WithTimeout(bg(), 2*time.Minute)
	defer cancel()
	if d.backend == testdb.SQLite {
		var res string
		if err := st.DB.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
			t.Fatalf("PRAGMA integrity_check = %q (%v)", res, err)
		}
		rows, err := st.DB.QueryContext(ctx, "PRAGMA foreign_key_check")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		if rows.Next() {
			t.Fatal("PRAGMA foreign_key_check reports rows violating foreign keys")
		}
		return
	}
	// PostgreSQL does the recovery; what the application relies on is
	// that its tables and indexes agree: the same rows through a sequential
	// scan and through each index, and no child row without its parent.
	conn, err := st.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	count := func(settings, query string) int {
		if _, err := conn.ExecContext(ctx, "RESET ALL; "+settings); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := conn.QueryRowContext(ctx, query).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	seq := count("SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off",
		`SELECT count(*) FROM customers`)
	byPK := count("SET enable_seqscan = off", `SELECT count(*) FROM customers WHERE id IS NOT NULL`)
	live := count("SET enable_seqscan = off", `SELECT count(*) FROM customers WHERE deleted_at IS NULL AND customer_id >= ''`)
	liveSeq := count("SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off",
		`SELECT count(*) FROM customers WHERE deleted_at IS NULL AND customer_id >= ''`)
	if seq != byPK || live != liveSeq {
		t.Fatalf("customers: %d rows by sequential scan, %d by primary key; live %d by index, %d by scan", seq, byPK, live, liveSeq)
	}
	orphans := count("", `SELECT
		(SELECT count(*) FROM customer_subscriptions s WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = s.customer_id)) +
		(SELECT count(*) FROM promotional_entitlements p WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = p.customer_id)) +
		(SELECT count(*) FROM customers c WHERE NOT EXISTS (SELECT 1 FROM environments e WHERE e.id = c.environment_id))`)
	if orphans != 0 {
		t.Fatalf("%d rows without their parent", orphans)
	}
	if _, err := conn.ExecContext(ctx, "RESET ALL"); err != nil {
		t.Fatal(err)
	}
}

// burstOp is one mutation of the burst and what it must have left behind.
type burstOp struct {
	kind  string // provision, batch, update
	id    string // customer (provision, update) or batch prefix
	token string // the name/email token written
	acked bool
}

// crashBurst has workers send mutations, kills the server once acked
// mutations have been acknowledged while more are in flight, restarts it
// and checks every mutation against what it wrote.
func crashBurst(t, owner *testing.T, d *database, srv *serverproc.Server, workers, acked int) *serverproc.Server {
	const batchSize = 10
	c := srv.Client(workers + 2)
	var (
		mu    sync.Mutex
		ops   []*burstOp
		nAck  atomic.Int64
		stop  = make(chan struct{})
		wg    sync.WaitGroup
		fatal atomic.Value
	)
	var running atomic.Int64
	running.Store(int64(workers))
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer running.Add(-1)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				tok := fmt.Sprintf("w%d-i%d", w, i)
				op := &burstOp{token: tok}
				var q string
				var vars map[string]any
				switch i % 3 {
				case 0:
					op.kind, op.id = "provision", "crash-burst-"+tok
					q = `mutation($id: String!, $n: String, $e: String) { provisionCustomer(input: {customerId: $id, name: $n, email: $e, additionalMetaData: {kind: "burst"}}) { customer { customerId } } }`
					vars = map[string]any{"id": op.id, "n": "p-" + tok, "e": "p-" + tok + "@crash.test"}
				case 1:
					op.kind, op.id = "batch", "crash-batch-"+tok+"-"
					list := make([]map[string]any, batchSize)
					for j := range list {
						list[j] = map[string]any{"customerId": fmt.Sprintf("%s%02d", op.id, j), "name": "b-" + tok}
					}
					q = `mutation($in: ImportCustomerBulkInput!) { importCustomersBulk(input: $in) }`
					vars = map[string]any{"in": map[string]any{"customers": list}}
				case 2:
					// Updates the customer this worker provisioned two
					// steps ago (acknowledged, or the worker had stopped).
					op.kind, op.id = "update", fmt.Sprintf("crash-burst-w%d-i%d", w, i-2)
					q = `mutation($id: String!, $n: String, $e: String) { updateOneCustomer(input: {customerId: $id, name: $n, email: $e}) { customerId } }`
					vars = map[string]any{"id": op.id, "n": "u-" + tok, "e": "u-" + tok + "@crash.test"}
				}
				mu.Lock()
				ops = append(ops, op)
				mu.Unlock()
				r, err := c.Do(bg(), q, vars)
				if err != nil {
					return // the server is gone: this op is in doubt
				}
				if !r.OK() {
					fatal.CompareAndSwap(nil, fmt.Sprintf("%s %s before the kill: %d %.300s", op.kind, op.id, r.Status, r.Body))
					return
				}
				mu.Lock()
				op.acked = true
				mu.Unlock()
				nAck.Add(1)
			}
		}()
	}
	deadline := time.Now().Add(2 * time.Minute)
	for nAck.Load() < int64(acked) && time.Now().Before(deadline) && fatal.Load() == nil && running.Load() == int64(workers) {
		time.Sleep(time.Millisecond)
	}
	if running.Load() != int64(workers) && fatal.Load() == nil {
		fatal.Store(fmt.Sprintf("a worker lost the server before the kill:\n%s", srv.Output()))
	}
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	if f := fatal.Load(); f != nil {
		t.Fatal(f)
	}
	inDoubt := 0
	for _, op := range ops {
		if !op.acked {
			inDoubt++
		}
	}
	if inDoubt == 0 {
		t.Fatal("no mutation was in flight at the kill")
	}

	srv = restart(t, owner, srv)
	checkIntegrity(t, d)
	st := d.open(t)
	rows, err := st.Client.Customer.Query().Where(customer.Or(customer.CustomerIDHasPrefix("crash-burst-"), customer.CustomerIDHasPrefix("crash-batch-"))).All(bg())
	if err != nil {
		t.Fatal(err)
	}
	type state struct{ name, email string }
	stored := make(map[string]state, len(rows))
	for _, r := range rows {
		stored[r.CustomerID] = state{deref(r.Name), deref(r.Email)}
	}
	pair := func(prefix, tok string) state { return state{prefix + tok, prefix + tok + "@crash.test"} }
	updates := map[string]*burstOp{}
	for _, op := range ops {
		if op.kind == "update" {
			updates[op.id] = op
		}
	}
	present, absent := 0, 0
	for _, op := range ops {
		switch op.kind {
		case "provision":
			got, ok := stored[op.id]
			if !ok {
				if op.acked {
					t.Errorf("acknowledged provisionCustomer %s is missing", op.id)
				}
				absent++
				continue
			}
			present++
			want := []state{pair("p-", op.token)}
			if u := updates[op.id]; u != nil {
				if u.acked {
					want = []state{pair("u-", u.token)}
				} else {
					want = append(want, pair("u-", u.token))
				}
			}
			if got != want[0] && (len(want) == 1 || got != want[1]) {
				t.Errorf("customer %s is %+v, want one of %+v (torn or lost write)", op.id, got, want)
			}
		case "batch":
			n := 0
			for j := range batchSize {
				if got, ok := stored[fmt.Sprintf("%s%02d", op.id, j)]; ok {
					n++
					if got.name != "b-"+op.token {
						t.Errorf("batch %s: customer %d has name %q", op.id, j, got.name)
					}
				}
			}
			switch {
			case n == 0 && op.acked:
				t.Errorf("acknowledged batch import %s is missing", op.id)
			case n != 0 && n != batchSize:
				t.Errorf("batch import %s is torn: %d of %d customers", op.id, n, batchSize)
			}
			if n == 0 {
				absent++
			} else {
				present++
			}
		case "update":
			if op.acked {
				present++ // checked with its customer above
			}
		}
	}
	t.Logf("%s: killed during a burst of %d workers after %d acknowledged mutations; %d in doubt; after restart every acknowledged one is there, %d unacknowledged absent, none torn",
		d.backend, workers, nAck.Load(), inDoubt, absent)

	// The restarted server serves reads and writes.
	okDo(t, srv.Client(1), `mutation { provisionCustomer(input: {customerId: "after-crash"}) { customer { customerId } } }`, nil)
	return srv
}
