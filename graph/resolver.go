package graph

import (
	"context"
	"log/slog"

	"entgo.io/ent/dialect"
	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/feature"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/billing"
	"github.com/stigg-selfhost/stiggql/internal/catalog"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/customers"
	"github.com/stigg-selfhost/stiggql/internal/entitlements"
	"github.com/stigg-selfhost/stiggql/internal/events"
	"github.com/stigg-selfhost/stiggql/internal/promotions"
	"github.com/stigg-selfhost/stiggql/internal/store"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
)

// Resolver is the root of the resolver tree: the dependencies every
// resolver may use. Resolvers stay thin: they check input, call one store or
// domain function, and shape the answer.
type Resolver struct {
	Client          *ent.Client
	Clock           clock.Clock
	CustomerService *customers.Service
	// SubscriptionService is the subscription lifecycle.
	SubscriptionService *subscription.Service
	Promotions          *promotions.Service
	// Entitlements computes entitlements and records usage.
	Entitlements *entitlements.Service
	Log          *slog.Logger
	// Events feeds the real-time subscriptions; nil refuses them (see
	// WithEvents).
	Events *events.Bus

	// Catalogs hands out the catalog snapshots nested fields read.
	Catalogs *catalog.Snapshots
	// CustomerPages builds and runs customers pages, with their count
	// cache.
	CustomerPages *customers.Pages
	// CustomerReads reads one customer and the lists under customers,
	// reusing their SQL text.
	CustomerReads *customers.Reads

	// versions tells the caches when they are stale
	// (internal/store/versions.go); nil until EnableCaches.
	versions *store.Versions
}

// NewResolver wires the domain services over client.
func NewResolver(client *ent.Client, clk clock.Clock, log *slog.Logger) *Resolver {
	if clk == nil {
		clk = clock.System{}
	}
	if log == nil {
		log = slog.Default()
	}
	r := &Resolver{
		Client:              client,
		Clock:               clk,
		CustomerService:     customers.New(client, clk, customers.SyncsToBilling(billing.CustomerChanged)),
		CustomerPages:       customers.NewPages(client),
		CustomerReads:       customers.NewReads(client),
		Catalogs:            catalog.NewSnapshots(client),
		SubscriptionService: subscription.New(client, clk),
		Promotions:          promotions.New(client, clk, featureExists),
		Entitlements:        entitlements.New(client, clk),
		Log:                 log,
	}
	// Archiving a customer ends its subscriptions in the same transaction.
	r.CustomerService.AddHook(func(ctx context.Context, tx *ent.Tx, op customers.Op, c *ent.Customer) error {
		if op != customers.OpArchived {
			return nil
		}
		return r.SubscriptionService.CancelForArchivedCustomer(ctx, tx, c)
	})
	return r
}

// WithEvents makes r publish every customer change, and every change to
// what customers may use (subscriptions, add-ons, grants, catalog packages:
// events.Bus.RegisterHooks), to bus (from inside its transaction, so only
// committed changes get out) and serve the subscriptions from it. It
// returns r.
func (r *Resolver) WithEvents(bus *events.Bus) *Resolver {
	r.Events = bus
	r.CustomerService.AddHook(bus.CustomerHook)
	bus.RegisterHooks(r.Client)
	r.Entitlements.AddHook(func(ctx context.Context, tx *ent.Tx, ch entitlements.UsageChange) error {
		switch {
		case ch.Customer == nil:
		case ch.Feature != nil:
			bus.UsageChanged(tx, ch.EnvironmentID, ch.Customer.ID, ch.Feature.RefID, ch.ResourceID)
		default:
			// Raw events: any event-metered feature may have changed, so
			// the customer's entitlements (with their usage) go out whole.
			bus.Publish(tx, events.Event{Kind: events.KindEntitlements, EnvironmentID: ch.EnvironmentID, ID: ch.Customer.ID, ResourceID: ch.ResourceID})
		}
		return nil
	})
	return r
}

// EnableCaches turns the cross-request caches on, for a store of the given
// dialect (dialect.SQLite or dialect.Postgres), which must have the
// version tables of the migrations.
func (r *Resolver) EnableCaches(dial string) {
	r.versions = store.NewVersions(r.Client, dial)
	r.CustomerPages.EnableCaches(r.versions)
	r.Catalogs.EnableCaches(r.versions)
	r.Entitlements.EnableCache(dial, 0)
	r.CustomerReads.EnableCaches(r.versions)
}

// EnablePipelining makes the reads that can (a customer and the lists
// under it, pipeline.go) go out in one round trip through drv, the driver
// under r's client, when drv can send a batch that way (PostgreSQL);
// nil, or a driver that cannot, turns it off.
func (r *Resolver) EnablePipelining(drv dialect.Driver) {
	r.CustomerReads.EnablePipelining(drv)
}

// SetPipelining turns pipelining off, or on again once EnablePipelining
// enabled it: for tests comparing both paths.
func (r *Resolver) SetPipelining(on bool) { r.CustomerReads.SetPipelining(on) }

// SetVersionFolding turns folding the environment versions read into a
// request's first statement on or off (store.Versions.FoldInto; on by
// default on PostgreSQL once EnableCaches ran): for tests comparing both.
func (r *Resolver) SetVersionFolding(on bool) {
	if r.versions != nil {
		r.versions.SetFolding(on)
	}
}

// NewSchema returns the executable schema over r.
func NewSchema(r *Resolver) graphql.ExecutableSchema {
	return NewExecutableSchema(Config{Resolvers: r})
}

// featureExists checks a feature refId against the environment's catalog.
func featureExists(ctx context.Context, tx *ent.Tx, env uuid.UUID, refID string) error {
	ok, err := tx.Feature.Query().Where(feature.EnvironmentID(env), feature.RefID(refID)).Exist(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return apperr.New(apperr.FeatureNotFound, "feature %q was not found", refID)
	}
	return nil
}
