// Package baseline is the floor the GraphQL server is measured against: a
// minimal hand-written net/http + database/sql handler that answers the
// benchmark's Q1 and Q2 with the same JSON as the server, and nothing else
// (no GraphQL parsing or validation, no authentication, limits, logging or
// metrics). It lives with the benchmarks and is never served by the product:
// `go run ./bench/cmd/baseline` serves it for scripts/bench.sh.
//
// It does what a careful hand-written handler would: statements prepared
// once, the nested lists of a page fetched with one IN query each, the
// count computed on every request (it has no cache), JSON encoded with
// encoding/json from plain structs.
package baseline

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customersubscription"
	"github.com/stigg-selfhost/stiggql/internal/nestquery"
	"github.com/stigg-selfhost/stiggql/internal/subscription"
)

// Server answers POST /q1 (body {"variables": {"refId": ...}}) and POST
// /q2 for one environment.
type Server struct {
	db   *sql.DB
	dial string
	env  uuid.UUID
	now  func() time.Time

	q1Customer, q1Subs, q1Grants, q2Page, q2Count *sql.Stmt
}

// New prepares the statements for env on db.
func New(ctx context.Context, db *sql.DB, dial string, env uuid.UUID, now func() time.Time) (*Server, error) {
	s := &Server{db: db, dial: dial, env: env, now: now}
	for _, p := range []struct {
		dst *(*sql.Stmt)
		q   string
	}{
		{&s.q1Customer, "SELECT id, customer_id, name, email FROM customers WHERE environment_id = ? AND customer_id = ? AND deleted_at IS NULL"},
		{&s.q1Subs, "SELECT s.id, s.status, p.ref_id, s.start_date, s.trial_end_date, s.effective_end_date, s.cancellation_date FROM customer_subscriptions s JOIN plans p ON p.id = s.plan_id WHERE s.customer_id = ? ORDER BY s.created_at DESC, s.id DESC"},
		{&s.q1Grants, "SELECT feature_ref_id, end_date FROM promotional_entitlements WHERE customer_id = ? AND (end_date IS NULL OR end_date > ?) ORDER BY created_at, id"},
		{&s.q2Page, "SELECT id, customer_id, name, email, created_at FROM customers WHERE environment_id = ? AND deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 51"},
		{&s.q2Count, "SELECT count(*) FROM customers WHERE environment_id = ? AND deleted_at IS NULL"},
	} {
		st, err := db.PrepareContext(ctx, s.placeholders(p.q))
		if err != nil {
			return nil, fmt.Errorf("baseline: prepare %q: %w", p.q, err)
		}
		*p.dst = st
	}
	return s, nil
}

// placeholders turns ? into $n for PostgreSQL.
func (s *Server) placeholders(q string) string {
	if s.dial != dialect.Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// in returns "(?, ?, ...)" for n values starting at placeholder from+1.
func (s *Server) in(n, from int) string {
	var b strings.Builder
	b.WriteByte('(')
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		if s.dial == dialect.Postgres {
			b.WriteString("$" + strconv.Itoa(from+i+1))
		} else {
			b.WriteByte('?')
		}
	}
	b.WriteByte(')')
	return b.String()
}

type ref struct {
	RefID string `json:"refId"`
}

type dateTime struct{ t *time.Time }

func (d dateTime) MarshalJSON() ([]byte, error) {
	if d.t == nil {
		return []byte("null"), nil
	}
	return []byte(strconv.Quote(d.t.UTC().Format("2006-01-02T15:04:05.000Z07:00"))), nil
}

type q1Sub struct {
	ID     uuid.UUID `json:"id"`
	Status string    `json:"status"`
	Plan   *ref      `json:"plan"`
}

type q1Grant struct {
	Feature ref      `json:"feature"`
	Status  string   `json:"status"`
	EndDate dateTime `json:"endDate"`
}

type q1Customer struct {
	ID                      uuid.UUID `json:"id"`
	RefID                   string    `json:"refId"`
	Name                    *string   `json:"name"`
	Email                   *string   `json:"email"`
	Subscriptions           []q1Sub   `json:"subscriptions"`
	PromotionalEntitlements []q1Grant `json:"promotionalEntitlements"`
}

type q2Sub struct {
	ID             uuid.UUID `json:"id"`
	SubscriptionID string    `json:"subscriptionId"`
	Status         string    `json:"status"`
	Plan           *ref      `json:"plan"`
	StartDate      dateTime  `json:"startDate"`
	EndDate        dateTime  `json:"endDate"`
}

type q2Grant struct {
	ID                uuid.UUID `json:"id"`
	Feature           ref       `json:"feature"`
	Status            string    `json:"status"`
	UsageLimit        *float64  `json:"usageLimit"`
	HasUnlimitedUsage *bool     `json:"hasUnlimitedUsage"`
	EndDate           dateTime  `json:"endDate"`
}

type q2Sync struct {
	VendorIdentifier string  `json:"vendorIdentifier"`
	Status           string  `json:"status"`
	Error            *string `json:"error"`
}

type q2Node struct {
	ID                      uuid.UUID `json:"id"`
	RefID                   string    `json:"refId"`
	Name                    *string   `json:"name"`
	Email                   *string   `json:"email"`
	CreatedAt               dateTime  `json:"createdAt"`
	Subscriptions           []q2Sub   `json:"subscriptions"`
	PromotionalEntitlements []q2Grant `json:"promotionalEntitlements"`
	SyncStates              []q2Sync  `json:"syncStates"`
}

type q2Edge struct {
	Node *q2Node `json:"node"`
}

type pageInfo struct {
	HasNextPage bool    `json:"hasNextPage"`
	EndCursor   *string `json:"endCursor"`
}

type q2Connection struct {
	TotalCount int      `json:"totalCount"`
	PageInfo   pageInfo `json:"pageInfo"`
	Edges      []q2Edge `json:"edges"`
}

var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var data any
	var err error
	switch r.URL.Path {
	case "/q1":
		var body struct {
			Variables struct {
				RefID string `json:"refId"`
			} `json:"variables"`
		}
		if err = json.NewDecoder(r.Body).Decode(&body); err == nil {
			var c *q1Customer
			c, err = s.Q1(r.Context(), body.Variables.RefID)
			data = map[string]any{"getCustomerByRefId": c}
		}
	case "/q2":
		var c *q2Connection
		c, err = s.Q2(r.Context())
		data = map[string]any{"customers": c}
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	buf := bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufs.Put(buf)
	if err := json.NewEncoder(buf).Encode(map[string]any{"data": data}); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// Q1 answers Q1: one customer by customerId, its subscriptions (newest
// first) and its active grants (oldest first); nil when there is none.
func (s *Server) Q1(ctx context.Context, refID string) (*q1Customer, error) {
	c := &q1Customer{Subscriptions: []q1Sub{}, PromotionalEntitlements: []q1Grant{}}
	err := s.q1Customer.QueryRowContext(ctx, s.env, refID).Scan(&c.ID, &c.RefID, &c.Name, &c.Email)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rows, err := s.q1Subs.QueryContext(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var sub q1Sub
		var plan sql.NullString
		var start time.Time
		var trial, effEnd, cancelled sql.NullTime
		if err := rows.Scan(&sub.ID, &sub.Status, &plan, &start, &trial, &effEnd, &cancelled); err != nil {
			rows.Close()
			return nil, err
		}
		sub.Status = effectiveStatus(sub.Status, start, trial, effEnd, cancelled, s.now())
		if plan.Valid && plan.String != "" {
			sub.Plan = &ref{plan.String}
		}
		c.Subscriptions = append(c.Subscriptions, sub)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.q1Grants.QueryContext(ctx, c.ID, s.now().UTC())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var g q1Grant
		var end sql.NullTime
		if err := rows.Scan(&g.Feature.RefID, &end); err != nil {
			return nil, err
		}
		g.Status = "Active"
		if end.Valid {
			g.EndDate.t = &end.Time
		}
		c.PromotionalEntitlements = append(c.PromotionalEntitlements, g)
	}
	return c, rows.Err()
}

// newestFirst is the server's default customer order, for the cursor.
var newestFirst = []nestquery.SortKey{
	{Column: "created_at", Desc: true, NullsFirst: true},
	{Column: "id", Desc: true, NullsFirst: true},
}

// Q2 answers Q2: the 50 newest customers with the count, page info and
// their subscriptions, active grants and sync states.
func (s *Server) Q2(ctx context.Context) (*q2Connection, error) {
	conn := &q2Connection{Edges: []q2Edge{}}
	if err := s.q2Count.QueryRowContext(ctx, s.env).Scan(&conn.TotalCount); err != nil {
		return nil, err
	}
	rows, err := s.q2Page.QueryContext(ctx, s.env)
	if err != nil {
		return nil, err
	}
	var nodes []*q2Node
	for rows.Next() {
		n := &q2Node{Subscriptions: []q2Sub{}, PromotionalEntitlements: []q2Grant{}, SyncStates: []q2Sync{}}
		var created time.Time
		if err := rows.Scan(&n.ID, &n.RefID, &n.Name, &n.Email, &created); err != nil {
			rows.Close()
			return nil, err
		}
		n.CreatedAt.t = &created
		nodes = append(nodes, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(nodes) > 50 {
		nodes, conn.PageInfo.HasNextPage = nodes[:50], true
	}
	if len(nodes) == 0 {
		return conn, nil
	}
	last := nodes[len(nodes)-1]
	cur, err := nestquery.EncodeCursor(newestFirst, []any{*last.CreatedAt.t, last.ID})
	if err != nil {
		return nil, err
	}
	conn.PageInfo.EndCursor = &cur
	byID := make(map[uuid.UUID]*q2Node, len(nodes))
	ids := make([]any, len(nodes))
	for i, n := range nodes {
		byID[n.ID] = n
		ids[i] = n.ID
		conn.Edges = append(conn.Edges, q2Edge{Node: n})
	}

	rows, err = s.db.QueryContext(ctx, "SELECT s.customer_id, s.id, s.ref_id, s.status, p.ref_id, s.start_date, s.end_date, s.trial_end_date, s.effective_end_date, s.cancellation_date FROM customer_subscriptions s JOIN plans p ON p.id = s.plan_id WHERE s.customer_id IN "+
		s.in(len(ids), 0)+" ORDER BY s.created_at DESC, s.id DESC", ids...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var cid uuid.UUID
		var sub q2Sub
		var plan sql.NullString
		var start time.Time
		var end, trial, effEnd, cancelled sql.NullTime
		if err := rows.Scan(&cid, &sub.ID, &sub.SubscriptionID, &sub.Status, &plan, &start, &end, &trial, &effEnd, &cancelled); err != nil {
			rows.Close()
			return nil, err
		}
		sub.Status = effectiveStatus(sub.Status, start, trial, effEnd, cancelled, s.now())
		if plan.Valid && plan.String != "" {
			sub.Plan = &ref{plan.String}
		}
		sub.StartDate.t = &start
		if end.Valid {
			sub.EndDate.t = &end.Time
		}
		byID[cid].Subscriptions = append(byID[cid].Subscriptions, sub)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	endArg := "?"
	if s.dial == dialect.Postgres {
		endArg = "$" + strconv.Itoa(len(ids)+1)
	}
	args := append(append(make([]any, 0, len(ids)+1), ids...), s.now().UTC())
	rows, err = s.db.QueryContext(ctx, "SELECT customer_id, id, feature_ref_id, usage_limit, has_unlimited_usage, end_date FROM promotional_entitlements WHERE customer_id IN "+
		s.in(len(ids), 0)+" AND (end_date IS NULL OR end_date > "+endArg+") ORDER BY created_at, id", args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var cid uuid.UUID
		var g q2Grant
		var limit sql.NullFloat64
		var unlimited sql.NullBool
		var end sql.NullTime
		if err := rows.Scan(&cid, &g.ID, &g.Feature.RefID, &limit, &unlimited, &end); err != nil {
			rows.Close()
			return nil, err
		}
		g.Status = "Active"
		if limit.Valid {
			g.UsageLimit = &limit.Float64
		}
		if unlimited.Valid {
			g.HasUnlimitedUsage = &unlimited.Bool
		}
		if end.Valid {
			g.EndDate.t = &end.Time
		}
		byID[cid].PromotionalEntitlements = append(byID[cid].PromotionalEntitlements, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	rows, err = s.db.QueryContext(ctx, "SELECT entity_id, vendor_identifier, status, error FROM sync_states WHERE entity_id IN "+
		s.in(len(ids), 0)+" AND entity_type = 'CUSTOMER' ORDER BY vendor_identifier", ids...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var cid uuid.UUID
		var st q2Sync
		if err := rows.Scan(&cid, &st.VendorIdentifier, &st.Status, &st.Error); err != nil {
			return nil, err
		}
		byID[cid].SyncStates = append(byID[cid].SyncStates, st)
	}
	return conn, rows.Err()
}

// effectiveStatus is the status the API shows: the stored one worked out
// against the clock by the one definition the server uses.
func effectiveStatus(stored string, start time.Time, trial, effEnd, cancelled sql.NullTime, now time.Time) string {
	row := &ent.CustomerSubscription{Status: customersubscription.Status(stored), StartDate: start}
	if trial.Valid {
		row.TrialEndDate = &trial.Time
	}
	if effEnd.Valid {
		row.EffectiveEndDate = &effEnd.Time
	}
	if cancelled.Valid {
		row.CancellationDate = &cancelled.Time
	}
	return string(subscription.EffectiveStatus(row, now.UTC()))
}
