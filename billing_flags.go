package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/environment"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/billing"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/db"
)

// billingFlags configure the optional Stripe sync of one environment
// (docs/billing-sync.md).
type billingFlags struct {
	secretKey    string
	apiBase      string
	environment  string
	waitTimeout  time.Duration
	pollInterval time.Duration
}

func (b *billingFlags) register(fs *flag.FlagSet) {
	// The key's default is not taken from the environment here, so that
	// --help never prints it; run() reads STRIPE_SECRET_KEY after parsing.
	fs.StringVar(&b.secretKey, "stripe-secret-key", "",
		"Stripe secret key (sk_... or rk_...); enables the Stripe billing sync [env STRIPE_SECRET_KEY]")
	fs.StringVar(&b.apiBase, "stripe-api-base", envOr("STRIPE_API_BASE", billing.DefaultAPIBase),
		"Stripe API base URL, e.g. a stripe-mock for tests or air-gapped installs [env STRIPE_API_BASE]")
	fs.StringVar(&b.environment, "stripe-environment", envOr("STRIPE_ENVIRONMENT", auth.DefaultEnvironmentSlug),
		"slug of the environment whose customers and subscriptions are synced to Stripe [env STRIPE_ENVIRONMENT]")
	fs.DurationVar(&b.waitTimeout, "stripe-wait-timeout", envDuration("STRIPE_WAIT_TIMEOUT", billing.DefaultWaitTimeout),
		"longest wait of updateOneCustomer(shouldWaitSync: true) for the sync [env STRIPE_WAIT_TIMEOUT]")
	fs.DurationVar(&b.pollInterval, "stripe-poll-interval", envDuration("STRIPE_POLL_INTERVAL", billing.DefaultPollInterval),
		"how often the sync worker looks for work queued by other replicas or due for retry [env STRIPE_POLL_INTERVAL]")
}

// envDuration returns the duration in the environment variable name, or
// def when it is unset or not a duration.
func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}

// newSyncer returns the Stripe syncer the flags ask for, or nil when no
// secret key is configured (the integration is off: nothing is queued and
// sync states stay empty).
func (b *billingFlags) newSyncer(ctx context.Context, st *db.Store, clk clock.Clock, log *slog.Logger) (*billing.Syncer, error) {
	if b.secretKey == "" {
		b.secretKey = os.Getenv("STRIPE_SECRET_KEY")
	}
	if b.secretKey == "" {
		return nil, nil
	}
	env, err := st.Client.Environment.Query().Where(environment.Slug(b.environment)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fmt.Errorf("stripe: environment %q does not exist; create it with `stiggql keys create --environment %s` or fix --stripe-environment", b.environment, b.environment)
	}
	if err != nil {
		return nil, fmt.Errorf("stripe: look up environment %q: %w", b.environment, err)
	}
	return billing.New(st.Client, st.Dialect, clk, log, billing.Config{
		EnvironmentID: env.ID,
		SecretKey:     b.secretKey,
		APIBase:       b.apiBase,
		WaitTimeout:   b.waitTimeout,
		PollInterval:  b.pollInterval,
	})
}
