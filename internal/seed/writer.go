package seed

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
)

// writer writes batches in transactions on one connection.
type writer struct {
	conn        *sql.Conn
	dial        string
	tx          *sql.Tx
	stmts       map[string]*sql.Stmt // by table name: the full-size insert
	sinceCommit int
}

func (w *writer) write(ctx context.Context, b *batch) error {
	if w.tx == nil {
		tx, err := w.conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		w.tx, w.stmts = tx, map[string]*sql.Stmt{}
	}
	for _, t := range []struct {
		table
		args []any
	}{{customersTable, b.customers}, {subsTable, b.subs}, {pesTable, b.pes}, {syncsTable, b.syncs}} {
		if err := w.insert(ctx, t.table, t.args); err != nil {
			return fmt.Errorf("seed: insert into %s: %w", t.name, err)
		}
	}
	w.sinceCommit += b.nCustomers
	return nil
}

// insert writes args (whole rows of t) in statements of rowsPerInsert rows;
// the last, shorter statement is prepared for its size.
func (w *writer) insert(ctx context.Context, t table, args []any) error {
	n := len(t.cols)
	per := rowsPerInsert * n
	for len(args) > 0 {
		part := args[:min(per, len(args))]
		args = args[len(part):]
		if len(part) == per {
			st, ok := w.stmts[t.name]
			if !ok {
				var err error
				if st, err = w.tx.PrepareContext(ctx, insertSQL(w.dial, t, rowsPerInsert)); err != nil {
					return err
				}
				w.stmts[t.name] = st
			}
			if _, err := st.ExecContext(ctx, part...); err != nil {
				return err
			}
			continue
		}
		if _, err := w.tx.ExecContext(ctx, insertSQL(w.dial, t, len(part)/n), part...); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) commit() error {
	if w.tx == nil {
		return nil
	}
	for _, st := range w.stmts {
		st.Close()
	}
	err := w.tx.Commit()
	w.tx, w.stmts, w.sinceCommit = nil, nil, 0
	return err
}

func (w *writer) rollback() {
	if w.tx != nil {
		w.tx.Rollback() //nolint:errcheck
		w.tx = nil
	}
}

// insertSQL is a multi-row INSERT of rows rows into t.
func insertSQL(dial string, t table, rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(t.name)
	b.WriteString(" (")
	b.WriteString(strings.Join(t.cols, ", "))
	b.WriteString(") VALUES ")
	arg := 1
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range t.cols {
			if c > 0 {
				b.WriteByte(',')
			}
			if dial == dialect.Postgres {
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(arg))
				arg++
			} else {
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}

// progress reports how far a run is: a bar redrawn in place on a terminal,
// a line per tenth otherwise (logs, CI).
type progress struct {
	w        io.Writer
	terminal bool
	total    int
	start    time.Time
	lastStep int
	lastDraw time.Time
}

func (p *progress) report(done, rows int) {
	if p.w == nil || p.total == 0 {
		return
	}
	if p.terminal {
		if time.Since(p.lastDraw) < 100*time.Millisecond && done < p.total {
			return
		}
		p.lastDraw = time.Now()
		const width = 30
		filled := width * done / p.total
		fmt.Fprintf(p.w, "\r[%s%s] %3d%% %d/%d customers, %s", strings.Repeat("#", filled), strings.Repeat(" ", width-filled),
			100*done/p.total, done, p.total, p.rate(done, rows))
		return
	}
	step := 10 * done / p.total
	if step > p.lastStep || done == p.total {
		p.lastStep = step
		fmt.Fprintf(p.w, "seed: %d/%d customers (%d%%), %s\n", done, p.total, 100*done/p.total, p.rate(done, rows))
	}
}

func (p *progress) rate(done, rows int) string {
	el := time.Since(p.start)
	s := fmt.Sprintf("%d rows, %.0f rows/s", rows, float64(rows)/el.Seconds())
	if done > 0 && done < p.total {
		eta := time.Duration(float64(el) * float64(p.total-done) / float64(done))
		s += ", " + eta.Round(time.Second).String() + " left"
	}
	return s
}

func (p *progress) finish(done, rows int) {
	if p.w != nil && p.terminal && p.total > 0 {
		fmt.Fprintln(p.w)
	}
}

func (p *progress) line(msg string) {
	if p.w != nil {
		fmt.Fprintf(p.w, "seed: %s\n", msg)
	}
}
