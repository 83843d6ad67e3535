package graph

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/events"
)

type webSocketKey struct{}

// WithWebSocket marks ctx as the context of a WebSocket connection (the
// transport's InitFunc sets it). Subscriptions are served only there: over
// POST or GET, a subscription would hold the request open until its first
// event and then end.
func WithWebSocket(ctx context.Context) context.Context {
	return context.WithValue(ctx, webSocketKey{}, true)
}

func overWebSocket(ctx context.Context) bool {
	ok, _ := ctx.Value(webSocketKey{}).(bool)
	return ok
}

// customerUpdates streams the customers of the principal's environment as
// they change (only the one with slug customerID, when given). Each event
// re-reads the customer, so what is sent is what a query would return then;
// a customer deleted outright since is skipped. The stream ends when ctx is
// done (the client unsubscribed or went away) or, with an
// EventStreamInterrupted error, when events may have been missed.
func (r *Resolver) customerUpdates(ctx context.Context, customerID *string) (<-chan *ent.Customer, error) {
	return eventStream(ctx, r, func(ctx context.Context, env uuid.UUID, e events.Event) (*ent.Customer, error) {
		if e.Kind != events.KindCustomer || customerID != nil && e.CustomerID != *customerID {
			return nil, nil
		}
		c, err := r.Client.Customer.Query().Where(customer.ID(e.ID), customer.EnvironmentID(env)).Only(ctx)
		if ent.IsNotFound(err) {
			return nil, nil
		}
		return c, err
	})
}

// entitlementsUpdates streams, after every change to what a customer of the
// principal's environment may use (a subscription, its add-ons, a
// promotional grant), the customer's entitlements as cachedEntitlements
// answers them then, for the resource the change concerns: what Stigg's
// SDKs put in their cache for (customerId, resourceId).
func (r *Resolver) entitlementsUpdates(ctx context.Context) (<-chan *model.EntitlementsUpdated, error) {
	return eventStream(ctx, r, func(ctx context.Context, env uuid.UUID, e events.Event) (*model.EntitlementsUpdated, error) {
		if e.Kind != events.KindEntitlements {
			return nil, nil
		}
		slug, ok, err := r.customerSlug(ctx, env, e.ID)
		if !ok || err != nil || !tokenCustomerMay(ctx, slug) {
			return nil, err
		}
		list, err := r.Query().CachedEntitlements(ctx, model.FetchEntitlementsQuery{CustomerID: slug, ResourceID: e.ResourceID})
		if err != nil {
			return nil, err
		}
		return &model.EntitlementsUpdated{
			AccountID:     env.String(),
			CustomerID:    slug,
			Entitlements:  list,
			EnvironmentID: env,
			ResourceID:    e.ResourceID,
		}, nil
	})
}

// usageUpdates streams, after every accepted usage report in the
// principal's environment, the customer's entitlement to the feature as the
// entitlement query answers it then, and its usage in the SDKs' shape
// (period bounds in milliseconds since the epoch).
func (r *Resolver) usageUpdates(ctx context.Context) (<-chan *model.UsageUpdated, error) {
	return eventStream(ctx, r, func(ctx context.Context, env uuid.UUID, e events.Event) (*model.UsageUpdated, error) {
		if e.Kind != events.KindUsage {
			return nil, nil
		}
		slug, ok, err := r.customerSlug(ctx, env, e.ID)
		if !ok || err != nil || !tokenCustomerMay(ctx, slug) {
			return nil, err
		}
		en, err := r.Query().Entitlement(ctx, model.FetchEntitlementQuery{CustomerID: slug, FeatureID: e.FeatureID, ResourceID: e.ResourceID})
		if err != nil {
			return nil, err
		}
		usage := &model.UsageMeasurementUpdated{
			AccountID:        env.String(),
			CustomerID:       slug,
			EnvironmentID:    env,
			FeatureID:        e.FeatureID,
			ResourceID:       e.ResourceID,
			UsagePeriodStart: epochMillis(en.UsagePeriodStart),
			UsagePeriodEnd:   epochMillis(en.UsagePeriodEnd),
			NextResetDate:    epochMillis(en.NextResetDate),
		}
		if en.CurrentUsage != nil {
			usage.CurrentUsage = *en.CurrentUsage
		}
		return &model.UsageUpdated{Entitlement: en, Usage: usage}, nil
	})
}

// packagePublications streams the plans and add-ons published in the
// principal's environment: created (NEW_CUSTOMERS: only new subscriptions
// get it) or changed in place by a catalog load (ALL_CUSTOMERS: existing
// subscriptions see the change, so Stigg's SDKs drop their whole cache).
func (r *Resolver) packagePublications(ctx context.Context) (<-chan *model.PackagePublished, error) {
	return eventStream(ctx, r, func(ctx context.Context, env uuid.UUID, e events.Event) (*model.PackagePublished, error) {
		if e.Kind != events.KindPackage || e.Package == nil {
			return nil, nil
		}
		migration := model.PublishMigrationTypeNewCustomers
		if e.Package.AllCustomers {
			migration = model.PublishMigrationTypeAllCustomers
		}
		return &model.PackagePublished{
			AccountID:      env.String(),
			EnvironmentID:  env.String(),
			MigrationType:  migration,
			PackageRefID:   e.Package.RefID,
			PackageType:    e.Package.Type,
			PackageVersion: e.Package.Version,
		}, nil
	})
}

// creditBalanceUpdates accepts the subscription Stigg's server SDK opens on
// start and never emits: credits are not supported. Refusing it would make
// the SDK drop its cache and resubscribe every 5 s.
func (r *Resolver) creditBalanceUpdates(ctx context.Context) (<-chan *model.CreditBalanceUpdated, error) {
	return eventStream(ctx, r, func(context.Context, uuid.UUID, events.Event) (*model.CreditBalanceUpdated, error) {
		return nil, nil
	})
}

// customerSlug is the customerId of the customer row id of env; ok is false
// when it no longer exists.
func (r *Resolver) customerSlug(ctx context.Context, env, id uuid.UUID) (string, bool, error) {
	c, err := r.Client.Customer.Query().Where(customer.ID(id), customer.EnvironmentID(env)).
		Select(customer.FieldCustomerID).Only(ctx)
	if ent.IsNotFound(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return c.CustomerID, true, nil
}

// epochMillis is t in milliseconds since the epoch, as Stigg's realtime
// payloads carry dates.
func epochMillis(t *time.Time) *float64 {
	if t == nil {
		return nil
	}
	ms := float64(t.UnixMilli())
	return &ms
}

// eventStream serves one real-time subscription: it subscribes to the
// principal's environment on the bus and sends what build makes of each
// event (nil: nothing), until ctx is done (the client unsubscribed or went
// away). A build error ends the stream with that error, as an interrupted
// or closed bus does (EventStreamInterrupted: the client should subscribe
// again and refetch).
func eventStream[T any](ctx context.Context, r *Resolver, build func(ctx context.Context, env uuid.UUID, e events.Event) (*T, error)) (<-chan *T, error) {
	env, err := environmentOf(ctx, nil)
	if err != nil {
		return nil, err
	}
	if !overWebSocket(ctx) {
		return nil, apperr.BadInput("", "subscriptions are served over WebSocket only (subprotocol graphql-transport-ws)")
	}
	if r.Events == nil {
		return nil, apperr.New(apperr.EventStreamInterrupted, "real-time updates are not enabled on this server")
	}
	sub, err := r.Events.Subscribe(env)
	if err != nil {
		return nil, err
	}
	out := make(chan *T)
	go func() {
		defer close(out)
		defer sub.Close()
		// fail ends the stream with err in the transport's error message.
		// gqlgen reads the errors, unsynchronized, once the channel is
		// closed or ctx is done: adding one after ctx is done would race,
		// and the client is gone or has unsubscribed anyway.
		fail := func(err error) {
			if ctx.Err() == nil {
				transport.AddSubscriptionError(ctx, ErrorPresenter(r.Log)(ctx, err))
			}
		}
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-sub.Events():
				if !ok {
					// On shutdown (ErrClosed) the connection is being closed
					// as well: a plain end is enough.
					if err := sub.Err(); err != nil && !errors.Is(err, events.ErrClosed) {
						fail(err)
					}
					return
				}
				if e.EnvironmentID != env {
					continue
				}
				v, err := build(ctx, env, e)
				switch {
				case ctx.Err() != nil:
					return
				case err != nil:
					// The database went away (PostgreSQL restarting) or
					// failed: the change cannot be sent, so events are
					// being missed. That is EventStreamInterrupted, which
					// tells clients to subscribe again and refetch, not
					// UnexpectedError.
					r.Log.ErrorContext(ctx, "realtime: re-reading what changed failed; ending the subscription", "error", err.Error())
					fail(events.ErrInterrupted)
					return
				case v == nil:
					continue
				}
				select {
				case out <- v:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

// tokenCustomerMay reports whether the subscriber may see an event of the
// customer with refId slug: a server key sees its environment's, a client
// key only its customer token's (internal/clientaccess refuses a client key
// without one before the stream starts).
func tokenCustomerMay(ctx context.Context, slug string) bool {
	p := auth.FromContext(ctx)
	return !p.IsClient() || p.Customer == slug
}
