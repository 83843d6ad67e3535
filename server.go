// Command stiggql is a self-hostable GraphQL server that mirrors Stigg's
// customer API: customers, their subscriptions, promotional entitlements and
// sync states. `go run .` serves it on an embedded SQLite database.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/stigg-selfhost/stiggql/graph"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/catalog"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/httpapi"
)

//go:embed schema.graphqls
var schemaSDL string

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "error:", err)
		}
		os.Exit(2)
	}
}

// envOr returns the environment variable name's value, or def.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// common are the settings every command shares.
type common struct {
	dbURL string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.dbURL, "db", envOr("DATABASE_URL", "file:stigg.db"),
		"database: a SQLite file (file:PATH) or postgres://... [env DATABASE_URL]")
}

const usage = `stiggql: a self-hostable GraphQL server for Stigg's customer API.

Usage:
  stiggql [serve] [flags]                          start the server (default)
  stiggql keys create --environment NAME [flags]   create an environment (if needed) and print a new API key
  stiggql keys list [flags]                        list API keys (never their secrets)
  stiggql schema                                   print the GraphQL schema (SDL)

Run "stiggql COMMAND --help" for the flags of a command.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, stdout, stderr)
	case "keys":
		return keys(ctx, args, stdout, stderr)
	case "schema":
		_, err := io.WriteString(stdout, schemaSDL)
		return err
	case "help":
		_, _ = io.WriteString(stdout, usage)
		return nil
	}
	_, _ = io.WriteString(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, nil))
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	addr := fs.String("addr", envOr("ADDR", "localhost:8080"), "address to listen on [env ADDR]")
	apiKey := fs.String("api-key", envOr("STIGG_API_KEY", ""), "make this exact server key valid for the default environment [env STIGG_API_KEY]")
	catalogFile := fs.String("catalog", envOr("CATALOG_FILE", ""), "catalog file (YAML or JSON, see docs/catalog.md) loaded at start; the embedded demo catalog when empty [env CATALOG_FILE]")
	logFormat := fs.String("log-format", envOr("LOG_FORMAT", "json"), "log format: json or text [env LOG_FORMAT]")
	fs.Usage = func() {
		_, _ = io.WriteString(stderr, usage+"\nFlags of serve:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := newLogger(stderr, *logFormat)

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	st, err := db.Open(ctx, c.dbURL)
	if err != nil {
		return err
	}
	defer st.Close()

	created, err := auth.Bootstrap(ctx, st.Client, *apiKey)
	if err != nil {
		return fmt.Errorf("prepare default environment: %w", err)
	}
	if created != nil && *apiKey == "" {
		fmt.Fprintf(stdout, "Created environment %q with a server API key (shown once, keep it):\n\n    %s\n\nSend it as the X-API-KEY header.\n\n", created.Environment.Slug, created.Secret)
	}

	clk := clock.System{}
	sum, err := catalog.Load(ctx, st.Client, clk.Now(), *catalogFile)
	if err != nil {
		return err
	}
	source := *catalogFile
	if source == "" {
		source = catalog.DemoName
	}
	log.Info("catalog loaded", "source", source, "summary", sum.String())

	res := graph.NewResolver(st.Client, clk, log)
	h := httpapi.New(httpapi.Options{
		Resolver: res,
		Auth:     auth.NewAuthenticator(st.Client, clk),
		Log:      log,
		Ready:    st.DB.PingContext,
	})

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	fmt.Fprintf(stdout, "Serving GraphQL at http://%s%s (playground at http://%s/)\n", ln.Addr(), httpapi.GraphQLPath, ln.Addr())
	log.Info("listening", "addr", ln.Addr().String(), "database", st.Dialect)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

func keys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		_, _ = io.WriteString(stderr, usage)
		return errors.New("keys: expected create or list")
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("keys "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	switch sub {
	case "create":
		envName := fs.String("environment", auth.DefaultEnvironmentSlug, "environment slug; created when missing")
		if err := fs.Parse(args); err != nil {
			return err
		}
		st, err := db.Open(ctx, c.dbURL)
		if err != nil {
			return err
		}
		defer st.Close()
		k, err := auth.CreateKey(ctx, st.Client, *envName, "")
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", k.Secret)
		fmt.Fprintf(stderr, "created key %s for environment %q (%s); the secret above is shown once\n", k.Key.ID, k.Environment.Slug, k.Environment.ID)
		return nil
	case "list":
		if err := fs.Parse(args); err != nil {
			return err
		}
		st, err := db.Open(ctx, c.dbURL)
		if err != nil {
			return err
		}
		defer st.Close()
		return auth.ListKeys(ctx, st.Client, stdout)
	}
	return fmt.Errorf("keys: unknown subcommand %q", sub)
}
