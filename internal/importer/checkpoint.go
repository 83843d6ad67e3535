package importer

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"
)

// StateSuffix is appended to the input's path to name its checkpoint.
const StateSuffix = ".import-state.json"

// StatePath returns the checkpoint file of an input file.
func StatePath(input string) string { return input + StateSuffix }

// stateVersion is the checkpoint format; others are not resumed.
const stateVersion = 1

// Fingerprint identifies an input file's content.
type Fingerprint struct {
	Size    int64     `json:"size"`
	ModTime time.Time `json:"modTime"`
	SHA256  string    `json:"sha256"`
}

// SameContent reports whether f and g are of the same bytes: same size and
// SHA-256. The modification time is recorded for people reading the
// checkpoint, not compared: a copy of the same file resumes too.
func (f Fingerprint) SameContent(g Fingerprint) bool {
	return f.Size == g.Size && f.SHA256 == g.SHA256
}

// fingerprinter hashes a file as it is read.
type fingerprinter struct {
	h    hash.Hash
	size int64
}

func newFingerprinter() *fingerprinter { return &fingerprinter{h: sha256.New()} }

func (f *fingerprinter) Write(p []byte) (int, error) {
	f.size += int64(len(p))
	return f.h.Write(p)
}

func (f *fingerprinter) sum(modTime time.Time) Fingerprint {
	return Fingerprint{Size: f.size, ModTime: modTime.UTC(), SHA256: hex.EncodeToString(f.h.Sum(nil))}
}

// Counts are the rows an import has done so far, by outcome.
type Counts struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
	Skipped int `json:"skipped"`
	Failed  int `json:"failed"`
}

// Failure is a row that was not imported.
type Failure struct {
	Row        int    `json:"row"`
	Line       int    `json:"line,omitempty"`
	CustomerID string `json:"customerId,omitempty"`
	Reason     string `json:"reason"`
}

// MaxListedFailures caps the failures kept (in the checkpoint and for the
// summary); Counts.Failed counts them all.
const MaxListedFailures = 1000

// State is the checkpoint of an import: which file, into which environment,
// how far, with what results. It is rewritten after every batch.
type State struct {
	Version       int         `json:"version"`
	Input         Fingerprint `json:"input"`
	Environment   string      `json:"environment"`
	EnvironmentID uuid.UUID   `json:"environmentId"`
	BatchSize     int         `json:"batchSize"`
	// BatchesDone is the number of the last completed batch, RowsDone the
	// number of the last row it held: a resumed import starts after it.
	BatchesDone int       `json:"batchesDone"`
	RowsDone    int       `json:"rowsDone"`
	Counts      Counts    `json:"counts"`
	Failures    []Failure `json:"failures,omitempty"`
	StartedAt   time.Time `json:"startedAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// LoadState reads a checkpoint; it returns nil and no error when there is
// none.
func LoadState(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("checkpoint %s is not readable (%v); remove it or run with --restart", path, err)
	}
	return &s, nil
}

// SaveState writes a checkpoint atomically: a crash leaves the old one or
// the new one, never half of one.
func SaveState(path string, s *State) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write checkpoint: %w", err)
	}
	return nil
}

// RemoveState deletes a checkpoint; a missing one is fine.
func RemoveState(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// decision is what to do with the checkpoint found for an input.
type decision struct {
	resume bool
	// note tells the user what was decided, when there is something to say.
	note string
}

// decide resumes from st when it is a checkpoint of this very content into
// this environment with rows done. It refuses (error) to start over when
// the checkpoint is of this content but of another environment, so that
// its progress is not lost by mistake.
func decide(st *State, fp Fingerprint, envID uuid.UUID, envSlug string, restart bool) (decision, error) {
	switch {
	case st == nil:
		return decision{}, nil
	case restart:
		return decision{note: "--restart: ignoring the checkpoint of an earlier run and starting from the first row"}, nil
	case st.Version != stateVersion:
		return decision{note: fmt.Sprintf("the checkpoint has format version %d, not %d: starting from the first row", st.Version, stateVersion)}, nil
	case !st.Input.SameContent(fp):
		return decision{note: fmt.Sprintf("the file changed since the checkpoint of %s was written: starting from the first row", st.UpdatedAt.Local().Format(time.DateTime))}, nil
	case st.RowsDone <= 0:
		return decision{}, nil
	case st.EnvironmentID != envID:
		return decision{}, fmt.Errorf("the checkpoint of an earlier run of this file is for environment %q (%s), not %q: re-run with --environment %s to continue it, or with --restart to import into %q from the first row",
			st.Environment, st.EnvironmentID, envSlug, st.Environment, envSlug)
	}
	return decision{resume: true, note: fmt.Sprintf("resuming: an earlier run (last checkpoint %s) completed batch %d, rows 1-%d; continuing from row %d (--restart starts over)",
		st.UpdatedAt.Local().Format(time.DateTime), st.BatchesDone, st.RowsDone, st.RowsDone+1)}, nil
}
