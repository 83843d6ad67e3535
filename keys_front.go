package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/db"
)

// frontKeys runs the keys subcommands for frontends: customer-token,
// signing-secret and hardened (see README "Frontends: client keys and
// customer tokens").
func frontKeys(ctx context.Context, sub string, fs *flag.FlagSet, c *common, args []string, stdout io.Writer) error {
	envName := fs.String("environment", auth.DefaultEnvironmentSlug, "environment slug")
	customer := fs.String("customer", "", "customer id the token is for (customer-token)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := db.Open(ctx, c.dbURL)
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
	if fs.NArg() != 1 || (fs.Arg(0) != "on" && fs.Arg(0) != "off") {
		return errors.New("keys hardened: expected on or off")
	}
	on := fs.Arg(0) == "on"
	if err := auth.SetHardened(ctx, st.Client, *envName, on); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "hardened client access %s for environment %q (servers apply it within %s)\n", fs.Arg(0), *envName, auth.CacheTTL)
	return nil
}
