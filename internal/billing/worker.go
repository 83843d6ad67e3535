package billing

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/ent/outboxevent"
	"github.com/stigg-selfhost/stiggql/ent/predicate"
	"github.com/stigg-selfhost/stiggql/ent/syncstate"
	"github.com/stigg-selfhost/stiggql/internal/store"
)

// candidateScan is how many due rows one claim looks at to find an entity
// that no other worker holds.
const candidateScan = 32

// finishTimeout bounds recording a delivery's outcome, which must happen
// even when the worker is being stopped.
const finishTimeout = 10 * time.Second

// maxErrorLen caps the error kept on a row and shown in the sync state.
const maxErrorLen = 1000

// Run delivers due rows until ctx is cancelled: at once when Wake is called
// (after every commit that enqueued something in this process), and every
// PollInterval otherwise (rows from other replicas, retries coming due).
// Delivered rows older than Retention are pruned now and then.
func (s *Syncer) Run(ctx context.Context) {
	s.log.InfoContext(ctx, "billing sync started", "environment", s.cfg.EnvironmentID, "api_base", s.cfg.APIBase)
	timer := time.NewTimer(s.cfg.PollInterval)
	defer timer.Stop()
	var lastPrune time.Time
	for {
		if _, err := s.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "billing sync: deliver", "error", err.Error())
		}
		if now := s.clock.Now(); now.Sub(lastPrune) >= time.Hour || now.Before(lastPrune) {
			if n, err := s.Prune(ctx, now.Add(-s.cfg.Retention)); err != nil && ctx.Err() == nil {
				s.log.ErrorContext(ctx, "billing sync: prune", "error", err.Error())
			} else if n > 0 {
				s.log.InfoContext(ctx, "billing sync: pruned delivered rows", "count", n)
			}
			lastPrune = now
		}
		timer.Reset(s.cfg.PollInterval)
		select {
		case <-ctx.Done():
			s.log.Info("billing sync stopped")
			return
		case <-s.wake:
		case <-timer.C:
		}
	}
}

// DeliverDue delivers every row that is due at the Syncer's clock time and
// returns how many entities it synced (successfully or not). It returns when
// nothing due is left unclaimed, so tests drive the worker with it instead
// of sleeping.
func (s *Syncer) DeliverDue(ctx context.Context) (int, error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		count int
		errs  []error
	)
	for range s.cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				cl, err := s.claim(ctx, s.clock.Now())
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				if cl == nil {
					return
				}
				if err := s.process(ctx, cl); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
				mu.Lock()
				count++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return count, errors.Join(errs...)
}

// claim is one entity's pending rows, held by this worker until until.
type claim struct {
	kind     outboxevent.Kind
	entityID uuid.UUID
	// rows are oldest first.
	rows  []*ent.OutboxEvent
	token uuid.UUID
	until time.Time
}

func (c *claim) ids() []uuid.UUID {
	ids := make([]uuid.UUID, len(c.rows))
	for i, r := range c.rows {
		ids[i] = r.ID
	}
	return ids
}

// oldest is the first row queued for the entity. Its key stays the same
// until the entity's rows are delivered, which makes it the key for
// creating the Stripe object: a create that reached Stripe before a crash is
// answered from Stripe's idempotency cache on the retry instead of creating
// a second object.
func (c *claim) oldest() *ent.OutboxEvent { return c.rows[0] }

// newest is the last row queued; its key names the entity's latest state.
func (c *claim) newest() *ent.OutboxEvent { return c.rows[len(c.rows)-1] }

func (c *claim) attempts() int {
	n := 0
	for _, r := range c.rows {
		n = max(n, r.Attempts)
	}
	return n
}

// claim takes one entity whose rows are due and that no other worker
// holds, with all of that entity's undelivered rows (due or not: they are
// all delivered by sending the latest state once). It returns nil when there
// is nothing to claim.
//
// On PostgreSQL the entity's sync state row is the entity's lock: taken
// with FOR UPDATE SKIP LOCKED, so concurrent claimers on several replicas
// pass over an entity another one is claiming instead of waiting or
// deadlocking; the claim itself (claimed_until, claim_token) is what keeps
// others away during delivery. On SQLite the claim transaction holds the
// database's write lock from BEGIN (_txlock=immediate), so claims are
// serialised anyway. Locks are always taken in the order entity row, sync
// state, outbox rows, the order mutations and finish use too.
func (s *Syncer) claim(ctx context.Context, now time.Time) (*claim, error) {
	return s.claimWhere(ctx, now)
}

// claimWhere is claim among the rows that also match where (one entity's,
// for a delivery a request waits for).
func (s *Syncer) claimWhere(ctx context.Context, now time.Time, where ...predicate.OutboxEvent) (*claim, error) {
	var out *claim
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		cands, err := tx.OutboxEvent.Query().
			Where(
				outboxevent.EnvironmentID(s.cfg.EnvironmentID),
				outboxevent.VendorIdentifier(VendorStripe),
				outboxevent.DeliveredAtIsNil(),
				outboxevent.NextAttemptAtLTE(now),
				outboxevent.Or(outboxevent.ClaimedUntilIsNil(), outboxevent.ClaimedUntilLTE(now)),
			).
			Where(where...).
			// Among rows due at once, customers go before subscriptions
			// (CUSTOMER < SUBSCRIPTION), as a subscription needs its customer
			// in Stripe first.
			Order(ent.Asc(outboxevent.FieldNextAttemptAt), ent.Asc(outboxevent.FieldKind), ent.Asc(outboxevent.FieldID)).
			Limit(candidateScan).
			All(ctx)
		if err != nil {
			return fmt.Errorf("billing: scan outbox: %w", err)
		}
		seen := map[uuid.UUID]bool{}
		for _, cand := range cands {
			if seen[cand.EntityID] {
				continue
			}
			seen[cand.EntityID] = true
			ok, err := s.lockEntity(ctx, tx, cand.EntityID)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			rows, err := tx.OutboxEvent.Query().
				Where(outboxevent.EntityID(cand.EntityID), outboxevent.VendorIdentifier(VendorStripe), outboxevent.DeliveredAtIsNil()).
				Order(ent.Asc(outboxevent.FieldCreatedAt), ent.Asc(outboxevent.FieldID)).
				All(ctx)
			if err != nil {
				return err
			}
			if busy(rows, now) || len(rows) == 0 {
				continue
			}
			cl := &claim{kind: cand.Kind, entityID: cand.EntityID, rows: rows, token: uuid.New(), until: now.Add(s.cfg.Lease)}
			// attempts counts claims, so an attempt cut short by a crash still
			// lengthens the backoff.
			if err := tx.OutboxEvent.Update().
				Where(outboxevent.IDIn(cl.ids()...), outboxevent.DeliveredAtIsNil()).
				SetClaimedUntil(cl.until).
				SetClaimToken(cl.token).
				AddAttempts(1).
				SetUpdatedAt(now).
				Exec(ctx); err != nil {
				return err
			}
			for _, r := range rows {
				r.Attempts++
			}
			out = cl
			return nil
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// lockEntity takes the entity's lock on PostgreSQL (see claim) and reports
// whether this worker got it.
func (s *Syncer) lockEntity(ctx context.Context, tx *ent.Tx, entity uuid.UUID) (bool, error) {
	if !s.postgres {
		return true, nil
	}
	q := tx.SyncState.Query().Where(syncstate.EntityID(entity), syncstate.VendorIdentifier(VendorStripe))
	_, err := q.Clone().ForUpdate(sql.WithLockAction(sql.SkipLocked)).Only(ctx)
	if err == nil {
		return true, nil
	}
	if !ent.IsNotFound(err) {
		return false, err
	}
	// Not found: either another transaction holds it, or the entity has no
	// sync state (its customer was deleted), in which case there is no one
	// to race with over a delivery that will only find the entity gone.
	exists, err := q.Exist(ctx)
	return !exists, err
}

// busy reports whether another worker holds a live claim on the rows.
func busy(rows []*ent.OutboxEvent, now time.Time) bool {
	for _, r := range rows {
		if r.ClaimedUntil != nil && r.ClaimedUntil.After(now) {
			return true
		}
	}
	return false
}

// outcome is what a delivery achieved.
type outcome struct {
	// syncedID and linkURL are the Stripe object's id and dashboard page,
	// when known (even after a later step failed).
	syncedID string
	linkURL  string
	// noSync means the entity needs nothing from Stripe.
	noSync bool
	// gone means the entity no longer exists: its rows are simply dropped.
	gone bool
	err  error
}

// process delivers a claim and records the outcome.
func (s *Syncer) process(ctx context.Context, cl *claim) error {
	// A delivery must end before the lease does, or another worker could
	// start the same entity while this one still talks to Stripe. (A real
	// duration, not the lease's end: the clock may be a test's.)
	dctx, cancel := context.WithTimeout(ctx, s.cfg.Lease*3/4)
	var out outcome
	switch cl.kind {
	case outboxevent.KindCUSTOMER:
		out = s.deliverCustomer(dctx, cl)
	case outboxevent.KindSUBSCRIPTION:
		out = s.deliverSubscription(dctx, cl)
	default:
		out = outcome{err: fmt.Errorf("unknown outbox kind %q", cl.kind)}
	}
	cancel()
	if out.err != nil && ctx.Err() != nil {
		// Cut short by shutdown, not failed: back in the queue, still
		// PENDING, retried after the next start with the same keys.
		out.err = &notReadyError{"interrupted by shutdown: " + out.err.Error()}
	}
	// The outcome is recorded even when ctx was cancelled meanwhile (the
	// server is stopping): what reached Stripe should be known.
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer fcancel()
	err := s.finish(fctx, cl, out)
	s.broadcast()
	if err != nil {
		return fmt.Errorf("billing: record outcome of %s %s: %w", cl.kind, cl.entityID, err)
	}
	switch {
	case isNotReady(out.err):
		s.log.DebugContext(ctx, "billing sync deferred", "kind", cl.kind, "entity_id", cl.entityID, "reason", out.err.Error())
	case out.err != nil:
		s.log.WarnContext(ctx, "billing sync failed; will retry", "kind", cl.kind, "entity_id", cl.entityID,
			"attempts", cl.attempts(), "error", out.err.Error())
	default:
		s.log.DebugContext(ctx, "billing sync delivered", "kind", cl.kind, "entity_id", cl.entityID, "rows", len(cl.rows), "stripe_id", out.syncedID)
	}
	return nil
}

// notReadyError is a delivery that must wait for another one (a
// subscription for its customer's): retried soon, without backoff, and shown
// as still PENDING rather than as an error.
type notReadyError struct{ msg string }

func (e *notReadyError) Error() string { return e.msg }

func isNotReady(err error) bool {
	var nr *notReadyError
	return errors.As(err, &nr)
}

// errClaimLost means the claim expired and another worker took the rows;
// the other worker's outcome wins.
var errClaimLost = errors.New("claim expired and was taken over by another worker")

// finish records a delivery: the Stripe id on the entity, the sync state,
// and the rows delivered or rescheduled, in one transaction that is rolled
// back if the claim was lost meanwhile.
func (s *Syncer) finish(ctx context.Context, cl *claim, out outcome) error {
	now := s.clock.Now()
	return store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		if out.syncedID != "" && !out.gone {
			if err := s.setBillingID(ctx, tx, cl, out); err != nil {
				return err
			}
		}
		if !out.gone {
			if err := s.recordState(ctx, tx, cl, out); err != nil {
				return err
			}
		}
		u := tx.OutboxEvent.Update().
			Where(outboxevent.IDIn(cl.ids()...), outboxevent.ClaimToken(cl.token)).
			ClearClaimedUntil().
			ClearClaimToken().
			SetUpdatedAt(now)
		switch {
		case out.err == nil:
			u.SetDeliveredAt(now).ClearLastError()
		case isNotReady(out.err):
			u.SetNextAttemptAt(now.Add(s.cfg.BackoffBase)).SetLastError(errorText(out.err))
		default:
			u.SetNextAttemptAt(now.Add(s.backoff(cl.attempts()))).SetLastError(errorText(out.err))
		}
		n, err := u.Save(ctx)
		if err != nil {
			return err
		}
		if n != len(cl.rows) {
			return errClaimLost
		}
		return nil
	})
}

// setBillingID stores the Stripe id and dashboard link on the customer or
// subscription. It is a plain UPDATE of those two columns, not an ent
// update, so that updated_at keeps meaning "last changed through the API".
func (s *Syncer) setBillingID(ctx context.Context, tx *ent.Tx, cl *claim, out outcome) error {
	table, idCol, billingCol, linkCol := customer.Table, customer.FieldID, customer.FieldBillingID, customer.FieldBillingLinkURL
	if cl.kind == outboxevent.KindSUBSCRIPTION {
		table, idCol, billingCol, linkCol = customersubscription.Table, customersubscription.FieldID, customersubscription.FieldBillingID, customersubscription.FieldBillingLinkURL
	}
	d := sql.Dialect(dialectOf(s.postgres))
	q, args := d.Update(table).
		Set(billingCol, out.syncedID).
		Set(linkCol, out.linkURL).
		Where(sql.EQ(idCol, cl.entityID)).
		Query()
	_, err := tx.ExecContext(ctx, q, args...)
	return err
}

// recordState sets the sync state from the outcome. A success shows as
// SUCCESS unless another change of the entity was queued meanwhile, which
// keeps it PENDING; a failure shows as ERROR with Stripe's message.
func (s *Syncer) recordState(ctx context.Context, tx *ent.Tx, cl *claim, out outcome) error {
	u := tx.SyncState.Update().
		Where(syncstate.EntityID(cl.entityID), syncstate.VendorIdentifier(VendorStripe)).
		SetUpdatedAt(s.clock.Now())
	if out.syncedID != "" {
		u.SetSyncedEntityID(out.syncedID)
	}
	switch {
	case isNotReady(out.err):
		u.SetStatus(syncstate.StatusPENDING).ClearError()
	case out.err != nil:
		u.SetStatus(syncstate.StatusERROR).SetError(errorText(out.err))
	case out.noSync:
		u.SetStatus(syncstate.StatusNO_SYNC_REQUIRED).ClearError()
	default:
		newer, err := tx.OutboxEvent.Query().
			Where(outboxevent.EntityID(cl.entityID), outboxevent.VendorIdentifier(VendorStripe),
				outboxevent.DeliveredAtIsNil(), outboxevent.IDNotIn(cl.ids()...)).
			Exist(ctx)
		if err != nil {
			return err
		}
		status := syncstate.StatusSUCCESS
		if newer {
			status = syncstate.StatusPENDING
		}
		u.SetStatus(status).ClearError()
	}
	return u.Exec(ctx)
}

// backoff is the delay before the next attempt after the given number of
// attempts: BackoffBase doubled per attempt, capped at BackoffMax, of which
// a random half is taken off ("equal jitter"), so that rows failing together
// in an outage do not all retry at the same moment, yet none retries sooner
// than half the nominal delay.
func (s *Syncer) backoff(attempts int) time.Duration {
	d := s.cfg.BackoffMax
	if attempts < 1 {
		attempts = 1
	}
	if attempts <= 32 {
		if e := s.cfg.BackoffBase << (attempts - 1); e > 0 && e < d {
			d = e
		}
	}
	s.mu.Lock()
	f := s.rng.Float64()
	s.mu.Unlock()
	return d/2 + time.Duration(f*float64(d/2))
}

// Prune deletes rows delivered before before and returns how many.
func (s *Syncer) Prune(ctx context.Context, before time.Time) (int, error) {
	return s.client.OutboxEvent.Delete().
		Where(outboxevent.EnvironmentID(s.cfg.EnvironmentID), outboxevent.DeliveredAtLT(before)).
		Exec(ctx)
}

func errorText(err error) string {
	msg := stripeMessage(err)
	if len(msg) > maxErrorLen {
		msg = msg[:maxErrorLen]
	}
	return msg
}
