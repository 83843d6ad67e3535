package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/environment"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/customers"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/importer"
)

const importUsage = `Usage:
  stiggql import customers FILE [flags]

Imports the customers of FILE, a JSON file ({"customers": [...]} or a bare
array, as Stigg's importCustomersBulk takes them) or a CSV file with a
header row of the same field names (customerId, name, email, billingId,
salesforceId, paymentMethodId, additionalMetaData as a JSON cell,
updatedAt). A customer that exists is updated, unless it was changed after
the row's updatedAt (skipped). Invalid rows are reported and the others
imported. Rows go in batches, one transaction each; after each batch a
checkpoint, FILE.import-state.json, records the progress, and running the
same command again after an interruption (Ctrl-C stops after the current
batch) continues after the last completed batch. The checkpoint is removed
when the import completes.
`

// importAfterBatch, when set by a test, runs after every batch of an import.
var importAfterBatch func(batch int)

// importCmd is `stiggql import customers FILE`.
func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "customers" {
		_, _ = io.WriteString(stderr, importUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			return flag.ErrHelp
		}
		return errors.New("import: expected: import customers FILE")
	}
	fs := flag.NewFlagSet("import customers", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	envSlug := fs.String("environment", auth.DefaultEnvironmentSlug, "slug of the environment to import into; it must exist")
	batchSize := fs.Int("batch-size", importer.DefaultBatchSize, fmt.Sprintf("rows per batch (one transaction each), at most %d", customers.MaxBulkImport))
	restart := fs.Bool("restart", false, "ignore the checkpoint of an earlier, interrupted run and start from the first row")
	formatFlag := fs.String("format", "auto", "file format: csv, json, or auto (by the file name's extension, else by content)")
	fs.Usage = func() {
		_, _ = io.WriteString(stderr, importUsage+"\nFlags:\n")
		fs.PrintDefaults()
	}
	// Flags may come before or after FILE.
	var files []string
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(files) != 1 {
		fs.Usage()
		return fmt.Errorf("import customers: expected one FILE, got %d", len(files))
	}
	if *batchSize < 1 || *batchSize > customers.MaxBulkImport {
		return fmt.Errorf("--batch-size must be between 1 and %d", customers.MaxBulkImport)
	}
	format, err := importer.ParseFormat(*formatFlag)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The store outlives the first Ctrl-C: the batch in flight commits.
	st, err := db.Open(context.WithoutCancel(ctx), c.dbURL, db.WithSQLiteSynchronous(c.sqliteSync))
	if err != nil {
		return err
	}
	defer st.Close()
	env, err := st.Client.Environment.Query().Where(environment.Slug(*envSlug)).Only(ctx)
	if ent.IsNotFound(err) {
		return fmt.Errorf("environment %q does not exist: start the server once (it creates %q) or run `stiggql keys create --environment %s`", *envSlug, auth.DefaultEnvironmentSlug, *envSlug)
	}
	if err != nil {
		return err
	}

	// No hooks: this process runs no Stripe syncer and serves no
	// subscriptions, so there is nothing to queue or publish.
	svc := customers.New(st.Client, clock.System{})
	sum, err := importer.Run(ctx, importer.Options{
		Path:          files[0],
		Format:        format,
		Service:       svc,
		EnvironmentID: env.ID,
		Environment:   env.Slug,
		BatchSize:     *batchSize,
		Restart:       *restart,
		Progress:      stderr,
		Terminal:      importer.IsTerminal(stderr),
		OnStop:        stop,
		AfterBatch:    importAfterBatch,
	})
	if sum != nil {
		sum.Write(stdout)
	}
	if err != nil {
		return err
	}
	if sum.Failed > 0 {
		return fmt.Errorf("%d of %d rows failed (listed above); the other rows are imported", sum.Failed, sum.Rows)
	}
	return nil
}
