package cli

import (
	"context"
	"fmt"
	"io"
	iofs "io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	reactpaywall "github.com/stigg-selfhost/stiggql/examples/react-paywall"
	"github.com/stigg-selfhost/stiggql/graph"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/catalog"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/entitlements"
	"github.com/stigg-selfhost/stiggql/internal/events"
	"github.com/stigg-selfhost/stiggql/internal/httpapi"
	"github.com/stigg-selfhost/stiggql/internal/observability"
	"github.com/stigg-selfhost/stiggql/internal/persisted"
	"github.com/stigg-selfhost/stiggql/internal/playground"
	"github.com/stigg-selfhost/stiggql/internal/sqlcount"
)

// serveConfig is everything serve reads from flags and the environment.
type serveConfig struct {
	db                  *string
	sqliteSync          *string
	addr                *string
	apiKey              *string
	catalogFile         *string
	logFormat           *string
	corsOrigins         *string
	publicIntrospection *bool
	autoMigrate         *bool
	persistedFile       *string
	playgroundAssets    *string
	examplePaywall      *bool
	testClock           *bool
	entitlementCache    *int
	billing             billingFlags
	ops                 opsFlags
}

func (c *serveConfig) register(f *flagSet) {
	c.db = f.db()
	c.sqliteSync = f.sqliteSynchronous()
	c.addr = f.String("addr", "ADDR", "localhost:8080", "address to listen on")
	c.apiKey = f.String("api-key", "STIGG_API_KEY", "", "make this exact server key valid for the default environment")
	c.catalogFile = f.String("catalog", "CATALOG_FILE", "", "catalog file (YAML or JSON, see docs/catalog.md) loaded at start; the embedded demo catalog when empty")
	c.logFormat = f.String("log-format", "LOG_FORMAT", "json", "log format: json or text")
	c.billing.register(f)
	c.corsOrigins = f.String("cors-origins", "CORS_ORIGINS", "", "comma-separated origins whose browser pages may call the API, e.g. https://app.example.com; * for any")
	c.publicIntrospection = f.Bool("public-introspection", "PUBLIC_INTROSPECTION", false, "answer introspection-only queries without an API key")
	c.autoMigrate = f.Bool("migrate", "AUTO_MIGRATE", true, "apply pending schema migrations at start; with false, start only on a migrated database (run the migrate command)")
	c.persistedFile = f.String("persisted-queries", "PERSISTED_QUERIES", "", "allow-list mode: answer only the operations in this file (JSON manifest of sha256 to query, or array) or directory of *.graphql files")
	c.playgroundAssets = f.String("playground-assets", "PLAYGROUND_ASSETS", "", "serve the playground's third-party files from this directory (written by "+playground.SetupCommand+") instead of the copies in the binary")
	c.entitlementCache = f.Int("entitlement-cache", "ENTITLEMENT_CACHE", entitlements.DefaultCacheEntries, "customers (and resources) whose computed entitlements are kept between requests (internal/entitlements/cache.go); 0 computes every check")
	c.examplePaywall = f.Bool("example-paywall", "EXAMPLE_PAYWALL", false, "serve the example React page (examples/react-paywall) under /examples/paywall/")
	c.testClock = f.Bool("test-clock", "TEST_CLOCK", false, "FOR TESTS ONLY, never in production: run on a clock that "+httpapi.TestClockPath+" moves forward (with a server key), to see usage periods, trials and scheduled updates end")
	c.ops.register(f)
}

func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, nil))
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}

// serve reads its configuration, builds the server and serves until
// SIGINT or SIGTERM.
func (a App) serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlagSet("serve", usage)
	var c serveConfig
	c.register(f)
	if err := f.parse(args, stdout, stderr); err != nil {
		return err
	}
	if f.fs.NArg() > 0 {
		return usagef("serve: unexpected argument %q", f.fs.Arg(0))
	}
	log := newLogger(stderr, *c.logFormat)
	var allowList *persisted.AllowList
	if *c.persistedFile != "" {
		var err error
		if allowList, err = persisted.Load(*c.persistedFile); err != nil {
			return err
		}
		log.Info("persisted queries: allow-list mode", "operations", allowList.Len())
	}
	tuneGC()
	origins, err := httpapi.ParseCORSOrigins(*c.corsOrigins)
	if err != nil {
		return err
	}
	rateLimit, err := c.ops.rateLimit()
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
	if !*c.autoMigrate {
		dbOpts = append(dbOpts, db.WithoutMigrate())
	}
	metrics := c.ops.newMetrics()
	if metrics != nil {
		statements := &sqlcount.Counter{}
		dbOpts = append(dbOpts, db.WithDriver(statements.Wrap))
		metrics.SetSQLStatements(statements.Count, statements.RoundTrips)
	}
	dbOpts = append(dbOpts, db.WithSQLiteSynchronous(*c.sqliteSync))
	st, err := db.Open(ctx, *c.db, dbOpts...)
	if err != nil {
		return err
	}
	defer st.Close()
	if !*c.autoMigrate {
		if err := st.Ready(ctx); err != nil {
			return fmt.Errorf("%w; run: stiggql migrate --db ...", err)
		}
	}
	if metrics != nil {
		metrics.SetDBStats(st.DB.Stats)
	}

	created, err := auth.Bootstrap(ctx, st.Client, *c.apiKey)
	if err != nil {
		return fmt.Errorf("prepare default environment: %w", err)
	}

	// Real-time events: after commit in process on SQLite; on PostgreSQL
	// through NOTIFY, with a LISTEN connection here, so that subscribers of
	// every replica see changes made through any of them.
	bus := events.ForStore(st, log)
	bus.Start(ctx)
	defer bus.Close()
	// Registered before the catalog file is applied, so that a catalog
	// changed by this start reaches other replicas' SDKs as packagePublished.
	bus.RegisterHooks(st.Client)

	var clk clock.Clock = clock.System{}
	var testClock *clock.Test
	if *c.testClock {
		testClock = clock.NewTest()
		clk = testClock
		log.Warn("TEST CLOCK: --test-clock is on; any server API key can move this server's time forward through POST " + httpapi.TestClockPath + ". For tests only, never in production.")
	}
	sum, err := catalog.Load(ctx, st.Client, clk.Now(), *c.catalogFile)
	if err != nil {
		return err
	}
	source := *c.catalogFile
	if source == "" {
		source = catalog.DemoName
	}
	log.Info("catalog loaded", "source", source, "summary", sum.String())

	syncer, err := c.billing.newSyncer(ctx, st, clk, log)
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
	ln, err := net.Listen("tcp", *c.addr)
	if err != nil {
		return err
	}
	pgKey := localKey(ctx, st, &c, created, playground.IsLoopbackAddr(ln.Addr()), stdout, log)
	if missing := playground.MissingAssets(*c.playgroundAssets); len(missing) > 0 {
		log.Warn("playground assets are missing from --playground-assets: / shows how to write them; the API works without them",
			"dir", *c.playgroundAssets, "missing", missing, "write", playground.SetupCommand)
	}

	// Closed when shutdown begins: http.Server.Shutdown neither waits for
	// nor closes hijacked (WebSocket) connections.
	wsCtx, closeWebSockets := context.WithCancel(context.Background())
	defer closeWebSockets()

	res := graph.NewResolver(st.Client, clk, log).WithEvents(bus)
	res.EnableCaches(st.Dialect)
	res.EnablePipelining(st.Driver)
	if n := *c.entitlementCache; n > 0 {
		res.Entitlements.EnableCache(st.Dialect, n)
	} else {
		res.Entitlements.DisableCache()
	}
	// Scheduled subscription updates (end of period, end of month) are
	// applied when due; each is claimed under row locks, so every replica
	// may run this loop.
	schedCtx, stopSched := context.WithCancel(ctx)
	schedDone := make(chan struct{})
	go func() { defer close(schedDone); res.SubscriptionService.RunScheduler(schedCtx, 10*time.Second, log) }()
	defer func() { stopSched(); <-schedDone }()
	h := httpapi.New(httpapi.Options{
		Resolver:            res,
		Auth:                auth.NewAuthenticator(st.Client, clk),
		Log:                 log,
		Ready:               st.Ready,
		Limits:              &c.ops.limits,
		RateLimit:           rateLimit,
		Metrics:             metrics,
		Tracing:             tracing,
		CORSOrigins:         origins,
		PublicIntrospection: *c.publicIntrospection,
		PersistedQueries:    allowList,
		SchemaSDL:           a.SchemaSDL,
		PlaygroundAssetsDir: *c.playgroundAssets,
		PlaygroundAPIKey:    pgKey,
		Shutdown:            wsCtx,
		ExamplePaywall:      examplePage(*c.examplePaywall),
		TestClock:           testClock,
		StripeWebhookSecret: c.billing.webhookSecret(syncer),
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

// localKey prints a key made at this start and returns the key the
// playground presets: none unless the server listens on loopback; then the
// --api-key, the key made now, or the one kept in the local key file.
func localKey(ctx context.Context, st *db.Store, c *serveConfig, created *auth.CreatedKey, loopback bool, stdout io.Writer, log *slog.Logger) string {
	keyFile := ""
	if loopback {
		keyFile = localKeyFile(*c.db)
	}
	switch {
	case *c.apiKey != "":
		if loopback {
			return *c.apiKey
		}
		return ""
	case created != nil:
		if keyFile != "" {
			if err := writeLocalKey(keyFile, created.Secret); err != nil {
				log.Warn("could not keep the local key; the playground will not preset it after a restart", "file", keyFile, "error", err.Error())
				keyFile = ""
			}
		}
		printCreatedKey(stdout, created, keyFile)
		if loopback {
			return created.Secret
		}
		return ""
	case keyFile != "":
		k, err := readLocalKey(ctx, st.Client, keyFile)
		if err != nil {
			log.Warn("local key not used", "error", err.Error())
			return ""
		}
		if k != "" {
			fmt.Fprintf(stdout, "API key (kept in %s, preset in the playground): %s\n", keyFile, k)
		}
		return k
	}
	return ""
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

// shutdownTracing flushes the spans still buffered, for at most 5 s.
func shutdownTracing(t *observability.Tracing, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := t.Shutdown(ctx); err != nil {
		log.Warn("flushing traces failed", "error", err.Error())
	}
}

// examplePage is the example page's files when asked for, else nil.
func examplePage(on bool) iofs.FS {
	if !on {
		return nil
	}
	return reactpaywall.Files()
}
