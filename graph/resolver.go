package graph

import (
	"context"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/customers"
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
	Log                 *slog.Logger
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
		CustomerService:     customers.New(client, clk),
		SubscriptionService: subscription.New(client, clk),
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

// NewSchema returns the executable schema over r.
func NewSchema(r *Resolver) graphql.ExecutableSchema {
	return NewExecutableSchema(Config{Resolvers: r})
}
