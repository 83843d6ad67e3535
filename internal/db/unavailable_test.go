package db_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"

	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// TestUnavailable tells a database outage or full disk from other errors.
func TestUnavailable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{fmt.Errorf("query: %w", &pgconn.PgError{Code: "57P01"}), true}, // admin shutdown (restart)
		{&pgconn.PgError{Code: "08006"}, true},
		{&pgconn.PgError{Code: "53300"}, true}, // too many connections
		{sqlite3.Error{Code: sqlite3.ErrFull}, true},
		{&pgconn.PgError{Code: "22021"}, false}, // bad input, not an outage
		{&pgconn.PgError{Code: "23505"}, false},
		{errors.New("boom"), false},
		{context.DeadlineExceeded, false},
		{nil, false},
	} {
		if got := db.Unavailable(tc.err); got != tc.want {
			t.Errorf("Unavailable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	db.ForgetDiskFull()
}

// TestUnavailableOnRealOutage: what the PostgreSQL driver returns when the
// server is not there counts as unavailable.
func TestUnavailableOnRealOutage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := db.Open(ctx, "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2")
	if err == nil || !db.Unavailable(err) {
		t.Fatalf("Open on a closed port: %v; Unavailable = false", err)
	}
}

// TestReadyReportsFullDisk: after a write failed for want of disk space,
// Ready (and so /readyz) says so, on both databases.
func TestReadyReportsFullDisk(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		t.Cleanup(db.ForgetDiskFull)
		ctx := context.Background()
		if err := st.Ready(ctx); err != nil {
			t.Fatalf("Ready = %v before", err)
		}
		full := error(sqlite3.Error{Code: sqlite3.ErrFull})
		if st.Dialect == "postgres" {
			full = &pgconn.PgError{Code: "53100", Message: "could not extend file: No space left on device"}
		}
		if !db.Unavailable(full) {
			t.Fatal("disk full not unavailable")
		}
		if err := st.Ready(ctx); !errors.Is(err, db.ErrDiskFull) {
			t.Fatalf("Ready = %v after a disk-full error, want ErrDiskFull", err)
		}
	})
}
