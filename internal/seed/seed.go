// Package seed fills a database with generated customers for benchmarks:
// deterministic (a fixed seed gives the same rows), shaped like the peer
// benchmark's data set, and fast, because a benchmark at a million customers
// must not start with an hour of loading.
//
// Speed comes from writing the way databases like to be written to: rows are
// generated in one goroutine while another writes them, as multi-row INSERT
// statements prepared once per transaction, in transactions of tens of
// thousands of customers, on one connection of the raw *sql.DB (ent's
// per-row builders would spend more time building than SQLite spends
// writing). On SQLite that connection also runs with synchronous=OFF and
// foreign key checks off while it loads: a crash mid-seed leaves a database
// to throw away, which is acceptable for generated data and never for the
// server's own writes; both settings are restored before the connection
// returns to the pool.
package seed

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/environment"
	"github.com/stigg-selfhost/stiggql/ent/feature"
	"github.com/stigg-selfhost/stiggql/ent/plan"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/catalog"
)

// DefaultSeed is the seed used unless another is given (the peer's).
const DefaultSeed = 20240601

// Environments the customers are spread over (80 / 15 / 5 %). The first is
// the server's default environment, the one a key made with --api-key
// selects, so the benchmark queries see 80 % of the customers as the
// peer's do.
var Environments = [3]string{auth.DefaultEnvironmentSlug, "staging", "development"}

// Options control a run.
type Options struct {
	// Customers is how many customers to generate.
	Customers int
	// Seed makes the data; the same seed and count give the same rows.
	Seed uint64
	// Progress receives progress reports; nil for none.
	Progress io.Writer
	// Terminal draws a progress bar rewritten in place instead of lines.
	Terminal bool
	// RefsFile, when set, receives the customerId of every live customer
	// of the default environment, one a line (wrk's Q1 picks from it).
	RefsFile string
}

// Result counts what was written.
type Result struct {
	Customers, Subscriptions, PromotionalEntitlements, SyncStates int
	Elapsed                                                       time.Duration
	EnvironmentID                                                 uuid.UUID
}

// Rows returns the number of rows written.
func (r Result) Rows() int {
	return r.Customers + r.Subscriptions + r.PromotionalEntitlements + r.SyncStates
}

// table is one table's insert: its columns in the order batch appends them.
type table struct {
	name string
	cols []string
}

var (
	customersTable = table{"customers", []string{"id", "created_at", "updated_at", "customer_id", "name", "email",
		"billing_id", "crm_id", "default_payment_method_id", "additional_meta_data", "deleted_at", "environment_id"}}
	subsTable = table{"customer_subscriptions", []string{"id", "created_at", "updated_at", "ref_id", "plan_id",
		"status", "pricing_type", "payment_collection", "billing_period", "start_date", "end_date", "trial_end_date",
		"cancellation_date", "billing_id", "additional_meta_data", "was_in_trial", "customer_id", "environment_id"}}
	pesTable = table{"promotional_entitlements", []string{"id", "created_at", "updated_at", "feature_ref_id",
		"grant_period", "start_date", "end_date", "usage_limit", "has_unlimited_usage", "reset_period", "is_visible",
		"customer_id", "environment_id"}}
	syncsTable = table{"sync_states", []string{"id", "created_at", "updated_at", "entity_type", "entity_id",
		"vendor_identifier", "status", "error", "customer_id", "environment_id"}}
)

// batch holds the generated rows of a run of customers, flattened into
// statement arguments per table.
type batch struct {
	customers, subs, pes, syncs     []any
	nCustomers, nSubs, nPEs, nSyncs int
	refs                            []string
}

const (
	// chunk is how many customers the generator hands over at a time.
	chunk = 1000
	// rowsPerInsert is how many rows one INSERT statement carries (well
	// under SQLite's 32766 and PostgreSQL's 65535 bound parameters).
	rowsPerInsert = 500
	// txCustomers is how many customers one transaction writes.
	txCustomers = 50000
)

// Run generates o.Customers customers with their children and writes them.
// The database must hold no customers yet: ids are derived from the seed
// and would collide.
func Run(ctx context.Context, client *ent.Client, db *sql.DB, dial string, o Options) (Result, error) {
	start := time.Now()
	if o.Customers < 0 {
		return Result{}, errors.New("seed: negative customer count")
	}
	var envs [3]uuid.UUID
	for i, slug := range Environments {
		id, err := ensureEnvironment(ctx, client, slug)
		if err != nil {
			return Result{}, err
		}
		envs[i] = id
	}
	cat, err := loadDemoCatalog(ctx, client, envs)
	if err != nil {
		return Result{}, err
	}
	if n, err := client.Customer.Query().Count(ctx); err != nil {
		return Result{}, err
	} else if n > 0 {
		return Result{}, fmt.Errorf("seed: the database already holds %d customers; seed an empty database", n)
	}

	conn, err := db.Conn(ctx)
	if err != nil {
		return Result{}, err
	}
	defer conn.Close()
	if dial == dialect.SQLite {
		restore, err := fastSQLite(ctx, conn)
		if err != nil {
			return Result{}, err
		}
		defer restore()
	} else if _, err := conn.ExecContext(ctx, "SET synchronous_commit = off"); err != nil {
		return Result{}, err
	} else {
		defer conn.ExecContext(context.Background(), "SET synchronous_commit = on") //nolint:errcheck
	}

	var refs *bufio.Writer
	if o.RefsFile != "" {
		f, err := os.Create(o.RefsFile)
		if err != nil {
			return Result{}, err
		}
		defer f.Close()
		refs = bufio.NewWriter(f)
	}

	// Generate in one goroutine, write in this one.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan *batch, 4)
	go func() {
		defer close(batches)
		g := newGen(o.Seed, envs, cat)
		for i := 0; i < o.Customers; i += chunk {
			b := &batch{}
			for j := i; j < min(i+chunk, o.Customers); j++ {
				g.customer(j, b)
			}
			select {
			case batches <- b:
			case <-ctx.Done():
				return
			}
		}
	}()

	// Secondary indexes are dropped while loading and built again after:
	// building an index from the loaded rows sorts once, which is several
	// times faster than inserting every row into every index as it comes.
	indexes, err := dropIndexes(ctx, conn, dial)
	if err != nil {
		return Result{}, err
	}
	w := &writer{conn: conn, dial: dial}
	res := Result{EnvironmentID: envs[0]}
	p := progress{w: o.Progress, terminal: o.Terminal, total: o.Customers, start: start}
	for b := range batches {
		if err := w.write(ctx, b); err != nil {
			w.rollback()
			return res, err
		}
		res.Customers += b.nCustomers
		res.Subscriptions += b.nSubs
		res.PromotionalEntitlements += b.nPEs
		res.SyncStates += b.nSyncs
		if refs != nil {
			for _, r := range b.refs {
				refs.WriteString(r)
				refs.WriteByte('\n')
			}
		}
		if w.sinceCommit >= txCustomers {
			if err := w.commit(); err != nil {
				return res, err
			}
		}
		p.report(res.Customers, res.Rows())
	}
	if err := w.commit(); err != nil {
		return res, err
	}
	if refs != nil {
		if err := refs.Flush(); err != nil {
			return res, err
		}
	}
	p.finish(res.Customers, res.Rows())
	p.line(fmt.Sprintf("building %d indexes", len(indexes)))
	for _, ix := range indexes {
		if _, err := conn.ExecContext(ctx, ix.sql); err != nil {
			return res, fmt.Errorf("seed: create index %s: %w", ix.name, err)
		}
	}
	p.line("analyzing")
	if err := analyze(ctx, conn, dial); err != nil {
		return res, err
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

func ensureEnvironment(ctx context.Context, client *ent.Client, slug string) (uuid.UUID, error) {
	e, err := client.Environment.Query().Where(environment.Slug(slug)).Only(ctx)
	if ent.IsNotFound(err) {
		e, err = client.Environment.Create().SetSlug(slug).SetDisplayName(slug).Save(ctx)
	}
	if err != nil {
		return uuid.Nil, fmt.Errorf("seed: environment %s: %w", slug, err)
	}
	return e.ID, nil
}

type index struct{ name, sql string }

// seededTables are the tables the seed writes.
var seededTables = []string{customersTable.name, subsTable.name, pesTable.name, syncsTable.name}

// dropIndexes drops the secondary indexes of the seeded tables (not those
// backing a primary key or a constraint) and returns their definitions.
func dropIndexes(ctx context.Context, conn *sql.Conn, dial string) ([]index, error) {
	var q string
	if dial == dialect.Postgres {
		q = `SELECT i.indexname, i.indexdef FROM pg_indexes i
			WHERE i.schemaname = current_schema() AND i.tablename IN ('` + strings.Join(seededTables, "','") + `')
			AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)
			ORDER BY i.indexname`
	} else {
		q = `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
			AND tbl_name IN ('` + strings.Join(seededTables, "','") + `') ORDER BY name`
	}
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("seed: list indexes: %w", err)
	}
	var out []index
	for rows.Next() {
		var ix index
		if err := rows.Scan(&ix.name, &ix.sql); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, ix)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, ix := range out {
		if _, err := conn.ExecContext(ctx, "DROP INDEX "+quoteIdent(ix.name)); err != nil {
			return nil, fmt.Errorf("seed: drop index %s: %w", ix.name, err)
		}
	}
	return out, nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// fastSQLite sets the loading connection up for bulk writes and returns the
// function that undoes it.
func fastSQLite(ctx context.Context, conn *sql.Conn) (func(), error) {
	for _, p := range []string{
		"PRAGMA synchronous = OFF",
		"PRAGMA foreign_keys = OFF",
		"PRAGMA cache_size = -262144", // 256 MiB: the random uuid keys touch pages all over the indexes
		"PRAGMA temp_store = MEMORY",
	} {
		if _, err := conn.ExecContext(ctx, p); err != nil {
			return nil, fmt.Errorf("seed: %s: %w", p, err)
		}
	}
	return func() {
		bg := context.Background()
		for _, p := range []string{
			"PRAGMA synchronous = NORMAL",
			"PRAGMA foreign_keys = ON",
			"PRAGMA cache_size = -2000",
		} {
			conn.ExecContext(bg, p) //nolint:errcheck
		}
	}, nil
}

func analyze(ctx context.Context, conn *sql.Conn, dial string) error {
	// PostgreSQL: VACUUM also sets the visibility map, without which no
	// index-only scan is possible until autovacuum comes by.
	stmts := []string{"VACUUM (ANALYZE) " + strings.Join(seededTables, ", ")}
	if dial == dialect.SQLite {
		// Statistics from a sample of each index, as PRAGMA optimize takes
		// them: exact counts over millions of rows cost tens of seconds and
		// plan no better.
		stmts = []string{"PRAGMA analysis_limit = 1000", "ANALYZE"}
		// Fold the write-ahead log into the database so the server starts
		// on a compact file.
		stmts = append(stmts, "PRAGMA wal_checkpoint(TRUNCATE)")
	}
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("seed: %s: %w", s, err)
		}
	}
	return nil
}

// loadDemoCatalog applies the embedded demo catalog to every seeded
// environment and returns the plans and features the generator draws from,
// in a fixed order so a seed always generates the same data.
func loadDemoCatalog(ctx context.Context, client *ent.Client, envs [3]uuid.UUID) (*demoCatalog, error) {
	cat := &demoCatalog{free: map[string]bool{}}
	for i, slug := range Environments {
		f, err := catalog.Demo()
		if err != nil {
			return nil, err
		}
		f.Environment = slug
		if _, err := catalog.Apply(ctx, client, Now, f); err != nil {
			return nil, fmt.Errorf("seed: demo catalog for %s: %w", slug, err)
		}
		ps, err := client.Plan.Query().Where(plan.EnvironmentID(envs[i])).Order(ent.Asc(plan.FieldRefID)).All(ctx)
		if err != nil {
			return nil, err
		}
		cat.planIDs[i] = map[string]uuid.UUID{}
		for _, p := range ps {
			cat.planIDs[i][p.RefID] = p.ID
			if i == 0 {
				cat.plans = append(cat.plans, p.RefID)
				cat.free[p.RefID] = p.PricingType == plan.PricingTypeFREE
			}
		}
		if i == 0 {
			fs, err := client.Feature.Query().Where(feature.EnvironmentID(envs[i])).Order(ent.Asc(feature.FieldRefID)).All(ctx)
			if err != nil {
				return nil, err
			}
			for _, f := range fs {
				cat.features = append(cat.features, f.RefID)
			}
		}
	}
	if len(cat.plans) == 0 || len(cat.features) == 0 {
		return nil, fmt.Errorf("seed: the demo catalog has no plans or features")
	}
	return cat, nil
}
