// Package importer imports customers from a CSV or JSON file (the shape of
// Stigg's bulk import) into one environment, in batches, resumably.
//
// The file is read twice, streaming: once to check its syntax, count its
// rows and hash it, then to import. Rows are cut into batches of a fixed
// number of rows; in each batch, rows that cannot be imported (bad fields,
// a customerId an earlier row already has) are set aside as failed and the
// others go to customers.Service.ImportBatch in one transaction. After each
// committed batch a checkpoint next to the file (FILE.import-state.json)
// records how far the import got, so that running it again after an
// interruption continues after the last completed batch. The checkpoint is
// removed when the import completes.
//
// A crash between a batch's commit and its checkpoint re-applies that
// batch on the next run: harmless (its rows are updated, or skipped when
// they carry an updatedAt), but they are then counted as updated or skipped
// instead of created.
package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/customers"
)

// DefaultBatchSize is the number of rows a batch holds unless told.
const DefaultBatchSize = 500

// Importer is the customers service as the importer uses it.
type Importer interface {
	ImportBatch(ctx context.Context, env uuid.UUID, in []customers.ImportInput) ([]customers.Outcome, error)
}

// Options configure Run.
type Options struct {
	// Path is the input file.
	Path string
	// Format is the file's syntax; empty detects it (DetectFormat).
	Format Format
	// Service imports the batches.
	Service Importer
	// EnvironmentID is where the customers go; Environment is its slug,
	// for messages and the checkpoint.
	EnvironmentID uuid.UUID
	Environment   string
	// BatchSize is the number of rows per batch (DefaultBatchSize if 0).
	BatchSize int
	// Restart ignores an existing checkpoint and starts from the first row.
	Restart bool
	// Progress receives the progress bar (Terminal) or lines, and notes
	// such as "resuming"; nil is silent.
	Progress io.Writer
	Terminal bool
	// ProgressEvery is how often a plain progress line is written (5s if 0).
	ProgressEvery time.Duration
	// OnStop is called once when ctx is cancelled while batches remain,
	// after the "stopping" note (the command restores the default signal
	// handling, so that a second Ctrl-C ends the process at once).
	OnStop func()
	// AfterBatch, when set, is called after each batch's checkpoint is
	// written, with the batch number (tests interrupt imports with it).
	AfterBatch func(batch int)
}

// Summary is the result of an import, counting every run of it (a resumed
// import includes the rows earlier runs did).
type Summary struct {
	Path        string
	Environment string
	Rows        int
	Batches     int
	Counts
	// Failures lists failed rows in file order, at most MaxListedFailures.
	Failures []Failure
	// ResumedFrom is the number of rows done by earlier runs, when this
	// run resumed.
	ResumedFrom int
	// Interrupted is set when the import stopped before its last batch;
	// RowsDone is how far it got.
	Interrupted bool
	RowsDone    int
}

// ErrInterrupted is returned (wrapped) by Run when ctx was cancelled before
// the last batch: the checkpoint is kept and the next run continues.
var ErrInterrupted = errors.New("import interrupted")

// Run imports the file. It returns the summary so far with any error: a
// malformed file (nothing imported), a batch that failed (earlier batches
// stay, with their checkpoint), or ErrInterrupted.
func Run(ctx context.Context, opt Options) (*Summary, error) {
	if opt.BatchSize <= 0 {
		opt.BatchSize = DefaultBatchSize
	}
	if opt.BatchSize > customers.MaxBulkImport {
		return nil, fmt.Errorf("batch size %d is over the limit of %d", opt.BatchSize, customers.MaxBulkImport)
	}
	if opt.Service == nil {
		return nil, errors.New("importer: no service")
	}
	sum := &Summary{Path: opt.Path, Environment: opt.Environment}
	pg := newProgress(opt.Progress, opt.Terminal, 0, 0)
	if opt.ProgressEvery > 0 {
		pg.every = opt.ProgressEvery
	}

	format := opt.Format
	if format == "" {
		f, err := detectFile(opt.Path)
		if err != nil {
			return nil, err
		}
		format = f
	}

	// Pass 1: syntax, row count, fingerprint.
	fp, total, err := scan(opt.Path, format)
	if err != nil {
		return nil, err
	}
	sum.Rows = total

	statePath := StatePath(opt.Path)
	old, err := LoadState(statePath)
	if err != nil && !opt.Restart {
		return nil, err
	}
	d, err := decide(old, fp, opt.EnvironmentID, opt.Environment, opt.Restart)
	if err != nil {
		return nil, err
	}
	if d.note != "" {
		pg.say("%s", d.note)
	}
	now := time.Now().UTC()
	st := &State{
		Version: stateVersion, Input: fp, Environment: opt.Environment, EnvironmentID: opt.EnvironmentID,
		BatchSize: opt.BatchSize, StartedAt: now, UpdatedAt: now,
	}
	if d.resume {
		st.BatchesDone, st.RowsDone = old.BatchesDone, old.RowsDone
		st.Counts, st.Failures, st.StartedAt = old.Counts, old.Failures, old.StartedAt
		sum.ResumedFrom = old.RowsDone
		if old.BatchSize != opt.BatchSize {
			pg.say("note: the earlier run used batches of %d rows; the rest goes in batches of %d", old.BatchSize, opt.BatchSize)
		}
	}
	// Written before any work, so that an unwritable directory stops the
	// import before the first batch rather than after it.
	if err := SaveState(statePath, st); err != nil {
		return nil, fmt.Errorf("%w (the checkpoint is kept next to the input file; its directory must be writable)", err)
	}

	fill := func() {
		sum.Counts, sum.Failures, sum.Batches, sum.RowsDone = st.Counts, st.Failures, st.BatchesDone, st.RowsDone
	}

	// Pass 2: import.
	pg.total, pg.first = total, st.RowsDone
	pg.started = time.Now()
	pg.update(st.RowsDone, st.BatchesDone, false)

	announceStop := sync.OnceFunc(func() {
		pg.say("interrupted: stopping after the current batch (press Ctrl-C again to abort at once; the current batch is then rolled back)")
		if opt.OnStop != nil {
			opt.OnStop()
		}
	})
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-ctx.Done():
			announceStop()
		case <-stopped:
		}
	}()
	// Batches run to completion even when ctx is cancelled: the stop is
	// taken between batches.
	work := context.WithoutCancel(ctx)

	f, err := os.Open(opt.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rd, err := NewReader(f, format)
	if err != nil {
		return nil, err
	}
	seen := map[string]int{}
	batch := make([]Row, 0, opt.BatchSize)
	for {
		row, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			// The file changed since pass 1.
			fill()
			return sum, fmt.Errorf("%s: %w", opt.Path, err)
		}
		check(&row, seen)
		if row.Num <= st.RowsDone {
			continue
		}
		if len(batch) == 0 && ctx.Err() != nil {
			announceStop()
			break
		}
		batch = append(batch, row)
		if len(batch) < opt.BatchSize {
			continue
		}
		if err := runBatch(work, opt, st, batch); err != nil {
			fill()
			return sum, err
		}
		if err := SaveState(statePath, st); err != nil {
			fill()
			return sum, err
		}
		pg.update(st.RowsDone, st.BatchesDone, false)
		batch = batch[:0]
		if opt.AfterBatch != nil {
			opt.AfterBatch(st.BatchesDone)
		}
	}
	if len(batch) > 0 {
		if err := runBatch(work, opt, st, batch); err != nil {
			fill()
			return sum, err
		}
		if err := SaveState(statePath, st); err != nil {
			fill()
			return sum, err
		}
		if opt.AfterBatch != nil {
			opt.AfterBatch(st.BatchesDone)
		}
	}
	fill()
	pg.update(st.RowsDone, st.BatchesDone, true)
	if st.RowsDone < total {
		sum.Interrupted = true
		return sum, fmt.Errorf("%w after batch %d (rows 1-%d of %d done); run the same command again to continue", ErrInterrupted, st.BatchesDone, st.RowsDone, total)
	}
	if err := RemoveState(statePath); err != nil {
		return sum, fmt.Errorf("the import is complete but its checkpoint could not be removed: %w", err)
	}
	return sum, nil
}

// check sets row.Err for a row the service would refuse, and for a row
// whose customerId an earlier valid row already has; seen maps the
// customerIds of valid rows to their row numbers. Every run replays it from
// the first row, so the verdicts do not depend on where a run resumed.
func check(row *Row, seen map[string]int) {
	if row.Err != nil {
		return
	}
	if err := customers.ValidateImport(row.Input); err != nil {
		row.Err = err
		return
	}
	id := row.Input.CustomerID
	if first, dup := seen[id]; dup {
		row.Err = fmt.Errorf("customerId %q already appears in row %d", id, first)
		return
	}
	seen[id] = row.Num
}

// runBatch imports the valid rows of batch in one transaction and records
// the outcome of every row in st; st is changed only when the batch
// committed.
func runBatch(ctx context.Context, opt Options, st *State, batch []Row) error {
	var ins []customers.ImportInput
	for _, r := range batch {
		if r.Err == nil {
			ins = append(ins, r.Input)
		}
	}
	var outcomes []customers.Outcome
	if len(ins) > 0 {
		var err error
		for attempt := 0; ; attempt++ {
			outcomes, err = opt.Service.ImportBatch(ctx, opt.EnvironmentID, ins)
			// A customer of the batch created meanwhile by someone else:
			// again, it is now an update.
			if ae, ok := apperr.As(err); ok && ae.Code == apperr.DuplicatedEntityNotAllowed && attempt == 0 {
				continue
			}
			break
		}
		if err != nil {
			return fmt.Errorf("batch %d (rows %d-%d) was not imported: %w; the rows before it are imported, run the same command again to continue from row %d",
				st.BatchesDone+1, batch[0].Num, batch[len(batch)-1].Num, err, batch[0].Num)
		}
	}
	next := 0
	for _, r := range batch {
		if r.Err != nil {
			st.Counts.Failed++
			if len(st.Failures) < MaxListedFailures {
				st.Failures = append(st.Failures, Failure{Row: r.Num, Line: r.Line, CustomerID: r.Input.CustomerID, Reason: reason(r.Err)})
			}
			continue
		}
		switch outcomes[next] {
		case customers.OutcomeCreated:
			st.Counts.Created++
		case customers.OutcomeUpdated:
			st.Counts.Updated++
		case customers.OutcomeSkipped:
			st.Counts.Skipped++
		}
		next++
	}
	st.BatchesDone++
	st.RowsDone = batch[len(batch)-1].Num
	st.UpdatedAt = time.Now().UTC()
	return nil
}

func reason(err error) string {
	return strings.TrimSpace(message(err))
}

// detectFile reads the start of the file for DetectFormat.
func detectFile(path string) (Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return "", err
	}
	return DetectFormat(path, head[:n]), nil
}

// scan reads the whole file once: it checks the syntax, counts the rows and
// fingerprints the content.
func scan(path string, format Format) (Fingerprint, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return Fingerprint{}, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Fingerprint{}, 0, err
	}
	if !fi.Mode().IsRegular() {
		return Fingerprint{}, 0, fmt.Errorf("%s is not a regular file", path)
	}
	h := newFingerprinter()
	tee := io.TeeReader(f, h)
	rd, err := NewReader(tee, format)
	if err != nil {
		return Fingerprint{}, 0, fmt.Errorf("%s: %w", path, err)
	}
	n := 0
	for {
		_, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Fingerprint{}, 0, fmt.Errorf("%s: %w (nothing was imported)", path, err)
		}
		n++
	}
	// The parser may stop before the end (trailing white space).
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return Fingerprint{}, 0, err
	}
	return h.sum(fi.ModTime()), n, nil
}

// Write prints the summary for people.
func (s *Summary) Write(w io.Writer) {
	state := "Imported"
	if s.Interrupted {
		state = "Partly imported"
	}
	fmt.Fprintf(w, "%s %s into environment %q: %d rows", state, s.Path, s.Environment, s.Rows)
	if s.Interrupted {
		fmt.Fprintf(w, ", rows 1-%d done", s.RowsDone)
	}
	if s.ResumedFrom > 0 {
		fmt.Fprintf(w, " (resumed after row %d; the counts include earlier runs)", s.ResumedFrom)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  created  %d\n", s.Created)
	fmt.Fprintf(w, "  updated  %d\n", s.Updated)
	fmt.Fprintf(w, "  skipped  %d (unchanged: the stored customer is newer than the row's updatedAt)\n", s.Skipped)
	fmt.Fprintf(w, "  failed   %d\n", s.Failed)
	if len(s.Failures) == 0 {
		return
	}
	fmt.Fprintln(w, "Failed rows:")
	for _, f := range s.Failures {
		where := fmt.Sprintf("row %d", f.Row)
		if f.Line > 0 {
			where += fmt.Sprintf(" (line %d)", f.Line)
		}
		if f.CustomerID != "" {
			where += fmt.Sprintf(" customerId %q", f.CustomerID)
		}
		fmt.Fprintf(w, "  %s: %s\n", where, f.Reason)
	}
	if more := s.Failed - len(s.Failures); more > 0 {
		fmt.Fprintf(w, "  ... and %d more (only the first %d are listed)\n", more, MaxListedFailures)
	}
}
