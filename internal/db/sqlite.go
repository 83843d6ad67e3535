package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"net/url"
	"strconv"
	"strings"

	"github.com/mattn/go-sqlite3"
)

// sqliteConnector opens go-sqlite3 connections and applies, on each new
// connection, the settings go-sqlite3 has no DSN parameter for: mmap_size,
// from the URL's _mmap_size.
type sqliteConnector struct {
	dsn     string
	pragmas []string
	drv     *sqlite3.SQLiteDriver
}

func newSQLiteConnector(dsn string) *sqliteConnector {
	c := &sqliteConnector{dsn: dsn, drv: &sqlite3.SQLiteDriver{}}
	_, query, _ := strings.Cut(dsn, "?")
	params, _ := url.ParseQuery(query)
	if v := params.Get("_mmap_size"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
			c.pragmas = append(c.pragmas, "PRAGMA mmap_size = "+strconv.FormatInt(n, 10))
		}
	}
	return c
}

func (c *sqliteConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	sc := conn.(*sqlite3.SQLiteConn)
	for _, p := range c.pragmas {
		if _, err := sc.Exec(p, nil); err != nil {
			sc.Close()
			return nil, err
		}
	}
	return conn, nil
}

func (c *sqliteConnector) Driver() driver.Driver { return c.drv }

// optimizeSQLite refreshes the planner's statistics where they are missing
// or stale, once at start (analysis_limit keeps it to a sample of each
// index, quick on big tables too). Failing is harmless, e.g. when another
// process holds the write lock: plans fall back to SQLite's heuristics.
func optimizeSQLite(ctx context.Context, db *sql.DB) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return
	}
	defer conn.Close()
	_, _ = conn.ExecContext(ctx, "PRAGMA analysis_limit = 400")
	_, _ = conn.ExecContext(ctx, "PRAGMA optimize = 0x10002")
}
