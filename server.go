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
	iofs "io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	reactpaywall "github.com/stigg-selfhost/stiggql/examples/react-paywall"
	"github.com/stigg-selfhost/stiggql/graph"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/catalog"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/db/migrations"
	"github.com/stigg-selfhost/stiggql/internal/events"
	"github.com/stigg-selfhost/stiggql/internal/httpapi"
	"github.com/stigg-selfhost/stiggql/internal/observability"
	"github.com/stigg-selfhost/stiggql/internal/persisted"
	"github.com/stigg-selfhost/stiggql/internal/playground"
	"github.com/stigg-selfhost/stiggql/internal/sqlcount"
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
// examplePage is the example page's files when asked for, else nil.
func examplePage(on bool) iofs.FS {
	if !on {
		return nil
	}
	return reactpaywall.Files()
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// common are the settings every command shares.
type common struct {
	dbURL      string
	sqliteSync string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.dbURL, "db", envOr("DATABASE_URL", "file:stigg.db"),
		"database: a SQLite file (file:PATH) or postgres://... [env DATABASE_URL]")
	fs.StringVar(&c.sqliteSync, "sqlite-synchronous", envOr("SQLITE_SYNCHRONOUS", db.SyncNormal),
		"SQLite only: NORMAL (a power loss may lose the last commits) or FULL (fsync per commit) [env SQLITE_SYNCHRONOUS]")
}

const usage = `stiggql: a self-hostable GraphQL server for Stigg's customer API.

Usage:
  stiggql [serve] [flags]                          start the server (default)
  stiggql keys create --environment NAME [--kind server|client] [flags]
                                                   create an environment (if needed) and print a new API key
  stiggql keys list [flags]                        list API keys (never their secrets)
  stiggql keys customer-token --customer ID [--environment NAME]
                                                   print a customer token (X-CUSTOMER-KEY) for client keys
  stiggql keys signing-secret [--environment NAME] print the secret backends sign customer tokens with
  stiggql keys hardened on|off [--environment NAME] require customer tokens with client keys (or not)
  stiggql migrate [flags]                          apply pending schema migrations and exit
  stiggql import customers FILE [flags]            import customers from a CSV or JSON file, in resumable batches
  stiggql seed --customers N [flags]               fill an empty database with generated customers (benchmarks)
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
	case "migrate":
		return migrateCmd(ctx, args, stdout, stderr)
	case "import":
		return importCmd(ctx, args, stdout, stderr)
	case "seed":
		return seedCmd(ctx, args, stdout, stderr)
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
	var bf billingFlags
	bf.register(fs)
	corsOrigins := fs.String("cors-origins", envOr("CORS_ORIGINS", ""), "comma-separated origins whose browser pages may call the API, e.g. https://app.example.com; * for any [env CORS_ORIGINS]")
	publicIntrospection := fs.Bool("public-introspection", envOr("PUBLIC_INTROSPECTION", "false") == "true", "answer introspection-only queries without an API key [env PUBLIC_INTROSPECTION]")
	autoMigrate := fs.Bool("migrate", envOr("AUTO_MIGRATE", "true") == "true", "apply pending schema migrations at start; with false, start only on a migrated database (run the migrate command) [env AUTO_MIGRATE]")
	persistedFile := fs.String("persisted-queries", envOr("PERSISTED_QUERIES", ""), "allow-list mode: answer only the operations in this file (JSON manifest of sha256 to query, or array) or directory of *.graphql files [env PERSISTED_QUERIES]")
	examplePaywall := fs.Bool("example-paywall", envOr("EXAMPLE_PAYWALL", "") == "true", "serve the example React page (examples/react-paywall) under /examples/paywall/ [env EXAMPLE_PAYWALL]")
	playgroundAssets := fs.String("playground-assets", envOr("PLAYGROUND_ASSETS", playground.DefaultAssetsDir), "directory of the playground's scripts, installed by "+playground.SetupCommand+" [env PLAYGROUND_ASSETS]")
	var ops opsFlags
	ops.register(fs)
	fs.Usage = func() {
		_, _ = io.WriteString(stderr, usage+"\nFlags of serve:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := newLogger(stderr, *logFormat)
	var allowList *persisted.AllowList
	if *persistedFile != "" {
		var err error
		if allowList, err = persisted.Load(*persistedFile); err != nil {
			return err
		}
		log.Info("persisted queries: allow-list mode", "operations", allowList.Len())
	}
	tuneGC()
	origins, err := httpapi.ParseCORSOrigins(*corsOrigins)
	if err != nil {
		return err
	}
	rateLimit, err := ops.rateLimit()
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	tracing, err := observability.SetupTracing(ctx)
	if err != nil {
		return err
	}
	defer shutdownTracing(tracing, log)
	var dbOpts []db.Option
	if tracing != nil {
		dbOpts = append(dbOpts, db.WithDriver(tracing.WrapDriver))
		log.Info("tracing enabled: exporting spans over OTLP/HTTP")
	}

	if !*autoMigrate {
		dbOpts = append(dbOpts, db.WithoutMigrate())
	}
	metrics := ops.newMetrics()
	if metrics != nil {
		statements := &sqlcount.Counter{}
		dbOpts = append(dbOpts, db.WithDriver(statements.Wrap))
		metrics.SetSQLStatements(statements.Count)
	}
	dbOpts = append(dbOpts, db.WithSQLiteSynchronous(c.sqliteSync))
	st, err := db.Open(ctx, c.dbURL, dbOpts...)
	if err != nil {
		return err
	}
	defer st.Close()
	if !*autoMigrate {
		if err := st.Ready(ctx); err != nil {
			return fmt.Errorf("%w; run: stiggql migrate --db ...", err)
		}
	}
	if metrics != nil {
		metrics.SetDBStats(st.DB.Stats)
	}

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

	syncer, err := bf.newSyncer(ctx, st, clk, log)
	if err != nil {
		return err
	}
	if syncer != nil {
		// Stopped (after recording what it has in flight) before the store
		// closes, on every way out of serve.
		syncCtx, stopSync := context.WithCancel(ctx)
		syncDone := make(chan struct{})
		go func() { defer close(syncDone); syncer.Run(syncCtx) }()
		defer func() { stopSync(); <-syncDone; syncer.Close() }()
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	// The playground is given the local default key (from --api-key or made
	// on first start) only when nobody but this machine can reach it.
	pgKey := ""
	if playground.IsLoopbackAddr(ln.Addr()) {
		if *apiKey != "" {
			pgKey = *apiKey
		} else if created != nil {
			pgKey = created.Secret
		}
	}
	if missing := playground.MissingAssets(*playgroundAssets); len(missing) > 0 {
		log.Warn("playground assets are missing: / shows how to install them; the API works without them",
			"dir", *playgroundAssets, "missing", missing, "install", playground.SetupCommand)
	}

	// Real-time events: after commit in process on SQLite; on PostgreSQL
	// through NOTIFY, with a LISTEN connection here, so that subscribers of
	// every replica see changes made through any of them.
	bus := events.ForStore(st, log)
	bus.Start(ctx)
	defer bus.Close()
	// Closed when shutdown begins: http.Server.Shutdown neither waits for
	// nor closes hijacked (WebSocket) connections.
	wsCtx, closeWebSockets := context.WithCancel(context.Background())
	defer closeWebSockets()

	res := graph.NewResolver(st.Client, clk, log).WithEvents(bus)
	res.EnableCaches(st.Dialect)
	h := httpapi.New(httpapi.Options{
		Resolver:            res,
		Auth:                auth.NewAuthenticator(st.Client, clk),
		Log:                 log,
		Ready:               st.Ready,
		Limits:              &ops.limits,
		RateLimit:           rateLimit,
		Metrics:             metrics,
		Tracing:             tracing,
		CORSOrigins:         origins,
		PublicIntrospection: *publicIntrospection,
		PersistedQueries:    allowList,
		SchemaSDL:           schemaSDL,
		PlaygroundAssetsDir: *playgroundAssets,
		PlaygroundAPIKey:    pgKey,
		Shutdown:            wsCtx,
		ExamplePaywall:      examplePage(*examplePaywall),
	})
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	srv.RegisterOnShutdown(closeWebSockets)
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

// GC settings used unless GOGC / GOMEMLIMIT are set. The API's live heap
// is small (tens of MB) and its garbage large (a page of 50 customers with
// their lists allocates 1.5 MB), so with Go's default GOGC=100 the collector
// ran every few requests and took about a third of Q2's CPU
// (docs/performance.md). GOGC=400 lets the heap grow to five times what is
// live between collections; the soft memory limit makes the collector work
// harder instead when that would take Go's memory past 120 MiB, which keeps
// the process (SQLite's caches and statements come on top) under 200 MB
// with 32 concurrent page requests.
const (
	defaultGCPercent   = 400
	defaultMemoryLimit = 120 << 20
)

func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
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
		kind := fs.String("kind", "server", "key kind: server (backends, full access) or client (publishable, for browsers)")
		if err := fs.Parse(args); err != nil {
			return err
		}
		st, err := db.Open(ctx, c.dbURL)
		if err != nil {
			return err
		}
		defer st.Close()
		k, err := auth.CreateKeyOfType(ctx, st.Client, *envName, strings.ToUpper(*kind), "")
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
	case "customer-token", "signing-secret", "hardened":
		return frontKeys(ctx, sub, fs, &c, args, stdout)
	}
	return fmt.Errorf("keys: unknown subcommand %q", sub)
}

// migrateCmd applies pending migrations: production runs it before rolling
// out replicas started with --migrate=false.
func migrateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := db.Open(ctx, c.dbURL, db.WithoutMigrate())
	if err != nil {
		return err
	}
	defer st.Close()
	applied, err := migrations.Apply(ctx, st.DB, st.Dialect)
	for _, name := range applied {
		fmt.Fprintln(stdout, "applied", name)
	}
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "database is up to date")
	}
	return nil
}
