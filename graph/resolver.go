package graph

import (
	"context"

	"log/slog"

	"github.com/google/uuid"
	"github.com/stigg-selfhost/stiggql/internal/apperr"

	"github.com/99designs/gqlgen/graphql"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/internal/billing"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/customers"
	"github.com/stigg-selfhost/stiggql/internal/promotions"
)

// Resolver is the root of the resolver tree: the dependencies every
// resolver may use. Resolvers stay thin: they check input, call one store or
// domain function, and shape the answer.
type Resolver struct {
	Client          *ent.Client
	Clock           clock.Clock
	CustomerService *customers.Service
	Promotions      *promotions.Service
	Log             *slog.Logger

	// counts caches customer counts (counts.go); nil until
	// EnableCountCache.
	counts *countCache
}

// NewResolver wires the domain services over client.
func NewResolver(client *ent.Client, clk clock.Clock, log *slog.Logger) *Resolver {
	if clk == nil {
		clk = clock.System{}
	}
	if log == nil {
		log = slog.Default()
	}
	return &Resolver{
		Client:          client,
		Clock:           clk,
		CustomerService: customers.New(client, clk, billing.CustomerHook),
		Promotions:      promotions.New(client, clk, featureExists),
		Log:             log,
	}
}

// NewSchema returns the executable schema over r.
func NewSchema(r *Resolver) graphql.ExecutableSchema {
	return NewExecutableSchema(Config{Resolvers: r})
}

// featureExists checks a feature refId against the catalog.
func featureExists(ctx context.Context, tx *ent.Tx, env uuid.UUID, refID string) error {
	return apperr.New(apperr.FeatureNotFound, "feature %q was not found", refID)
}
