package db

import (
	"context"
	"database/sql"
	"errors"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/stigg-selfhost/stiggql/internal/sqlbatch"
)

// pgBatchDriver is ent's PostgreSQL driver with QueryBatch: the statements
// of a batch go out as one pgx batch on one pooled connection (pipelined:
// one round trip once pgx has prepared them, which it does once per
// connection and statement text, as for every other statement sent
// through database/sql), and their rows are scanned in order.
//
// It embeds ent's driver itself (not the interface), so that its
// ExecContext, QueryContext and BeginTx stay reachable through it.
type pgBatchDriver struct {
	*entsql.Driver
	db *sql.DB
}

// Pipelines is true: a batch is one round trip.
func (d *pgBatchDriver) Pipelines() bool { return true }

// QueryBatch sends qs as one pgx batch.
func (d *pgBatchDriver) QueryBatch(ctx context.Context, qs []sqlbatch.Query) error {
	conn, err := d.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error {
		c, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return errors.New("pgbatch: the connection is not pgx's")
		}
		b := &pgx.Batch{}
		for _, q := range qs {
			b.Queue(q.SQL, q.Args...)
		}
		br := c.Conn().SendBatch(ctx, b)
		for _, q := range qs {
			rows, err := br.Query()
			if err == nil {
				err = q.Scan(&entsql.Rows{ColumnScanner: pgxRows{rows}})
				rows.Close()
				if err == nil {
					err = rows.Err()
				}
			}
			if err != nil {
				br.Close()
				return err
			}
		}
		return br.Close()
	})
}

// pgxRows gives pgx's rows the methods ent scans through. pgx scans into
// database/sql's Scanner types (sql.NullString, uuid.UUID, ...) with the
// values database/sql would pass them, which is what ent's scanValues
// allocate.
type pgxRows struct{ pgx.Rows }

func (r pgxRows) Close() error {
	r.Rows.Close()
	return nil
}

// ColumnTypes is not offered: ent asks for it only to scan columns it
// does not know (sql.ScanTypeOf), which then scan as any.
func (r pgxRows) ColumnTypes() ([]*sql.ColumnType, error) {
	return nil, errors.New("pgbatch: column types are not available")
}

func (r pgxRows) Columns() ([]string, error) {
	fds := r.FieldDescriptions()
	cols := make([]string, len(fds))
	for i, fd := range fds {
		cols[i] = fd.Name
	}
	return cols, nil
}

func (r pgxRows) NextResultSet() bool { return false }
