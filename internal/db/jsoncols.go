package db

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/schema/field"

	"github.com/stigg-selfhost/stiggql/ent/migrate"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/sqlbatch"
)

// JSON columns: every value the server writes into one must be one it can
// read back, and a stored value it cannot read must not poison a page.
//
// Writes: GuardJSON is an ent hook on every mutation of every entity (Open
// installs it), so customer and subscription metadata, billing information,
// catalog JSON and promotional grants are all checked at this one place.
// A value is refused (BadUserInput naming the field) when it does not
// survive encoding and decoding into its own Go type: a number out of
// float64 range (1e400 reaches the server as a json.Number and was stored
// verbatim; every later read of the row failed), or a NUL character, which
// PostgreSQL's jsonb refuses and SQLite would keep.
//
// Reads: tolerantDriver wraps the ent driver so that a JSON column holding
// such a value (written before this check existed, or by hand) is repaired
// in memory as it is scanned: an out-of-range number becomes the string of
// its digits, text that is not JSON at all reads as absent. The row stays
// readable, and so updatable and archivable.

// GuardJSON is the ent hook that refuses JSON field values that would not
// read back (see above).
func GuardJSON(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		for _, name := range m.Fields() {
			v, ok := m.Field(name)
			if !ok || !isJSONValue(v) {
				continue
			}
			if err := CheckJSON(v); err != nil {
				return nil, apperr.BadInput(lowerCamel(name), "%s cannot be stored: %v", lowerCamel(name), err)
			}
		}
		return next.Mutate(ctx, m)
	})
}

// CheckJSON reports why v, a JSON field's value, could not be stored and
// read back unchanged in kind: it must encode, contain no NUL character and
// decode again into a value of its own type.
func CheckJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return errors.New("it is not representable as JSON")
	}
	if bytes.Contains(b, []byte(`\u0000`)) {
		return errors.New("it contains a NUL character")
	}
	if _, bad := badNumbers(b); bad {
		return errors.New("it holds a number out of the double-precision range")
	}
	dst := reflect.New(reflect.TypeOf(v))
	if err := json.Unmarshal(b, dst.Interface()); err != nil {
		return errors.New("it does not decode again as JSON")
	}
	return nil
}

var timeType = reflect.TypeOf(time.Time{})

// isJSONValue reports whether v is the value of a JSON field: ent gives the
// other field types as strings, numbers, bools, times and UUIDs (arrays).
func isJSONValue(v any) bool {
	t := reflect.TypeOf(v)
	if t == nil {
		return false
	}
	switch t.Kind() {
	case reflect.Map, reflect.Slice:
		return true
	case reflect.Pointer:
		return t.Elem().Kind() == reflect.Struct && t.Elem() != timeType
	case reflect.Struct:
		return t != timeType
	}
	return false
}

// lowerCamel turns a column name into the API's spelling of it
// (additional_meta_data -> additionalMetaData).
func lowerCamel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// badNumbers scans JSON text for number tokens that do not fit a float64.
// It returns the [start, end) spans of those tokens and whether there are
// any. It allocates only when it finds one.
func badNumbers(b []byte) (spans [][2]int, bad bool) {
	inString := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		if c == '"' {
			inString = true
			continue
		}
		if c != '-' && (c < '0' || c > '9') {
			continue
		}
		start, long := i, false
		for i < len(b) && strings.IndexByte("+-.0123456789eE", b[i]) >= 0 {
			if b[i] == 'e' || b[i] == 'E' {
				long = true
			}
			i++
		}
		// Only an exponent or hundreds of digits can leave float64's range.
		if long || i-start > 300 {
			if _, err := strconv.ParseFloat(string(b[start:i]), 64); err != nil {
				spans = append(spans, [2]int{start, i})
				bad = true
			}
		}
		i--
	}
	return spans, bad
}

// repairJSON returns b readable by encoding/json: unchanged when it is,
// with out-of-range numbers turned into strings, or nil (the column read as
// absent) when it is not JSON at all.
func repairJSON(b []byte) []byte {
	if len(b) == 0 {
		return b
	}
	spans, bad := badNumbers(b)
	if bad {
		var out []byte
		last := 0
		for _, s := range spans {
			out = append(out, b[last:s[0]]...)
			out = strconv.AppendQuote(out, string(b[s[0]:s[1]]))
			last = s[1]
		}
		b = append(out, b[last:]...)
	}
	if !json.Valid(b) {
		return nil
	}
	return b
}

// tolerantDriver repairs JSON columns as rows are scanned (see above).
type tolerantDriver struct {
	dialect.Driver
}

func tolerantJSON(d dialect.Driver) dialect.Driver { return &tolerantDriver{Driver: d} }

func (d *tolerantDriver) Query(ctx context.Context, query string, args, v any) error {
	if err := d.Driver.Query(ctx, query, args, v); err != nil {
		return err
	}
	wrapRows(query, v)
	return nil
}

// QueryBatch repairs JSON columns in the rows of a batch's statements as
// Query does.
func (d *tolerantDriver) QueryBatch(ctx context.Context, qs []sqlbatch.Query) error {
	return sqlbatch.Through(ctx, d, d.Driver, qs, func(ctx context.Context, qs []sqlbatch.Query) error {
		wrapped := make([]sqlbatch.Query, len(qs))
		for i, q := range qs {
			scan := q.Scan
			q.Scan = func(rows *entsql.Rows) error {
				wrapRows(q.SQL, rows)
				return scan(rows)
			}
			wrapped[i] = q
		}
		return sqlbatch.Run(ctx, d.Driver, wrapped)
	})
}

// Pipelines reports whether the driver below sends a batch in one round
// trip.
func (d *tolerantDriver) Pipelines() bool { return sqlbatch.Pipelines(d.Driver) }

func (d *tolerantDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &tolerantTx{Tx: tx}, nil
}

// BeginTx keeps ent's Client.BeginTx working through the wrapper.
func (d *tolerantDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	drv, ok := d.Driver.(interface {
		BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error)
	})
	if !ok {
		return nil, errors.New("Driver.BeginTx is not supported")
	}
	tx, err := drv.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &tolerantTx{Tx: tx}, nil
}

// ExecContext and QueryContext pass through (raw statements scan their own
// values).
func (d *tolerantDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	drv, ok := d.Driver.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, errors.New("Driver.ExecContext is not supported")
	}
	return drv.ExecContext(ctx, query, args...)
}

func (d *tolerantDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	drv, ok := d.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, errors.New("Driver.QueryContext is not supported")
	}
	return drv.QueryContext(ctx, query, args...)
}

type tolerantTx struct {
	dialect.Tx
}

func (t *tolerantTx) Query(ctx context.Context, query string, args, v any) error {
	if err := t.Tx.Query(ctx, query, args, v); err != nil {
		return err
	}
	wrapRows(query, v)
	return nil
}

// ExecContext and QueryContext pass through, as on the driver.
func (t *tolerantTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	tx, ok := t.Tx.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, errors.New("Tx.ExecContext is not supported")
	}
	return tx.ExecContext(ctx, query, args...)
}

func (t *tolerantTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	tx, ok := t.Tx.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, errors.New("Tx.QueryContext is not supported")
	}
	return tx.QueryContext(ctx, query, args...)
}

// wrapRows wraps the rows of a query that reads a JSON column.
func wrapRows(query string, v any) {
	if !readsJSON(query) {
		return
	}
	if r, ok := v.(*entsql.Rows); ok && r.ColumnScanner != nil {
		r.ColumnScanner = tolerantRows{r.ColumnScanner}
	}
}

// jsonColumns are the names of every JSON column of the schema (from
// ent's table definitions, so a new one is covered without a list here).
var jsonColumns = func() []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range migrate.Tables {
		for _, c := range t.Columns {
			if c.Type == field.TypeJSON && !seen[c.Name] {
				seen[c.Name] = true
				out = append(out, c.Name)
			}
		}
	}
	return out
}()

// readsJSON reports whether query may read a JSON column: only those
// queries' rows are wrapped. Others, schema inspection by ent's Atlas
// migrations among them (which needs the database/sql rows type), pass
// as they are.
func readsJSON(query string) bool {
	for _, c := range jsonColumns {
		if strings.Contains(query, c) {
			return true
		}
	}
	return false
}

// tolerantRows repairs the JSON columns of each row it scans: ent scans
// exactly those (and nothing else) into *[]byte.
type tolerantRows struct {
	entsql.ColumnScanner
}

func (r tolerantRows) Scan(dest ...any) error {
	if err := r.ColumnScanner.Scan(dest...); err != nil {
		return err
	}
	for _, d := range dest {
		p, ok := d.(*[]byte)
		if !ok || p == nil || len(*p) == 0 {
			continue
		}
		if fixed := repairJSON(*p); len(fixed) != len(*p) || fixed == nil {
			slog.Warn("db: repaired an unreadable JSON column value on read", "bytes", len(*p))
			*p = fixed
		}
	}
	return nil
}
