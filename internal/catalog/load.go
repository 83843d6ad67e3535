package catalog

import (
	"context"
	_ "embed"
	"errors"
	"time"

	"github.com/stigg-selfhost/stiggql/ent"
)

//go:embed demo.yaml
var demoYAML []byte

// DemoName names the embedded demo catalog in messages.
const DemoName = "demo catalog (embedded)"

// Demo returns the embedded demo catalog, parsed and validated.
func Demo() (*File, error) { return Parse(DemoName, demoYAML) }

// DemoSource returns the embedded demo catalog's text.
func DemoSource() []byte { return append([]byte(nil), demoYAML...) }

// Load applies the catalog file at path, or the demo catalog when path is
// empty, and returns what changed. Every error names the file and, for a
// problem in the file, the entry.
func Load(ctx context.Context, client *ent.Client, now time.Time, path string) (*Summary, error) {
	var f *File
	var err error
	if path == "" {
		f, err = Demo()
	} else {
		f, err = ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	// Replicas starting together apply the same catalog at once; the loser
	// of a race on a refId finds the winner's rows on its next try, where
	// they are unchanged or updated in place.
	for attempt := 1; ; attempt++ {
		sum, err := Apply(ctx, client, now, f)
		if err == nil || attempt == 3 || !ent.IsConstraintError(errors.Unwrap(err)) && !ent.IsConstraintError(err) {
			return sum, err
		}
	}
}
