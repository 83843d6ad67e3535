package db

import (
	"context"
	"database/sql/driver"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
)

// Unavailable reports whether err means the database cannot serve requests
// for now, rather than that the request or the server is wrong: PostgreSQL
// unreachable, restarting or shutting down, out of connections, its disk
// full; SQLite's disk full or its file unreadable. Clients should retry
// such requests later (the API answers 503 ServiceUnavailable with
// Retry-After) instead of treating them as a bug.
//
// A disk-full error is also remembered for a while, so Ready (and /readyz)
// reports the full disk even though its own checks write nothing.
func Unavailable(err error) bool {
	if diskFull(err) {
		diskFullAt.Store(time.Now().UnixNano())
		return true
	}
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case len(pgErr.Code) == 5 && pgErr.Code[:2] == "08": // connection exception
			return true
		case len(pgErr.Code) == 5 && pgErr.Code[:2] == "53": // insufficient resources: disk full, out of memory, too many connections
			return true
		case pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03": // shutting down, crash recovery, cannot connect now
			return true
		}
		return false
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		return true
	}
	var netErr *net.OpError
	if errors.As(err, &netErr) {
		return true
	}
	if pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return true
	}
	var liteErr sqlite3.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code {
		case sqlite3.ErrFull, sqlite3.ErrIoErr, sqlite3.ErrCantOpen, sqlite3.ErrNotADB, sqlite3.ErrReadonly:
			return true
		}
	}
	return false
}

// ErrDiskFull is reported by Ready when the database has no room to write.
var ErrDiskFull = errors.New("database disk is full")

// diskFullAt is when a write last failed for want of disk space (Unix
// nanoseconds, 0 for never); diskFullMemory is how long Ready reports it.
var diskFullAt atomic.Int64

const diskFullMemory = 30 * time.Second

func diskFull(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, syscall.ENOSPC) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "53100" {
		return true
	}
	var liteErr sqlite3.Error
	return errors.As(err, &liteErr) && liteErr.Code == sqlite3.ErrFull
}

// recentlyFull reports whether a write failed for want of disk space in
// the last diskFullMemory.
func recentlyFull() bool {
	at := diskFullAt.Load()
	return at != 0 && time.Since(time.Unix(0, at)) < diskFullMemory
}

// minFreeBytes is the free space under which an SQLite database's disk
// counts as full: a write transaction needs room for its WAL frames.
const minFreeBytes = 1 << 20

// sqliteDiskFull reports whether the file system of the SQLite database
// at dsn has less than minFreeBytes free (false when it cannot tell).
func sqliteDiskFull(dsn string) bool {
	if isMemory(dsn) {
		return false
	}
	path, _, _ := strings.Cut(dsn, "?")
	path = strings.TrimPrefix(path, "file:")
	var st syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(path), &st); err != nil {
		return false
	}
	return st.Bavail*uint64(st.Bsize) < minFreeBytes
}
