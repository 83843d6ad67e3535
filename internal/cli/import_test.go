package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/customers"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/importer"
)

// TestImportCustomersResumes runs `import customers` in process on a 2000-row
// CSV file into SQLite, stops it after three batches as Ctrl-C would, runs
// it again, and checks that it continued where it stopped: every valid row
// is in the database once, rows of the first run were not written again,
// and the summary counts both runs.
func TestImportCustomersResumes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbURL := "file:" + filepath.Join(dir, "stigg.db")
	st, err := db.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	k, err := auth.CreateKey(ctx, st.Client, auth.DefaultEnvironmentSlug, "")
	if err != nil {
		t.Fatal(err)
	}
	env := k.Environment.ID
	svc := customers.New(st.Client, clock.System{})
	// Customers that exist before the import: the rows of cust-0010..14
	// carry an older updatedAt (skipped), those of cust-0015..19 none
	// (updated).
	old := "before"
	for i := 10; i < 20; i++ {
		if _, err := svc.Create(ctx, env, customers.CreateInput{CustomerID: fmt.Sprintf("cust-%04d", i), Fields: customers.Fields{Name: &old}}); err != nil {
			t.Fatal(err)
		}
	}

	const rows = 2000
	var b strings.Builder
	b.WriteString("customerId,name,email,billingId,additionalMetaData,updatedAt\n")
	failed := 0
	for i := 1; i <= rows; i++ {
		id, email, updatedAt := fmt.Sprintf("cust-%04d", i), fmt.Sprintf("c%d@example.com", i), ""
		switch {
		case i%100 == 0:
			email, failed = "not an email", failed+1
		case i == 1501:
			id, failed = "", failed+1
		case i == 1999:
			id, failed = "cust-0001", failed+1 // a duplicate of row 1
		case i >= 10 && i < 15:
			updatedAt = "2020-01-01T00:00:00Z"
		}
		fmt.Fprintf(&b, "%s,Customer %d,%s,cus_%d,\"{\"\"row\"\": %d}\",%s\n", id, i, email, i, i, updatedAt)
	}
	file := filepath.Join(dir, "customers.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"import", "customers", file, "--db", dbURL, "--batch-size", "300"}

	// First run: cancelled after batch 3 (rows 1-900).
	runCtx, cancel := context.WithCancel(ctx)
	importAfterBatch = func(batch int) {
		if batch == 3 {
			cancel()
		}
	}
	defer func() { importAfterBatch = nil }()
	var stdout, stderr bytes.Buffer
	err = run(runCtx, args, &stdout, &stderr)
	cancel()
	if err == nil || !strings.Contains(err.Error(), "interrupted after batch 3 (rows 1-900 of 2000 done)") {
		t.Fatalf("first run: err = %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "Partly imported") || !strings.Contains(stderr.String(), "stopping after the current batch") {
		t.Fatalf("first run output:\n%s\n%s", stdout.String(), stderr.String())
	}
	state, err := importer.LoadState(importer.StatePath(file))
	if err != nil || state == nil || state.BatchesDone != 3 || state.RowsDone != 900 {
		t.Fatalf("checkpoint after the first run: %+v, %v", state, err)
	}
	live := func() int {
		n, err := st.Client.Customer.Query().Where(customer.EnvironmentID(env), customer.DeletedAtIsNil()).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// 900 rows, 9 with a bad email, 10 of existing customers.
	if n := live(); n != 10+900-9-10 {
		t.Fatalf("%d customers after the first run, want %d", n, 10+900-9-10)
	}
	first, err := svc.Get(ctx, env, "cust-0002")
	if err != nil {
		t.Fatal(err)
	}

	// Second run: the same command continues after row 900.
	importAfterBatch = nil
	stdout.Reset()
	stderr.Reset()
	err = run(ctx, args, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%d of 2000 rows failed", failed)) {
		t.Fatalf("second run: err = %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "resuming: an earlier run") || !strings.Contains(stderr.String(), "completed batch 3, rows 1-900; continuing from row 901") {
		t.Fatalf("no resume note:\n%s", stderr.String())
	}
	out := stdout.String()
	created := rows - failed - 10
	for _, want := range []string{
		"Imported " + file + ` into environment "default": 2000 rows (resumed after row 900`,
		fmt.Sprintf("created  %d\n", created),
		"updated  5\n",
		"skipped  5 ",
		fmt.Sprintf("failed   %d\n", failed),
		`row 100 (line 101) customerId "cust-0100": email "not an email" is not a valid email address`,
		"row 1501 (line 1502): customerId is required",
		`row 1999 (line 2000) customerId "cust-0001": customerId "cust-0001" already appears in row 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "\n  row ") != failed {
		t.Errorf("summary lists %d failed rows, want %d:\n%s", strings.Count(out, "\n  row "), failed, out)
	}
	if _, err := os.Stat(importer.StatePath(file)); !os.IsNotExist(err) {
		t.Fatalf("checkpoint left after the import completed: %v", err)
	}

	// The database: every valid row once.
	if n := live(); n != created+10 {
		t.Fatalf("%d customers, want %d", n, created+10)
	}
	all, err := st.Client.Customer.Query().Where(customer.EnvironmentID(env), customer.DeletedAtIsNil()).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range all {
		if seen[c.CustomerID] {
			t.Fatalf("%s is there twice", c.CustomerID)
		}
		seen[c.CustomerID] = true
	}
	for i := 1; i <= rows; i++ {
		id := fmt.Sprintf("cust-%04d", i)
		want := i%100 != 0 && i != 1501 && i != 1999
		if seen[id] != want {
			t.Errorf("%s in the database: %v, want %v", id, seen[id], want)
		}
	}
	c, err := svc.Get(ctx, env, "cust-1234")
	if err != nil {
		t.Fatal(err)
	}
	if c.Name == nil || *c.Name != "Customer 1234" || c.BillingID == nil || *c.BillingID != "cus_1234" || fmt.Sprint(c.AdditionalMetaData["row"]) != "1234" {
		t.Fatalf("cust-1234 = %+v", c)
	}
	for i, want := range map[int]string{12: "before", 17: "Customer 17"} {
		c, err := svc.Get(ctx, env, fmt.Sprintf("cust-%04d", i))
		if err != nil {
			t.Fatal(err)
		}
		if c.Name == nil || *c.Name != want {
			t.Errorf("cust-%04d: name %v, want %q", i, c.Name, want)
		}
	}
	again, err := svc.Get(ctx, env, "cust-0002")
	if err != nil {
		t.Fatal(err)
	}
	if !again.UpdatedAt.Equal(first.UpdatedAt) {
		t.Errorf("cust-0002 (batch 1) was written again by the resumed run: updatedAt %v, then %v", first.UpdatedAt, again.UpdatedAt)
	}
}

// TestImportCustomersCommandErrors covers the command's own checks.
func TestImportCustomersCommandErrors(t *testing.T) {
	dir := t.TempDir()
	dbURL := "file:" + filepath.Join(dir, "stigg.db")
	file := filepath.Join(dir, "c.json")
	if err := os.WriteFile(file, []byte(`[{"customerId": "a"}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"import"}, "expected: import customers FILE"},
		{[]string{"import", "customers", "--db", dbURL}, "expected one FILE, got 0"},
		{[]string{"import", "customers", file, "--db", dbURL, "--batch-size", "0"}, "--batch-size must be between 1"},
		{[]string{"import", "customers", file, "--db", dbURL, "--format", "xml"}, `unknown format "xml"`},
		{[]string{"import", "customers", "--db", dbURL, "--environment", "nope", file}, `environment "nope" does not exist`},
	} {
		var stdout, stderr bytes.Buffer
		if err := run(ctx, tc.args, &stdout, &stderr); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want one containing %q", tc.args, err, tc.want)
		}
	}
	// Flags after FILE work too, and a clean file exits 0.
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"keys", "create", "--db", dbURL}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	if err := run(ctx, []string{"import", "customers", file, "--db", dbURL}, &stdout, &stderr); err != nil {
		t.Fatalf("err = %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "created  1\n") {
		t.Fatalf("summary:\n%s", stdout.String())
	}
}

// run runs a command line in process, as the binary does.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return App{}.Run(ctx, args, stdout, stderr)
}
