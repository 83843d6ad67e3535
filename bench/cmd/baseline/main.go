// Command baseline serves the benchmark's hand-written baseline handler
// (bench/baseline) over HTTP, for scripts/bench.sh to load with wrk exactly
// like the server: POST /q1 and /q2 on --addr, over the database the server
// reads.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/stigg-selfhost/stiggql/bench/baseline"
	"github.com/stigg-selfhost/stiggql/bench/benchdata"
)

func main() {
	dbURL := flag.String("db", "file:stigg.db", "database (as the server's --db)")
	addr := flag.String("addr", "127.0.0.1:8092", "listen address")
	env := flag.String("environment", "default", "environment slug the queries read")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, envID, err := benchdata.Open(ctx, *dbURL, *env)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	h, err := baseline.New(ctx, st.DB, st.Dialect, envID, time.Now)
	if err != nil {
		log.Fatal(err)
	}
	// /stats reports requests served and heap allocations, for the load
	// script's allocations per request (the server has /metrics for it).
	var served atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		fmt.Fprintf(w, "requests=%d mallocs=%d\n", served.Load(), m.Mallocs)
	})
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		served.Add(1)
	}))
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Shutdown(context.Background())
	}()
	fmt.Printf("baseline serving POST /q1 and /q2 at http://%s\n", *addr)
	if err := srv.ListenAndServe(); err != nil && err != http.ErrServerClosed {
		log.Fatal(err)
	}
}
