package cli

import (
	"context"
	"fmt"
	"log/slog"
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
	secretKey    *string
	publicKey    *string
	apiBase      *string
	environment  *string
	waitTimeout  *time.Duration
	pollInterval *time.Duration
	webhookKey   *string
}

func (b *billingFlags) register(f *flagSet) {
	b.secretKey = f.String("stripe-secret-key", "STRIPE_SECRET_KEY", "",
		"Stripe secret key (sk_... or rk_...); enables the Stripe billing sync")
	b.publicKey = f.String("stripe-publishable-key", "STRIPE_PUBLISHABLE_KEY", "",
		"Stripe publishable key (pk_...) that checkoutState hands to checkout pages for Stripe.js")
	b.apiBase = f.String("stripe-api-base", "STRIPE_API_BASE", billing.DefaultAPIBase,
		"Stripe API base URL, e.g. a stripe-mock for tests or air-gapped installs")
	b.environment = f.String("stripe-environment", "STRIPE_ENVIRONMENT", auth.DefaultEnvironmentSlug,
		"slug of the environment whose customers and subscriptions are synced to Stripe")
	b.waitTimeout = f.Duration("stripe-wait-timeout", "STRIPE_WAIT_TIMEOUT", billing.DefaultWaitTimeout,
		"longest wait of updateOneCustomer(shouldWaitSync: true) for the sync")
	b.pollInterval = f.Duration("stripe-poll-interval", "STRIPE_POLL_INTERVAL", billing.DefaultPollInterval,
		"how often the sync worker looks for work queued by other replicas or due for retry")
	b.webhookKey = f.String("stripe-webhook-secret", "STRIPE_WEBHOOK_SECRET", "",
		"signing secret (whsec_...) of the Stripe webhook endpoint; with --stripe-secret-key serves POST /webhooks/stripe (paid checkouts)")
}

// newSyncer returns the Stripe syncer the flags ask for, or nil when no
// secret key is configured (the integration is off: nothing is queued and
// sync states stay empty).
func (b *billingFlags) newSyncer(ctx context.Context, st *db.Store, clk clock.Clock, log *slog.Logger) (*billing.Syncer, error) {
	if *b.secretKey == "" {
		return nil, nil
	}
	env, err := st.Client.Environment.Query().Where(environment.Slug(*b.environment)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fmt.Errorf("stripe: environment %q does not exist; create it with `stiggql keys create --environment %s` or fix --stripe-environment", *b.environment, *b.environment)
	}
	if err != nil {
		return nil, fmt.Errorf("stripe: look up environment %q: %w", *b.environment, err)
	}
	return billing.New(st.Client, st.Dialect, clk, log, billing.Config{
		EnvironmentID:  env.ID,
		SecretKey:      *b.secretKey,
		PublishableKey: *b.publicKey,
		APIBase:        *b.apiBase,
		WaitTimeout:    *b.waitTimeout,
		PollInterval:   *b.pollInterval,
	})
}

// webhookSecret is the Stripe webhook signing secret when the Stripe
// integration is on (syncer not nil), else "" (no webhook endpoint).
func (b *billingFlags) webhookSecret(syncer *billing.Syncer) string {
	if syncer == nil {
		return ""
	}
	return *b.webhookKey
}
