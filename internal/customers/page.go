package customers

import (
	"context"

	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/predicate"
	"github.com/stigg-selfhost/stiggql/internal/nestquery"
	"github.com/stigg-selfhost/stiggql/internal/store"
)

// Pages builds and runs the SQL of a customers page: the environment and
// archive scope, the count (cached while the environment's customers are
// unchanged, counts.go), the plan of an email search (search.go), the
// columns, and the keyset page itself. The filter's condition and the
// columns come from the GraphQL layer (graph/filter.go, graph/columns.go).
type Pages struct {
	client *ent.Client
	// versions and counts are nil until EnableCaches.
	versions *store.Versions
	counts   *countCache
}

// NewPages returns the customers pages of client, without caches.
func NewPages(client *ent.Client) *Pages {
	return &Pages{client: client}
}

// EnableCaches turns the count cache on; versions tells when a count is
// stale.
func (p *Pages) EnableCaches(versions *store.Versions) {
	p.versions = versions
	p.counts = &countCache{entries: map[countKey]countEntry{}}
}

// PageQuery asks for one page of an environment's customers.
type PageQuery struct {
	Env uuid.UUID
	// Where is the filter's condition; ScanWhere builds the same condition
	// without the trigram index, for a search matching many customers.
	Where     func(*sql.Selector)
	ScanWhere func() (func(*sql.Selector), error)
	// MentionsDeletedAt is true when the filter asks about deletedAt
	// (VisibleScope).
	MentionsDeletedAt bool
	Keys              []nestquery.SortKey
	Paging            nestquery.PageRequest
	// PageSize is the number of rows Paging asks for, for cost estimates.
	PageSize int
	// Columns are the columns to read, nil for all.
	Columns []string
	// Count asks for the total count. CountKey names the filter in the
	// count cache, and CountKeyAll names no filter (the environment's size,
	// for the search plan). Cacheable is false when the count depends on
	// other tables than customers (it is then counted every time).
	Count       bool
	CountKey    string
	CountKeyAll string
	Cacheable   bool
	// EmailSearch is true when the filter's top level holds an email
	// substring search (search.go).
	EmailSearch bool
}

// Page is one page of customers.
type Page struct {
	*nestquery.Page[*ent.Customer]
	// TotalCount is set when PageQuery.Count asked for it.
	TotalCount int
}

// VisibleScope is the archived-customer rule of every customers list:
// archived customers are invisible unless the filter asks about deletedAt.
func VisibleScope(env uuid.UUID, where func(*sql.Selector), mentionsDeletedAt bool) []predicate.Customer {
	base := []predicate.Customer{customer.EnvironmentID(env), predicate.Customer(where)}
	if !mentionsDeletedAt {
		base = append(base, customer.DeletedAtIsNil())
	}
	return base
}

// Page returns the page q asks for.
//
// The count comes first when asked for: a search matching many customers
// finds its page faster by walking the newest-first index than through the
// trigram index (search.go), and the cached count is valid only at the
// environment's current version. On PostgreSQL, once a count for the
// filter is cached, the page goes first instead and its statement also
// reads the versions (store.Versions.FoldInto): the plan is chosen from
// the cached count whatever its version (a plan changes the cost, never
// the rows), and the count is checked against the versions the page read,
// counted again only when they moved. The request then sends one statement
// where it sent two (the versions read, the page).
func (p *Pages) Page(ctx context.Context, q PageQuery) (*Page, error) {
	base := VisibleScope(q.Env, q.Where, q.MentionsDeletedAt)
	out := &Page{}
	plan := SearchPlanAny // how the page of a search is found (search.go)
	var fold func(*sql.Selector)
	if q.Count && q.Cacheable {
		if n, ok := p.peekCount(q.Env, q.CountKey); ok {
			if fold = p.versions.FoldInto(ctx, q.Env); fold != nil {
				plan = SearchPlanFor(n, p.envSize(q), q.PageSize)
			}
		}
	}
	counted := base // the scan plan below changes base, not what is counted
	countIt := func() error {
		var err error
		out.TotalCount, err = p.count(ctx, q.Env, q.CountKey, q.Cacheable, func(ctx context.Context) (int, error) {
			return p.client.Customer.Query().Where(counted...).Count(ctx)
		})
		return err
	}
	if q.Count && fold == nil {
		if err := countIt(); err != nil {
			return nil, err
		}
		plan = SearchPlanFor(out.TotalCount, p.envSize(q), q.PageSize)
	}
	if !q.EmailSearch {
		plan = SearchPlanAny
	}
	if plan == SearchPlanScan {
		scan, err := q.ScanWhere()
		if err != nil {
			return nil, err
		}
		base = VisibleScope(q.Env, scan, q.MentionsDeletedAt)
	}
	page, err := nestquery.Paginate(ctx, q.Paging, q.Keys, nestquery.ValuesByColumn[*ent.Customer](q.Keys),
		func(ctx context.Context, cur func(*sql.Selector), order []func(*sql.Selector), limit int) ([]*ent.Customer, error) {
			sel := p.client.Customer.Query().Where(base...)
			if cols := columnsIn(ctx, q.Columns); cols != nil {
				sel.Select(cols...) // only what the selection reads
			}
			if cur != nil {
				sel.Where(predicate.Customer(cur))
			}
			for _, o := range order {
				sel.Order(customer.OrderOption(o))
			}
			if m := plan.PageModifier(order, limit); m != nil {
				sel.Modify(m)
			}
			if fold != nil {
				sel.Modify(fold)
			}
			rows, err := sel.Limit(limit).All(ctx)
			if err == nil && fold != nil && len(rows) > 0 {
				err = p.versions.Folded(ctx, q.Env, rows[0].Value)
			}
			return rows, err
		})
	if err != nil {
		return nil, err
	}
	out.Page = page
	if fold != nil {
		// After the page: the versions it read tell whether the cached
		// count still holds (an empty page read none, and count reads them).
		if err := countIt(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// envSize is the environment's size as last counted, or -1 (an estimate for
// the search plan, ScanSearchPage).
func (p *Pages) envSize(q PageQuery) int {
	if n, ok := p.peekCount(q.Env, q.CountKeyAll); ok {
		return n
	}
	return -1
}
