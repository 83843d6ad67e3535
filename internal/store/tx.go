// Package store holds what every domain package needs from the database
// beyond ent itself: transactions with rollback on error or panic, and the
// mapping of storage errors to client errors.
package store

import (
	"context"
	"fmt"

	"github.com/stigg-selfhost/stiggql/ent"
)

// WithTx runs fn in a transaction: committed when fn returns nil, rolled
// back when it returns an error or panics, so a mutation is either written
// whole or not at all.
func WithTx(ctx context.Context, client *ent.Client, fn func(tx *ent.Tx) error) (err error) {
	tx, err := client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if v := recover(); v != nil {
			_ = tx.Rollback()
			panic(v)
		}
	}()
	if err := fn(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return fmt.Errorf("%w (rollback: %v)", err, rerr)
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	return nil
}
