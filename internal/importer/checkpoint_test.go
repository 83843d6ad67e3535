package importer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/internal/customers"
)

// fakeService keeps customers in a map, like the real service would: a
// customerId seen before is updated (or skipped, when the row's updatedAt
// is older than the stored one).
type fakeService struct {
	stored  map[string]time.Time
	writes  map[string]int // how many times each customerId was written
	calls   int
	failOn  int // when > 0, the failOn-th call fails
	batches [][]string
}

func newFake() *fakeService {
	return &fakeService{stored: map[string]time.Time{}, writes: map[string]int{}}
}

func (f *fakeService) ImportBatch(ctx context.Context, env uuid.UUID, in []customers.ImportInput) ([]customers.Outcome, error) {
	f.calls++
	if f.calls == f.failOn {
		return nil, errors.New("database is on fire")
	}
	var ids []string
	out := make([]customers.Outcome, len(in))
	for i, c := range in {
		ids = append(ids, c.CustomerID)
		at, ok := f.stored[c.CustomerID]
		switch {
		case !ok:
			out[i] = customers.OutcomeCreated
		case c.UpdatedAt != nil && at.After(*c.UpdatedAt):
			out[i] = customers.OutcomeSkipped
			continue
		default:
			out[i] = customers.OutcomeUpdated
		}
		f.stored[c.CustomerID] = time.Now()
		f.writes[c.CustomerID]++
	}
	f.batches = append(f.batches, ids)
	return out, nil
}

// writeCSV writes n rows c1..cn; every row number in bad gets a bad email.
func writeCSV(t *testing.T, dir string, n int, bad map[int]bool) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("customerId,email\n")
	for i := 1; i <= n; i++ {
		email := fmt.Sprintf("c%d@example.com", i)
		if bad[i] {
			email = "not-an-email"
		}
		fmt.Fprintf(&b, "c%d,%s\n", i, email)
	}
	p := filepath.Join(dir, "customers.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestStateRoundTrip(t *testing.T) {
	dir := t.TempDir()
	p := StatePath(filepath.Join(dir, "in.json"))
	if filepath.Base(p) != "in.json.import-state.json" {
		t.Fatalf("state path %s", p)
	}
	if s, err := LoadState(p); s != nil || err != nil {
		t.Fatalf("missing checkpoint: %v, %v", s, err)
	}
	want := &State{Version: stateVersion, Input: Fingerprint{Size: 3, ModTime: time.Unix(5, 0).UTC(), SHA256: "ab"}, Environment: "default",
		EnvironmentID: uuid.New(), BatchSize: 10, BatchesDone: 2, RowsDone: 20, Counts: Counts{Created: 19, Failed: 1},
		Failures: []Failure{{Row: 3, Line: 4, CustomerID: "c3", Reason: "bad"}}, StartedAt: time.Unix(1, 0).UTC(), UpdatedAt: time.Unix(2, 0).UTC()}
	for range 2 { // the second save replaces the first
		if err := SaveState(p, want); err != nil {
			t.Fatal(err)
		}
	}
	got, err := LoadState(p)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("loaded %+v, want %+v", got, want)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
	if err := os.WriteFile(p, []byte("{half"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadState(p); err == nil || !strings.Contains(err.Error(), "--restart") {
		t.Fatalf("corrupt checkpoint: err = %v", err)
	}
	if err := RemoveState(p); err != nil {
		t.Fatal(err)
	}
	if err := RemoveState(p); err != nil {
		t.Fatalf("removing a missing checkpoint: %v", err)
	}
}

func TestDecide(t *testing.T) {
	env, other := uuid.New(), uuid.New()
	fp := Fingerprint{Size: 10, ModTime: time.Unix(100, 0), SHA256: "aa"}
	st := func(mod func(*State)) *State {
		s := &State{Version: stateVersion, Input: fp, Environment: "default", EnvironmentID: env, BatchesDone: 3, RowsDone: 30}
		if mod != nil {
			mod(s)
		}
		return s
	}
	for _, tc := range []struct {
		name    string
		st      *State
		restart bool
		resume  bool
		note    string
		err     string
	}{
		{name: "no checkpoint"},
		{name: "same file", st: st(nil), resume: true, note: "resuming"},
		{name: "touched, same content", st: st(func(s *State) { s.Input.ModTime = time.Unix(1, 0) }), resume: true, note: "resuming"},
		{name: "restart", st: st(nil), restart: true, note: "--restart"},
		{name: "changed content", st: st(func(s *State) { s.Input.SHA256 = "bb" }), note: "the file changed"},
		{name: "changed size", st: st(func(s *State) { s.Input.Size = 11 }), note: "the file changed"},
		{name: "old format", st: st(func(s *State) { s.Version = 0 }), note: "format version"},
		{name: "other environment", st: st(func(s *State) { s.EnvironmentID = other; s.Environment = "staging" }), err: "--environment staging"},
		{name: "other environment, restart", st: st(func(s *State) { s.EnvironmentID = other }), restart: true, note: "--restart"},
		{name: "nothing done yet", st: st(func(s *State) { s.RowsDone, s.BatchesDone, s.EnvironmentID = 0, 0, other })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := decide(tc.st, fp, env, "default", tc.restart)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.resume != tc.resume || !strings.Contains(d.note, tc.note) || (tc.note == "" && d.note != "") {
				t.Fatalf("decision %+v, want resume %v and a note containing %q", d, tc.resume, tc.note)
			}
		})
	}
}

// TestRunResumes interrupts an import after two batches, resumes it, and
// checks that every row was written once and the counts cover both runs.
func TestRunResumes(t *testing.T) {
	dir := t.TempDir()
	path := writeCSV(t, dir, 95, map[int]bool{5: true, 50: true})
	svc := newFake()
	env := uuid.New()
	ctx, cancel := context.WithCancel(context.Background())
	var progress bytes.Buffer
	opt := Options{Path: path, Service: svc, EnvironmentID: env, Environment: "default", BatchSize: 20, Progress: &progress,
		AfterBatch: func(b int) {
			if b == 2 {
				cancel()
			}
		}}
	sum, err := Run(ctx, opt)
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v, want interrupted", err)
	}
	if !sum.Interrupted || sum.RowsDone != 40 || sum.Batches != 2 || sum.Created != 39 || sum.Failed != 1 {
		t.Fatalf("interrupted summary %+v", sum)
	}
	st, err := LoadState(StatePath(path))
	if err != nil || st == nil || st.BatchesDone != 2 || st.RowsDone != 40 {
		t.Fatalf("checkpoint after interruption: %+v, %v", st, err)
	}
	if !strings.Contains(progress.String(), "stopping after the current batch") {
		t.Errorf("no stopping note in %q", progress.String())
	}

	progress.Reset()
	opt.AfterBatch = nil
	sum, err = Run(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(progress.String(), "resuming: an earlier run") || !strings.Contains(progress.String(), "continuing from row 41") {
		t.Errorf("no resume note in %q", progress.String())
	}
	if sum.Interrupted || sum.Rows != 95 || sum.Batches != 5 || sum.Created != 93 || sum.Updated != 0 || sum.Failed != 2 || sum.ResumedFrom != 40 {
		t.Fatalf("final summary %+v", sum)
	}
	if len(sum.Failures) != 2 || sum.Failures[0].Row != 5 || sum.Failures[0].Line != 6 || sum.Failures[1].Row != 50 || sum.Failures[1].CustomerID != "c50" {
		t.Fatalf("failures %+v", sum.Failures)
	}
	for id, n := range svc.writes {
		if n != 1 {
			t.Errorf("%s written %d times", id, n)
		}
	}
	if len(svc.writes) != 93 || len(svc.batches) != 5 {
		t.Fatalf("%d customers in %d batches", len(svc.writes), len(svc.batches))
	}
	if _, err := os.Stat(StatePath(path)); !os.IsNotExist(err) {
		t.Fatalf("checkpoint left after success: %v", err)
	}
	var out bytes.Buffer
	sum.Write(&out)
	for _, want := range []string{"created  93", "failed   2", `row 5 (line 6) customerId "c5": email "not-an-email" is not a valid email address`, "resumed after row 40"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}

// TestRunStartsOverWhenTheFileChanged: a checkpoint of other content is
// not resumed; --restart ignores a good one.
func TestRunStartsOverWhenTheFileChanged(t *testing.T) {
	dir := t.TempDir()
	path := writeCSV(t, dir, 30, nil)
	svc := newFake()
	ctx, cancel := context.WithCancel(context.Background())
	opt := Options{Path: path, Service: svc, EnvironmentID: uuid.New(), Environment: "default", BatchSize: 10,
		AfterBatch: func(int) { cancel() }}
	if _, err := Run(ctx, opt); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v", err)
	}
	path = writeCSV(t, dir, 31, nil) // same name, new content
	var progress bytes.Buffer
	opt.AfterBatch, opt.Progress = nil, &progress
	sum, err := Run(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(progress.String(), "the file changed") || sum.ResumedFrom != 0 {
		t.Fatalf("changed file resumed: %q %+v", progress.String(), sum)
	}
	// Rows 1-10 were imported by the first run: now updates.
	if sum.Created != 21 || sum.Updated != 10 || sum.Batches != 4 {
		t.Fatalf("summary %+v", sum)
	}

	// --restart ignores a valid checkpoint.
	ctx, cancel = context.WithCancel(context.Background())
	opt.AfterBatch = func(int) { cancel() }
	if _, err := Run(ctx, opt); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v", err)
	}
	opt.AfterBatch, opt.Restart = nil, true
	progress.Reset()
	sum, err = Run(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(progress.String(), "--restart") || sum.ResumedFrom != 0 || sum.Updated != 31 {
		t.Fatalf("restart: %q %+v", progress.String(), sum)
	}
}

// TestRunFailedBatchKeepsCheckpoint: a batch the service refuses stops the
// import with the batches before it kept; the next run redoes that batch.
func TestRunFailedBatchKeepsCheckpoint(t *testing.T) {
	dir := t.TempDir()
	path := writeCSV(t, dir, 50, nil)
	svc := newFake()
	svc.failOn = 3
	opt := Options{Path: path, Service: svc, EnvironmentID: uuid.New(), Environment: "default", BatchSize: 10}
	sum, err := Run(context.Background(), opt)
	if err == nil || !strings.Contains(err.Error(), "batch 3 (rows 21-30) was not imported: database is on fire") {
		t.Fatalf("err = %v", err)
	}
	if sum.RowsDone != 20 || sum.Created != 20 {
		t.Fatalf("summary %+v", sum)
	}
	sum, err = Run(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Created != 50 || sum.ResumedFrom != 20 || len(svc.writes) != 50 {
		t.Fatalf("summary %+v, %d written", sum, len(svc.writes))
	}
}

// TestRunRefusesOtherEnvironment keeps a checkpoint of another environment.
func TestRunRefusesOtherEnvironment(t *testing.T) {
	dir := t.TempDir()
	path := writeCSV(t, dir, 30, nil)
	ctx, cancel := context.WithCancel(context.Background())
	opt := Options{Path: path, Service: newFake(), EnvironmentID: uuid.New(), Environment: "staging", BatchSize: 10,
		AfterBatch: func(int) { cancel() }}
	if _, err := Run(ctx, opt); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v", err)
	}
	opt.EnvironmentID, opt.Environment, opt.AfterBatch = uuid.New(), "default", nil
	if _, err := Run(context.Background(), opt); err == nil || !strings.Contains(err.Error(), `is for environment "staging"`) {
		t.Fatalf("err = %v", err)
	}
	if st, _ := LoadState(StatePath(path)); st == nil || st.Environment != "staging" {
		t.Fatalf("the other environment's checkpoint was lost: %+v", st)
	}
}

// TestRunDuplicatesAcrossBatches: a customerId repeated in a later batch
// fails as a duplicate, in the first run and in a resumed one alike.
func TestRunDuplicatesAcrossBatches(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "dups.json")
	src := `[{"customerId":"a"},{"customerId":"b"},{"customerId":"bad","email":"x"},{"customerId":"bad"},{"customerId":"a"}]`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	opt := Options{Path: path, Service: newFake(), EnvironmentID: uuid.New(), Environment: "default", BatchSize: 2,
		AfterBatch: func(int) { cancel() }}
	if _, err := Run(ctx, opt); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v", err)
	}
	opt.AfterBatch = nil
	sum, err := Run(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	// Row 3 is invalid, so row 4 is the first valid "bad"; row 5 repeats a.
	if sum.Created != 3 || sum.Failed != 2 || sum.Failures[1].Row != 5 || !strings.Contains(sum.Failures[1].Reason, `"a" already appears in row 1`) {
		t.Fatalf("summary %+v", sum)
	}
}

func TestProgressLines(t *testing.T) {
	var buf bytes.Buffer
	now := time.Unix(0, 0)
	p := newProgress(&buf, false, 100, 0)
	p.now = func() time.Time { return now }
	p.started, p.lastOut = now, now
	p.update(10, 1, false) // too soon for a plain line
	now = now.Add(6 * time.Second)
	p.update(50, 5, false)
	p.update(60, 6, false) // too soon again
	now = now.Add(time.Second)
	p.update(100, 10, true)
	got := buf.String()
	if strings.Count(got, "\n") != 2 || !strings.Contains(got, "import: 50/100 rows (50%), batch 5") || !strings.Contains(got, "100/100") {
		t.Fatalf("plain progress:\n%s", got)
	}
	buf.Reset()
	p = newProgress(&buf, true, 100, 0)
	p.update(50, 1, false)
	p.say("hello")
	p.update(100, 2, true)
	got = buf.String()
	if !strings.Contains(got, "\r[===============               ]  50/100") && !strings.Contains(got, "\r[===============               ] 50/100") {
		t.Fatalf("bar: %q", got)
	}
	if !strings.Contains(got, "\x1b[K\nhello\n\r[") || !strings.HasSuffix(got, "\n") {
		t.Fatalf("bar and note: %q", got)
	}
	if IsTerminal(&buf) {
		t.Fatal("a buffer is not a terminal")
	}
}
