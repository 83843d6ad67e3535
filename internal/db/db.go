// Package db opens the application's store: it turns a database URL into an
// ent client backed by SQLite (the default, for single-node installs) or
// PostgreSQL, tuned for concurrent use and with the schema in place.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	// Registers the "pgx" database/sql driver used for PostgreSQL URLs.
	_ "github.com/jackc/pgx/v5/stdlib"
	// Registers the "sqlite3" database/sql driver used for SQLite URLs.
	_ "github.com/mattn/go-sqlite3"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/internal/db/migrations"
)

// DefaultURL is the database used when Open is given an empty URL: a SQLite
// file in the working directory, so a fresh checkout runs without setup.
const DefaultURL = "file:stigg.db"

// Pool settings. SQLite allows a single writer at a time, so a handful of
// connections is enough for concurrent readers while keeping writers from
// queueing on the busy timeout; PostgreSQL gets a larger pool because it
// really runs statements in parallel.
const (
	sqliteMaxOpenConns = 8
	pgMaxOpenConns     = 20
	// pgMaxIdleConns keeps every open connection: with fewer idle slots
	// than open connections, database/sql closes a connection whenever
	// it is returned at a moment no request waits for one, which under
	// steady load is many times a second, and each new one costs
	// PostgreSQL a backend process, its caches and every statement parsed
	// and planned again. Measured (Q1, 32 connections, 100 000
	// customers): 127 connections opened in 8 s with 10 idle slots, and
	// 850-990 -> 2 670-3 010 req/s with 20 (bench/results/notes.md).
	pgMaxIdleConns    = pgMaxOpenConns
	connMaxIdleTime   = 5 * time.Minute
	pgConnMaxLifetime = time.Hour
)

// sqliteDefaults are the go-sqlite3 DSN parameters added to every SQLite URL
// unless the user gave the parameter (or its alias) already. WAL lets readers
// run alongside the writer, synchronous=NORMAL is durable enough under WAL
// and much faster than FULL, the busy timeout makes writers wait for the lock
// instead of failing, and _txlock=immediate takes the write lock at BEGIN so
// two transactions never deadlock upgrading a read lock ("database is
// locked", which the busy timeout cannot resolve).
var sqliteDefaults = []struct{ key, alias, value string }{
	{"_journal_mode", "_journal", "WAL"},
	{"_synchronous", "_sync", "NORMAL"},
	{"_busy_timeout", "_timeout", "10000"},
	{"_txlock", "", "immediate"},
	// Page cache per connection (KiB when negative): 4 MiB, twice SQLite's
	// default. Larger caches measured no faster (the OS page cache serves
	// the misses) and cost memory per connection: 16 MiB took the server
	// past 200 MB RSS under load (docs/performance.md).
	{"_cache_size", "", "-4096"},
	// Prepared statements kept per connection (go-sqlite3's cache): ent
	// sends the same few statement texts over and over, and parsing them
	// again was 14% of a single-customer read's CPU.
	{"_stmt_cache_size", "", "32"},
	// mmap_size is applied by sqliteConnector (go-sqlite3 has no parameter
	// for it). Off by default: mapped pages count in the process's RSS/PSS
	// and reads through the page cache cost little more; see
	// docs/performance.md.
	{"_mmap_size", "", "0"},
}

// Store is an open database: the ent client the application uses, the
// underlying pool (for health checks and raw maintenance queries) and the
// dialect, which is dialect.SQLite or dialect.Postgres.
type Store struct {
	Client  *ent.Client
	DB      *sql.DB
	Dialect string
	// Driver is the ent driver under Client, with any WithDriver wrapping;
	// tests decorate it further (statement counting).
	Driver dialect.Driver
	// dsn is the driver's data source name (for Ready's disk check).
	dsn string
}

// Option changes how Open prepares the store.
type Option func(*options)

type options struct {
	migrate     bool
	wrap        func(dialect.Driver) dialect.Driver
	synchronous string
}

// SQLite synchronous modes WithSQLiteSynchronous accepts.
const (
	// SyncNormal (the default) syncs the WAL at checkpoints, not at every
	// commit: a power loss or OS crash can lose the last transactions
	// acknowledged before it (never corrupting the database); a crash of
	// the process alone loses nothing.
	SyncNormal = "NORMAL"
	// SyncFull syncs the WAL at every commit: no acknowledged transaction
	// is lost to a power loss either, at the cost of an fsync per write.
	SyncFull = "FULL"
)

// WithSQLiteSynchronous sets SQLite's synchronous mode (SyncNormal or
// SyncFull; case does not matter) unless the URL sets _synchronous
// itself. PostgreSQL ignores it. Open refuses any other mode.
func WithSQLiteSynchronous(mode string) Option {
	return func(o *options) { o.synchronous = strings.ToUpper(strings.TrimSpace(mode)) }
}

// WithoutMigrate makes Open skip creating or upgrading the schema, for tools
// that must not change the database (or that migrate it themselves).
func WithoutMigrate() Option {
	return func(o *options) { o.migrate = false }
}

// Open connects to the database at url, checks that it answers and, unless
// WithoutMigrate is given, creates or upgrades the schema.
//
// Accepted URLs:
//
//	""                           DefaultURL (file:stigg.db)
//	file:PATH[?params]           SQLite (an SQLite URI filename)
//	sqlite://PATH[?params]       SQLite
//	PATH.db, PATH.sqlite[3]      SQLite
//	postgres://... postgresql://... PostgreSQL, through pgx
//
// SQLite connections always get foreign keys enabled, because the schema
// relies on ON DELETE CASCADE; WAL journaling, synchronous=NORMAL, a 10 s busy
// timeout and immediate transactions are added unless the URL sets them.
// Other parameters in the URL are kept.
//
// Unless WithoutMigrate is given, Open applies the pending versioned
// migrations of internal/db/migrations (each in a transaction; concurrent
// starts are serialised).
//
// Errors name the backend and never contain the password or SQL.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	o := options{migrate: true}
	for _, opt := range opts {
		opt(&o)
	}

	driver, dsn, dial, err := parseURL(url)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if dial == dialect.SQLite && o.synchronous != "" {
		if dsn, err = withSynchronous(url, dsn, o.synchronous); err != nil {
			return nil, fmt.Errorf("open database: %w", err)
		}
	}
	where := describe(dial, dsn)
	fail := func(step string, err error) error {
		return redact(fmt.Errorf("open database (%s): %s%w", where, step, err), secrets(dsn)...)
	}

	var db *sql.DB
	if dial == dialect.SQLite {
		db = sql.OpenDB(newSQLiteConnector(dsn))
	} else if db, err = sql.Open(driver, dsn); err != nil {
		return nil, fail("", err)
	}
	configurePool(db, dial, dsn)

	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fail("connect: ", err)
	}

	// JSON columns read tolerantly and written only when readable
	// (jsoncols.go).
	var base dialect.Driver = entsql.OpenDB(dial, db)
	if dial == dialect.Postgres {
		base = &pgBatchDriver{Driver: entsql.OpenDB(dial, db), db: db} // internal/sqlbatch
	}
	drv := tolerantJSON(base)
	if o.wrap != nil {
		drv = o.wrap(drv)
	}
	client := ent.NewClient(ent.Driver(drv))
	client.Use(GuardJSON)
	s := &Store{Client: client, DB: db, Dialect: dial, Driver: drv, dsn: dsn}
	if o.migrate {
		if _, err := migrations.Apply(ctx, db, dial); err != nil {
			s.Close()
			return nil, fail("migrate schema: ", err)
		}
	}
	if dial == dialect.SQLite && !isMemory(dsn) {
		optimizeSQLite(ctx, db)
	}
	return s, nil
}

// Close releases the client and its connection pool. It is safe to call on
// a nil Store and more than once.
func (s *Store) Close() error {
	if s == nil || s.Client == nil {
		return nil
	}
	// Closing the client closes the *sql.DB it wraps.
	return s.Client.Close()
}

// parseURL maps a database URL to a database/sql driver name, the DSN that
// driver expects and the ent dialect.
func parseURL(raw string) (driver, dsn, dial string, err error) {
	if raw == "" {
		raw = DefaultURL
	}
	lower := strings.ToLower(raw)
	switch {
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		// pgx only recognises the lower-case schemes as URLs.
		scheme, rest, _ := strings.Cut(raw, "://")
		return "pgx", strings.ToLower(scheme) + "://" + rest, dialect.Postgres, nil
	case strings.HasPrefix(lower, "sqlite://"):
		dsn, err := sqliteDSN(raw[len("sqlite://"):])
		return "sqlite3", dsn, dialect.SQLite, err
	case strings.HasPrefix(lower, "file:"):
		dsn, err := sqliteDSN(raw)
		return "sqlite3", dsn, dialect.SQLite, err
	case isSQLitePath(raw):
		dsn, err := sqliteDSN(raw)
		return "sqlite3", dsn, dialect.SQLite, err
	}
	if scheme, _, ok := strings.Cut(raw, "://"); ok && validScheme(scheme) {
		return "", "", "", fmt.Errorf("unsupported database URL scheme %q: want file:, sqlite://, postgres:// or postgresql://", scheme)
	}
	// The input is not echoed: it might be a key=value DSN with a password.
	return "", "", "", errors.New("unrecognized database URL: want file:PATH, sqlite://PATH, a path ending in .db or .sqlite, or postgres://...")
}

// isSQLitePath reports whether raw is a bare file path SQLite should open,
// recognised by its extension so that typos of other URL forms are rejected
// rather than silently creating a stray database file.
func isSQLitePath(raw string) bool {
	path, _, _ := strings.Cut(raw, "?")
	if path == ":memory:" {
		return true
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".db", ".sqlite", ".sqlite3":
		return !strings.Contains(path, "://")
	}
	return false
}

// validScheme reports whether s is syntactically a URL scheme, so only such
// a harmless token is quoted back in errors.
func validScheme(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return true
}

// sqliteDSN adds the parameters every SQLite connection needs (see
// sqliteDefaults) to dsn, keeping what the user set. Foreign keys are forced
// on regardless: the schema's cascades depend on them and ent refuses to
// migrate without them.
func sqliteDSN(dsn string) (string, error) {
	path, query, _ := strings.Cut(dsn, "?")
	if path == "" || path == "file:" {
		return "", errors.New("sqlite URL has no file path")
	}
	params, err := url.ParseQuery(query)
	if err != nil {
		return "", errors.New("sqlite URL has a malformed query string")
	}
	params.Del("_fk")
	params.Set("_foreign_keys", "1")
	for _, d := range sqliteDefaults {
		if params.Has(d.key) || (d.alias != "" && params.Has(d.alias)) {
			continue
		}
		params.Set(d.key, d.value)
	}
	return path + "?" + params.Encode(), nil
}

// withSynchronous sets _synchronous=mode in an SQLite DSN unless the
// user's URL raw set it (or its alias _sync).
func withSynchronous(raw, dsn, mode string) (string, error) {
	if mode != SyncNormal && mode != SyncFull {
		return "", fmt.Errorf("sqlite synchronous mode %q: want NORMAL or FULL", mode)
	}
	_, userQuery, _ := strings.Cut(raw, "?")
	if user, err := url.ParseQuery(userQuery); err == nil && (user.Has("_synchronous") || user.Has("_sync")) {
		return dsn, nil
	}
	path, query, _ := strings.Cut(dsn, "?")
	params, err := url.ParseQuery(query)
	if err != nil {
		return "", errors.New("sqlite URL has a malformed query string")
	}
	params.Set("_synchronous", mode)
	return path + "?" + params.Encode(), nil
}

// isMemory reports whether an SQLite DSN names an in-memory database, which
// lives only as long as its connection.
func isMemory(dsn string) bool {
	path, query, _ := strings.Cut(dsn, "?")
	if path == ":memory:" || strings.HasPrefix(path, "file::memory:") {
		return true
	}
	params, _ := url.ParseQuery(query)
	return params.Get("mode") == "memory"
}

// configurePool sizes the connection pool for the backend.
func configurePool(db *sql.DB, dial, dsn string) {
	switch {
	case dial == dialect.Postgres:
		db.SetMaxOpenConns(pgMaxOpenConns)
		db.SetMaxIdleConns(pgMaxIdleConns)
		db.SetConnMaxIdleTime(connMaxIdleTime)
		db.SetConnMaxLifetime(pgConnMaxLifetime)
	case isMemory(dsn):
		// Every connection would see its own empty database, and closing an
		// idle one would lose the data: keep exactly one, forever.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxIdleTime(0)
		db.SetConnMaxLifetime(0)
	default:
		db.SetMaxOpenConns(sqliteMaxOpenConns)
		db.SetMaxIdleConns(sqliteMaxOpenConns)
		db.SetConnMaxIdleTime(connMaxIdleTime)
	}
}

// describe names the backend for error messages. PostgreSQL URLs are shown
// with the password masked; SQLite paths carry no secrets but are shown
// without their parameters to keep messages short.
func describe(dial, raw string) string {
	if dial == dialect.Postgres {
		u, err := url.Parse(raw)
		if err != nil {
			return "postgres"
		}
		u.RawQuery = ""
		return "postgres " + u.Redacted()
	}
	path, _, _ := strings.Cut(raw, "?")
	return "sqlite " + path
}

// secrets returns the passwords in a PostgreSQL URL, from the user info or
// the password query parameter, so they can be scrubbed from errors.
func secrets(dsn string) []string {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil
	}
	var out []string
	if pw, ok := u.User.Password(); ok && pw != "" {
		out = append(out, pw)
	}
	for _, pw := range u.Query()["password"] {
		if pw != "" {
			out = append(out, pw)
		}
	}
	return out
}

// redactedError hides secrets from the message of the error it wraps, which
// may come from a driver that quotes the connection string. It still unwraps
// to the original so callers can inspect it with errors.Is and errors.As.
type redactedError struct {
	err     error
	secrets []string
}

func redact(err error, secrets ...string) error {
	if len(secrets) == 0 {
		return err
	}
	return &redactedError{err: err, secrets: secrets}
}

func (e *redactedError) Error() string {
	msg := e.err.Error()
	for _, s := range e.secrets {
		msg = strings.ReplaceAll(msg, s, "xxxxx")
		msg = strings.ReplaceAll(msg, url.QueryEscape(s), "xxxxx")
		msg = strings.ReplaceAll(msg, url.PathEscape(s), "xxxxx")
	}
	return msg
}

func (e *redactedError) Unwrap() error { return e.err }

// FilePath returns the file of an SQLite database URL (as Open takes it),
// or "" for PostgreSQL, an in-memory database or an unrecognized URL.
func FilePath(url string) string {
	_, dsn, dial, err := parseURL(url)
	if err != nil || dial != dialect.SQLite || isMemory(dsn) {
		return ""
	}
	path, _, _ := strings.Cut(dsn, "?")
	path = strings.TrimPrefix(path, "file:")
	if rest, ok := strings.CutPrefix(path, "//"); ok {
		// file://HOST/PATH: only an empty or localhost authority is local.
		host, p, _ := strings.Cut(rest, "/")
		if host != "" && host != "localhost" {
			return ""
		}
		path = "/" + p
	}
	return path
}
