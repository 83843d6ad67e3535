package billing

import (
	"context"
	"time"

	"github.com/stigg-selfhost/stiggql/ent/outboxevent"
)

// CrashAfterDelivery claims the next due entity and sends it to Stripe as
// DeliverDue would, then "crashes": the outcome is never recorded, so the
// rows stay claimed until the lease runs out, as after a kill -9 between the
// Stripe request and the commit of its result.
func (s *Syncer) CrashAfterDelivery(ctx context.Context) (bool, error) {
	cl, err := s.claim(ctx, s.clock.Now())
	if err != nil || cl == nil {
		return false, err
	}
	if cl.kind == outboxevent.KindSUBSCRIPTION {
		s.deliverSubscription(ctx, cl)
	} else {
		s.deliverCustomer(ctx, cl)
	}
	return true, nil
}

// Backoff exposes the retry delay after n attempts.
func (s *Syncer) Backoff(n int) time.Duration { return s.backoff(n) }
