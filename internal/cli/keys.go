package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/db/migrations"
)

const keysUsage = `Usage:
  stiggql keys create --environment NAME [--kind server|client] [flags]
                                                   create an environment (if needed) and print a new API key
  stiggql keys list [flags]                        list API keys (never their secrets)
  stiggql keys customer-token --customer ID [--environment NAME]
                                                   print a customer token (X-CUSTOMER-KEY) for client keys
  stiggql keys signing-secret [--environment NAME] print the secret backends sign customer tokens with
  stiggql keys hardened on|off [--environment NAME] require customer tokens with client keys (or not)
`

func keys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "create":
		f := newFlagSet("keys create", "Usage:\n  stiggql keys create --environment NAME [--kind server|client] [flags]\n\nCreates an API key (and the environment, when missing) and prints it once.\n")
		dbURL := f.db()
		envName := f.String("environment", "", auth.DefaultEnvironmentSlug, "environment slug; created when missing")
		kind := f.String("kind", "", "server", "key kind: server (backends, full access) or client (publishable, for browsers)")
		if err := f.parse(args, stdout, stderr); err != nil {
			return err
		}
		st, err := db.Open(ctx, *dbURL)
		if err != nil {
			return err
		}
		defer st.Close()
		k, err := auth.CreateKeyOfType(ctx, st.Client, *envName, strings.ToUpper(*kind), "")
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
	case "customer-token", "signing-secret", "hardened":
		return frontKeys(ctx, sub, args, stdout, stderr)
	case "help", "-h", "--help", "-help":
		_, _ = io.WriteString(stdout, keysUsage)
		return flag.ErrHelp
	case "":
		_, _ = io.WriteString(stderr, keysUsage)
		return usagef("keys: expected create, list, customer-token, signing-secret or hardened")
	}
	_, _ = io.WriteString(stderr, keysUsage)
	return usagef("keys: unknown subcommand %q", sub)
}

// frontKeys runs the keys subcommands for frontends: customer-token,
// signing-secret and hardened (see README "Frontends: client keys and
// customer tokens").
func frontKeys(ctx context.Context, sub string, args []string, stdout, stderr io.Writer) error {
	f := newFlagSet("keys "+sub, keysUsage)
	dbURL := f.db()
	envName := f.String("environment", "", auth.DefaultEnvironmentSlug, "environment slug")
	customer := f.String("customer", "", "", "customer id the token is for (customer-token)")
	if err := f.parse(args, stdout, stderr); err != nil {
		return err
	}
	if sub == "hardened" && (f.fs.NArg() != 1 || (f.fs.Arg(0) != "on" && f.fs.Arg(0) != "off")) {
		return usagef("keys hardened: expected on or off")
	}
	if sub == "customer-token" && *customer == "" {
		return usagef("keys customer-token: --customer is required")
	}
	st, err := db.Open(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer st.Close()
	switch sub {
	case "customer-token":
		tok, err := auth.MintCustomerToken(ctx, st.Client, *envName, *customer)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, tok)
		return nil
	case "signing-secret":
		env, err := auth.EnvironmentBySlug(ctx, st.Client, *envName)
		if err != nil {
			return err
		}
		secret, err := auth.SigningSecret(ctx, st.Client, env.ID)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, secret)
		return nil
	}
	on := f.fs.Arg(0) == "on"
	if err := auth.SetHardened(ctx, st.Client, *envName, on); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "hardened client access %s for environment %q (servers apply it within %s)\n", f.fs.Arg(0), *envName, auth.CacheTTL)
	return nil
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
