package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/environment"
	"github.com/stigg-selfhost/stiggql/ent/promotionalentitlement"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/seed"
)

const seedUsage = `Usage:
  stiggql seed --customers N [flags]

Fills an empty database with N generated customers, spread over the
environments default (80 %), staging (15 %) and development (5 %); some are
archived, most have subscriptions and promotional entitlements (grants).
The same --seed and N always give the same data. On a database without API
keys it creates the default environment's key and prints it, as the
server's first start does.
`

// seedCmd fills an empty database with generated customers for demos and
// benchmarks (see internal/seed and docs/performance.md).
func seedCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlagSet("seed", seedUsage)
	dbURL := f.db()
	n := f.Int("customers", "", 100000, "number of customers to generate")
	s := f.Uint64("seed", "", seed.DefaultSeed, "random seed: the same seed and count give the same data")
	refs := f.String("refs", "", "", "write the customerId of every live customer of the default environment to this file, one a line")
	if err := f.parse(args, stdout, stderr); err != nil {
		return err
	}
	if f.fs.NArg() > 0 {
		return usagef("seed: unexpected argument %q", f.fs.Arg(0))
	}
	st, err := db.Open(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer st.Close()
	hasKeys, err := st.Client.APIKey.Query().Exist(ctx)
	if err != nil {
		return err
	}
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
	counts, err := census(ctx, st.Client)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Seeded %s in %.1f s (%d rows):\n", plural(res.Customers, "customer"), res.Elapsed.Seconds(), res.Rows())
	for _, c := range counts {
		fmt.Fprintf(stdout, "  %-12s %s live + %d archived; live customers have %s and %s\n",
			c.env, plural(c.live, "customer"), c.archived, plural(c.subscriptions, "subscription"), plural(c.grants, "promotional entitlement"))
	}
	if len(counts) > 0 {
		fmt.Fprintf(stdout, "A key of the %q environment sees its live customers: customers { totalCount } answers %d.\n\n", counts[0].env, counts[0].live)
	}
	if hasKeys {
		return nil
	}
	// Like a first start: the database had no key, so make the default
	// environment's and show it once (kept next to an SQLite file, where a
	// server started on loopback presets it in the playground).
	k, err := auth.CreateKey(ctx, st.Client, auth.DefaultEnvironmentSlug, "")
	if err != nil {
		return err
	}
	keyFile := localKeyFile(*dbURL)
	if keyFile != "" {
		if err := writeLocalKey(keyFile, k.Secret); err != nil {
			fmt.Fprintf(stderr, "warning: could not keep the key in %s: %v\n", keyFile, err)
			keyFile = ""
		}
	}
	printCreatedKey(stdout, k, keyFile)
	return nil
}

// envCount is what one environment holds after a seed, counted the way the
// API counts: archived customers are not in customers { totalCount }, and
// their subscriptions and grants are not reachable.
type envCount struct {
	env                                   string
	live, archived, subscriptions, grants int
}

// census counts every environment's customers, subscriptions and grants,
// the default environment first.
func census(ctx context.Context, client *ent.Client) ([]envCount, error) {
	var out []envCount
	for _, slug := range seed.Environments {
		env, err := client.Environment.Query().Where(environment.Slug(slug)).Only(ctx)
		if ent.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		c := envCount{env: slug}
		if c.live, err = client.Customer.Query().Where(customer.EnvironmentID(env.ID), customer.DeletedAtIsNil()).Count(ctx); err != nil {
			return nil, err
		}
		if c.archived, err = client.Customer.Query().Where(customer.EnvironmentID(env.ID), customer.DeletedAtNotNil()).Count(ctx); err != nil {
			return nil, err
		}
		if c.subscriptions, err = client.CustomerSubscription.Query().Where(customersubscription.HasCustomerWith(customer.EnvironmentID(env.ID), customer.DeletedAtIsNil())).Count(ctx); err != nil {
			return nil, err
		}
		if c.grants, err = client.PromotionalEntitlement.Query().Where(promotionalentitlement.HasCustomerWith(customer.EnvironmentID(env.ID), customer.DeletedAtIsNil())).Count(ctx); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// plural is "1 customer", "2 customers".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprint(n) + " " + noun + "s"
}

// isTerminal reports whether w is a character device (a terminal), where a
// progress bar can be redrawn in place.
func isTerminal(w io.Writer) bool {
	file, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := file.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
