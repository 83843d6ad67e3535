package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/seed"
)

// seedCmd fills an empty database with generated customers for benchmarks
// (see internal/seed and docs/performance.md).
func seedCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	n := fs.Int("customers", 100000, "number of customers to generate")
	s := fs.Uint64("seed", seed.DefaultSeed, "random seed: the same seed and count give the same data")
	refs := fs.String("refs", "", "write the customerId of every live customer of the default environment to this file, one a line")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := db.Open(ctx, c.dbURL)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := seed.Run(ctx, st.Client, st.DB, st.Dialect, seed.Options{
		Customers: *n,
		Seed:      *s,
		Progress:  stderr,
		Terminal:  isTerminal(stderr),
		RefsFile:  *refs,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded %d customers, %d subscriptions, %d promotional entitlements, %d sync states (%d rows) in %.1f s; default environment %s\n",
		res.Customers, res.Subscriptions, res.PromotionalEntitlements, res.SyncStates, res.Rows(), res.Elapsed.Seconds(), res.EnvironmentID)
	return nil
}

// isTerminal reports whether w is a character device (a terminal), where a
// progress bar can be redrawn in place.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
