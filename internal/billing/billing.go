// Package billing pushes customers and paid subscriptions to Stripe, the
// billing vendor, through a transactional outbox.
//
// A change and its outbox row are written in one transaction (the customer
// service calls CustomerHook; the subscription lifecycle calls
// EnqueueSubscription), so a mutation never waits for Stripe and never fails
// because of it. A Syncer, one per configured environment, delivers the rows:
// it claims an entity's pending rows under a lease, sends the entity's latest
// state to Stripe with an idempotency key derived from the rows, and records
// the outcome in the entity's sync state (PENDING, SUCCESS, ERROR). Failures
// are retried with capped exponential backoff and jitter; rows survive
// restarts, and claims are safe with several replicas on one database.
//
// docs/billing-sync.md describes the behaviour for operators.
package billing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"
	"github.com/stripe/stripe-go/v82"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/internal/clock"
)

// VendorStripe is the vendor identifier of Stripe, as sync states and
// outbox rows record it.
const VendorStripe = "STRIPE"

// DefaultAPIBase is Stripe's API.
const DefaultAPIBase = "https://api.stripe.com"

// Defaults of Config.
const (
	DefaultPollInterval   = 5 * time.Second
	DefaultLease          = 2 * time.Minute
	DefaultRequestTimeout = 20 * time.Second
	DefaultBackoffBase    = 5 * time.Second
	DefaultBackoffMax     = time.Hour
	DefaultWaitTimeout    = 5 * time.Second
	DefaultConcurrency    = 2
	DefaultRetention      = 7 * 24 * time.Hour
)

// Config configures the Stripe integration of one environment.
type Config struct {
	// EnvironmentID is the environment whose customers and subscriptions
	// are synced; the others are left alone.
	EnvironmentID uuid.UUID
	// SecretKey is a Stripe secret (sk_...) or restricted (rk_...) key.
	SecretKey string
	// PublishableKey (pk_...) is handed to checkout pages (checkoutState's
	// billing credentials) for Stripe.js; it is public by design. Empty
	// leaves it null.
	PublishableKey string
	// APIBase is Stripe's API base URL; tests and air-gapped installs point
	// it at stripe-mock. Empty means DefaultAPIBase.
	APIBase string

	// PollInterval is how often the worker looks for due rows when nothing
	// wakes it (rows written by other replicas, retries coming due).
	PollInterval time.Duration
	// Lease is how long a claim keeps other workers away from an entity; a
	// crashed worker's claims expire after it.
	Lease time.Duration
	// RequestTimeout bounds one HTTP request to Stripe.
	RequestTimeout time.Duration
	// BackoffBase and BackoffMax shape the retry delay: BackoffBase doubled
	// per failed attempt, capped at BackoffMax, with jitter.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// WaitTimeout bounds how long updateOneCustomer(shouldWaitSync: true)
	// waits for the sync.
	WaitTimeout time.Duration
	// Concurrency is how many entities one worker delivers at once.
	Concurrency int
	// Retention is how long delivered rows are kept before pruning.
	Retention time.Duration

	// SubscriptionItems chooses the Stripe prices of a new subscription.
	// Nil means PricesByLookupKey. The catalog can replace it with its own
	// mapping from plans to Stripe prices.
	SubscriptionItems func(ctx context.Context, sc *stripe.Client, sub *ent.CustomerSubscription) ([]*stripe.SubscriptionCreateItemParams, error)
}

func (c *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.APIBase == "" {
		c.APIBase = DefaultAPIBase
	}
	c.APIBase = strings.TrimRight(c.APIBase, "/")
	def(&c.PollInterval, DefaultPollInterval)
	def(&c.Lease, DefaultLease)
	def(&c.RequestTimeout, DefaultRequestTimeout)
	def(&c.BackoffBase, DefaultBackoffBase)
	def(&c.BackoffMax, DefaultBackoffMax)
	def(&c.WaitTimeout, DefaultWaitTimeout)
	def(&c.Retention, DefaultRetention)
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.SubscriptionItems == nil {
		c.SubscriptionItems = PricesByLookupKey
	}
}

// Validate reports a configuration that cannot work, without echoing the key.
func (c *Config) Validate() error {
	if c.EnvironmentID == uuid.Nil {
		return errors.New("billing: no environment")
	}
	if !strings.HasPrefix(c.SecretKey, "sk_") && !strings.HasPrefix(c.SecretKey, "rk_") {
		return errors.New("billing: the Stripe secret key must start with sk_ or rk_")
	}
	base := c.APIBase
	if base == "" {
		base = DefaultAPIBase
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("billing: the Stripe API base %q is not an http(s) URL", base)
	}
	return nil
}

// testMode reports whether the key is a test-mode key, whose objects live
// under /test/ in the dashboard.
func (c *Config) testMode() bool {
	return strings.HasPrefix(c.SecretKey, "sk_test_") || strings.HasPrefix(c.SecretKey, "rk_test_")
}

// dashboardURL links to a Stripe object (kind "customers" or
// "subscriptions") in the dashboard.
func (c *Config) dashboardURL(kind, id string) string {
	if c.testMode() {
		return "https://dashboard.stripe.com/test/" + kind + "/" + id
	}
	return "https://dashboard.stripe.com/" + kind + "/" + id
}

// Syncer syncs one environment with Stripe: it enqueues changes (inside the
// caller's transaction) and delivers them (Run, or DeliverDue in tests).
type Syncer struct {
	client   *ent.Client
	postgres bool
	clock    clock.Clock
	log      *slog.Logger
	cfg      Config
	stripe   *stripe.Client

	// wake nudges Run after a commit that enqueued something.
	wake chan struct{}

	mu sync.Mutex
	// changed is closed (and replaced) whenever a delivery finished, so
	// waiters for a sync state re-check it at once.
	changed chan struct{}
	rng     *rand.Rand
}

// New returns the Syncer of cfg.EnvironmentID over client (whose dialect is
// dialect.SQLite or dialect.Postgres) and registers it, so that
// CustomerHook and EnqueueSubscription route that environment's changes to
// it. Close unregisters it.
func New(client *ent.Client, dial string, clk clock.Clock, log *slog.Logger, cfg Config) (*Syncer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	if clk == nil {
		clk = clock.System{}
	}
	if log == nil {
		log = slog.Default()
	}
	backends := stripe.NewBackendsWithConfig(&stripe.BackendConfig{
		URL:        stripe.String(cfg.APIBase),
		HTTPClient: &http.Client{Timeout: cfg.RequestTimeout},
		// The outbox retries, with backoff and the same idempotency key; the
		// library's own quick retries would only hold a claim longer.
		MaxNetworkRetries: stripe.Int64(0),
		LeveledLogger:     &stripe.LeveledLogger{Level: stripe.LevelNull},
	})
	s := &Syncer{
		client:   client,
		postgres: dial == dialect.Postgres,
		clock:    clk,
		log:      log.With("component", "billing", "vendor", VendorStripe),
		cfg:      cfg,
		stripe:   stripe.NewClient(cfg.SecretKey, stripe.WithBackends(backends)),
		wake:     make(chan struct{}, 1),
		changed:  make(chan struct{}),
		rng:      rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
	}
	register(s)
	return s, nil
}

// Close unregisters the Syncer: its environment's changes are no longer
// queued by this process. It does not stop Run; cancel its context for that.
func (s *Syncer) Close() {
	unregister(s)
}

// EnvironmentID is the environment the Syncer syncs.
func (s *Syncer) EnvironmentID() uuid.UUID { return s.cfg.EnvironmentID }

// SetRand replaces the source of jitter, for tests that check delays.
func (s *Syncer) SetRand(r *rand.Rand) {
	s.mu.Lock()
	s.rng = r
	s.mu.Unlock()
}

// Wake makes Run look for due rows now instead of at its next poll.
func (s *Syncer) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// broadcast tells waiters that a delivery finished.
func (s *Syncer) broadcast() {
	s.mu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

func (s *Syncer) changedChan() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// The registry maps an environment to its Syncer, so that code deep in a
// transaction (a customer hook, the subscription lifecycle) can enqueue with
// a plain function call and needs no handle on the integration. Environment
// ids are random UUIDs, so tests with their own databases never collide.
var registry = struct {
	sync.RWMutex
	m map[uuid.UUID]*Syncer
}{m: map[uuid.UUID]*Syncer{}}

func register(s *Syncer) {
	registry.Lock()
	registry.m[s.cfg.EnvironmentID] = s
	registry.Unlock()
}

func unregister(s *Syncer) {
	registry.Lock()
	if registry.m[s.cfg.EnvironmentID] == s {
		delete(registry.m, s.cfg.EnvironmentID)
	}
	registry.Unlock()
}

// For returns the Syncer of the environment, or nil when the environment
// has no billing integration.
func For(env uuid.UUID) *Syncer {
	registry.RLock()
	defer registry.RUnlock()
	return registry.m[env]
}
