package graph

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
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
	out := make(chan *ent.Customer)
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
				if e.EnvironmentID != env || customerID != nil && e.CustomerID != *customerID {
					continue
				}
				c, err := r.Client.Customer.Query().Where(customer.ID(e.ID), customer.EnvironmentID(env)).Only(ctx)
				switch {
				case ctx.Err() != nil:
					return
				case ent.IsNotFound(err):
					continue
				case err != nil:
					// The database went away (PostgreSQL restarting) or
					// failed: the change cannot be sent, so events are
					// being missed. That is EventStreamInterrupted, which
					// tells clients to subscribe again and refetch, not
					// UnexpectedError.
					r.Log.ErrorContext(ctx, "realtime: re-reading a changed customer failed; ending the subscription", "error", err.Error())
					fail(events.ErrInterrupted)
					return
				}
				select {
				case out <- c:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}
