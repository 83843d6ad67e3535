package cli

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/db/migrations"
)

const keysUsage = `Usage:
  stiggql keys create --environment NAME [flags]   create an environment (if needed) and print a new API key
  stiggql keys list [flags]                        list API keys (never their secrets)
`

func keys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "create":
		f := newFlagSet("keys create", "Usage:\n  stiggql keys create --environment NAME [flags]\n\nCreates a server API key (and the environment, when missing) and prints it once.\n")
		dbURL := f.db()
		envName := f.String("environment", "", auth.DefaultEnvironmentSlug, "environment slug; created when missing")
		if err := f.parse(args, stdout, stderr); err != nil {
			return err
		}
		st, err := db.Open(ctx, *dbURL)
		if err != nil {
			return err
		}
		defer st.Close()
		k, err := auth.CreateKey(ctx, st.Client, *envName, "")
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", k.Secret)
		fmt.Fprintf(stderr, "created key %s for environment %q (%s); the secret above is shown once\n", k.Key.ID, k.Environment.Slug, k.Environment.ID)
		return nil
	case "list":
		f := newFlagSet("keys list", "Usage:\n  stiggql keys list [flags]\n\nLists API keys: id, environment, type, prefix, creation (secrets are never stored).\n")
		dbURL := f.db()
		if err := f.parse(args, stdout, stderr); err != nil {
			return err
		}
		st, err := db.Open(ctx, *dbURL)
		if err != nil {
			return err
		}
		defer st.Close()
		return auth.ListKeys(ctx, st.Client, stdout)
	case "help", "-h", "--help", "-help":
		_, _ = io.WriteString(stdout, keysUsage)
		return flag.ErrHelp
	case "":
		_, _ = io.WriteString(stderr, keysUsage)
		return usagef("keys: expected create or list")
	}
	_, _ = io.WriteString(stderr, keysUsage)
	return usagef("keys: unknown subcommand %q", sub)
}

// migrate applies pending migrations: production runs it before rolling
// out replicas started with --migrate=false.
func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlagSet("migrate", "Usage:\n  stiggql migrate [flags]\n\nApplies pending schema migrations and exits (run it before starting replicas with --migrate=false).\n")
	dbURL := f.db()
	if err := f.parse(args, stdout, stderr); err != nil {
		return err
	}
	st, err := db.Open(ctx, *dbURL, db.WithoutMigrate())
	if err != nil {
		return err
	}
	defer st.Close()
	applied, err := migrations.Apply(ctx, st.DB, st.Dialect)
	for _, name := range applied {
		fmt.Fprintln(stdout, "applied", name)
	}
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "database is up to date")
	}
	return nil
}
