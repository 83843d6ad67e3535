// Command regen regenerates the committed artefacts of ./codegen from a
// live server: it introspects the server, writes the SDL to
// codegen/schema.graphql, and runs genqlient to write
// codegen/client/generated.go. codegen_test.go checks that the committed
// files are exactly what this produces.
//
// Run it from the repository root:
//
//	go run ./codegen/cmd/regen
//
// By default it starts the real handler in-process over a fresh in-memory
// SQLite database with a new API key, so it needs no running server. With
// -url (and -key) it introspects that server instead, for example:
//
//	go run ./codegen/cmd/regen -url http://localhost:8080/graphql -key "$STIGG_API_KEY"
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/stigg-selfhost/stiggql/codegen"
	"github.com/stigg-selfhost/stiggql/graph"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/httpapi"
)

func main() {
	dir := flag.String("dir", "codegen", "the codegen directory, holding "+codegen.ConfigFile)
	url := flag.String("url", "", "GraphQL endpoint to introspect; empty starts an in-memory server")
	key := flag.String("key", "", "API key for -url, sent as "+codegen.APIKeyHeader)
	flag.Parse()
	if err := run(*dir, *url, *key); err != nil {
		fmt.Fprintln(os.Stderr, "regen:", err)
		os.Exit(1)
	}
}

func run(dir, url, key string) error {
	if _, err := os.Stat(filepath.Join(dir, codegen.ConfigFile)); err != nil {
		return fmt.Errorf("%w (run from the repository root, or set -dir)", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if url == "" {
		srv, k, stop, err := startServer(ctx)
		if err != nil {
			return err
		}
		defer stop()
		url, key = srv+httpapi.GraphQLPath, k
	}
	a, err := codegen.Produce(ctx, nil, url, key, dir)
	if err != nil {
		return err
	}
	written, err := a.Write(dir)
	if err != nil {
		return err
	}
	for _, p := range written {
		fmt.Println("wrote", p)
	}
	return nil
}

// startServer serves the real handler over a fresh in-memory database, as
// internal/apitest does for tests, and returns its base URL and an API key.
func startServer(ctx context.Context) (url, key string, stop func(), err error) {
	st, err := db.Open(ctx, ":memory:")
	if err != nil {
		return "", "", nil, err
	}
	k, err := auth.CreateKey(ctx, st.Client, "default", "")
	if err != nil {
		return "", "", nil, errors.Join(err, st.Close())
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	clk := clock.System{}
	srv := httptest.NewServer(httpapi.New(httpapi.Options{
		Resolver: graph.NewResolver(st.Client, clk, log),
		Auth:     auth.NewAuthenticator(st.Client, clk),
		Log:      log,
		Ready:    st.DB.PingContext,
	}))
	return srv.URL, k.Secret, func() {
		srv.Close()
		_ = st.Close()
	}, nil
}
