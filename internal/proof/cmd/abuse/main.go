// Command abuse runs the abuse proof for as long as asked: normal traffic
// alone for a baseline, then normal traffic alongside clients sending deep,
// complex, alias-heavy, batched and oversized requests (500/s by default;
// -abuse-rate 0 sends them back to back to find the saturation point), then
// normal traffic alone again, to show whether the machine's load changed
// meanwhile. It prints the
// normal p50/p99 of both phases, what the abusive requests were answered
// with, and the server's health, and exits 1 when the server went down,
// an abusive request was not refused with its code, a normal request
// failed, or (unless -latency=false) the normal p99 rose above -max-ratio
// times its baseline.
//
// Without -url it builds the server, starts it on a temporary SQLite
// database on loopback with default limits, and stops it afterwards:
//
//	go run ./internal/proof/cmd/abuse -duration 60s
//
// Against a running server (give the normal and, ideally, another key):
//
//	go run ./internal/proof/cmd/abuse -url http://127.0.0.1:8080 -key server-... -abuse-key server-...
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/stigg-selfhost/stiggql/internal/proof/abuse"
	"github.com/stigg-selfhost/stiggql/internal/proof/serverproc"
)

func main() {
	url := flag.String("url", "", "server base URL; empty starts a server of its own")
	key := flag.String("key", os.Getenv("STIGG_API_KEY"), "API key of the normal traffic (with -url) [env STIGG_API_KEY]")
	abuseKey := flag.String("abuse-key", "", "API key of the abusers (with -url); the normal key when empty")
	baseline := flag.Duration("baseline", 10*time.Second, "normal traffic alone first, for the baseline p99")
	duration := flag.Duration("duration", 60*time.Second, "abuse phase")
	normal := flag.Int("normal", 4, "normal clients (each: request, 10 ms pause, request...)")
	after := flag.Duration("after", 0, "normal traffic alone again afterwards, to see whether the machine's load changed (default -baseline; negative for none)")
	abusers := flag.Int("abusers", 4, "concurrent abusive clients")
	abuseRate := flag.Int("abuse-rate", 500, "abusive requests per second, all abusers together; 0 sends back to back (saturates the machine)")
	calibrate := flag.Int("calibrate", 300, "with a server of its own: first send this many requests of each kind one at a time and report the server CPU each costs; 0 to skip")
	maxBody := flag.Int64("max-body-bytes", 1<<20, "the server's body limit, to size oversized requests")
	latency := flag.Bool("latency", true, "fail when the normal p99 under abuse exceeds -max-ratio times the baseline")
	maxRatio := flag.Float64("max-ratio", 2, "allowed p99 under abuse / baseline p99")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *url, *key, *abuseKey, abuse.Config{
		Baseline: *baseline, Duration: *duration, After: *after, NormalClients: *normal, Abusers: *abusers, AbuseRate: *abuseRate, Calibrate: *calibrate,
		MaxBodyBytes: *maxBody, Logf: func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) },
	}, *latency, *maxRatio); err != nil {
		fmt.Fprintln(os.Stderr, "abuse:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, url, key, abuseKey string, cfg abuse.Config, latency bool, maxRatio float64) error {
	if url == "" {
		defer serverproc.Cleanup()
		dir, err := os.MkdirTemp("", "stiggql-abuse")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dbURL := "file:" + filepath.Join(dir, "abuse.db")
		key = "server-abuse-normal"
		fmt.Fprintln(os.Stderr, "building and starting the server on a temporary SQLite database...")
		srv, err := serverproc.Start(ctx, serverproc.Options{DB: dbURL, APIKey: key})
		if err != nil {
			return err
		}
		defer func() {
			if err := srv.Stop(30 * time.Second); err != nil {
				fmt.Fprintln(os.Stderr, "stop:", err)
			}
		}()
		if abuseKey, err = serverproc.CreateKey(ctx, dbURL, "default"); err != nil {
			return err
		}
		url = srv.URL
		cfg.ServerPID = srv.Pid()
		fmt.Fprintln(os.Stderr, "server at", url)
	}
	if key == "" {
		return fmt.Errorf("-key is required with -url")
	}
	cfg.URL, cfg.Key, cfg.AbuseKey = url, key, abuseKey
	rep, err := abuse.Run(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Print(rep)
	if problems := rep.Problems(latency, maxRatio); len(problems) > 0 {
		for _, p := range problems {
			fmt.Println("FAIL:", p)
		}
		return fmt.Errorf("%d problems", len(problems))
	}
	fmt.Println("PASS")
	return nil
}
