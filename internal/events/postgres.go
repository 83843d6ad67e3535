package events

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Channel is the PostgreSQL notification channel of customer events.
// Channels are per database, not per schema: deployments sharing a database
// hear each other's events, which is harmless because events are keyed by
// environment ids, which are random UUIDs.
const Channel = "stiggql_events"

// execer runs a statement: a transaction, or the pool.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// notifyNow sends events with pg_notify outside any transaction.
func notifyNow(ctx context.Context, db *sql.DB, events []Event) error { return notify(ctx, db, events) }

// notify sends events with pg_notify on tx, in one statement.
func notify(ctx context.Context, tx execer, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	payloads := make([]string, len(events))
	for i, e := range events {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		payloads[i] = string(b)
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p", Channel, payloads); err != nil {
		return fmt.Errorf("notify events: %w", err)
	}
	return nil
}

// Backoff between attempts to (re)connect the listener.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 10 * time.Second
)

// listener LISTENs on Channel over a dedicated connection and publishes
// what it hears to its broker. While it is not listening the broker
// refuses subscriptions, and when a connection it listened on fails every
// subscription is ended with ErrInterrupted: notifications sent meanwhile
// are lost, and a subscriber must not believe it saw everything.
type listener struct {
	connect func(ctx context.Context) (*pgx.Conn, error)
	broker  *Broker
	log     *slog.Logger
	// pid is the backend process id of the current connection (0 when
	// none), so tests can break it.
	pid atomic.Uint32
}

func newListener(connect func(ctx context.Context) (*pgx.Conn, error), b *Broker, log *slog.Logger) *listener {
	return &listener{connect: connect, broker: b, log: log}
}

// run listens until ctx is done, reconnecting with exponential backoff.
func (l *listener) run(ctx context.Context) {
	defer l.broker.SetDown(ErrClosed, ErrClosed)
	backoff := minBackoff
	for {
		listened, err := l.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		l.broker.SetDown(ErrUnavailable, ErrInterrupted)
		if listened {
			backoff = minBackoff
		}
		l.log.WarnContext(ctx, "events: PostgreSQL listener failed; subscriptions ended, reconnecting",
			"error", err.Error(), "retry_in", backoff.String())
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// listen connects, LISTENs, opens the broker and publishes notifications
// until the connection fails or ctx is done. listened reports whether
// LISTEN took effect.
func (l *listener) listen(ctx context.Context) (listened bool, err error) {
	conn, err := l.connect(ctx)
	if err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}
	defer func() {
		l.pid.Store(0)
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{Channel}.Sanitize()); err != nil {
		return false, fmt.Errorf("listen: %w", err)
	}
	l.pid.Store(conn.PgConn().PID())
	l.broker.SetDown(nil, nil)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, fmt.Errorf("wait for notification: %w", err)
		}
		if n == nil {
			continue
		}
		var e Event
		if err := json.Unmarshal([]byte(n.Payload), &e); err != nil {
			l.log.WarnContext(ctx, "events: ignoring a malformed notification", "channel", n.Channel, "error", err.Error())
			continue
		}
		l.broker.Publish(e)
	}
}

// poolConnector returns a function opening connections outside pool with
// the settings of pool's own (host, credentials, TLS, search_path), so the
// listener needs no URL of its own and never takes a pool slot for good.
// The settings are read once, from a connection borrowed from the pool.
func poolConnector(pool *sql.DB) func(ctx context.Context) (*pgx.Conn, error) {
	var (
		mu  sync.Mutex
		cfg *pgx.ConnConfig
	)
	return func(ctx context.Context) (*pgx.Conn, error) {
		mu.Lock()
		defer mu.Unlock()
		if cfg == nil {
			c, err := pool.Conn(ctx)
			if err != nil {
				return nil, err
			}
			err = c.Raw(func(dc any) error {
				pc, ok := dc.(*stdlib.Conn)
				if !ok {
					return errors.New("the store's pool does not use pgx")
				}
				cfg = pc.Conn().Config()
				// The copy still delivers notifications to the pooled
				// connection's buffer; pgx installs its own when unset.
				cfg.OnNotification = nil
				return nil
			})
			_ = c.Close()
			if err != nil {
				return nil, err
			}
		}
		return pgx.ConnectConfig(ctx, cfg)
	}
}
