package graph

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/stigg-selfhost/stiggql/ent"
	"github.com/stigg-selfhost/stiggql/ent/customer"
	"github.com/stigg-selfhost/stiggql/ent/environment"
	"github.com/stigg-selfhost/stiggql/ent/predicate"
	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/customers"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/nestquery"
	"github.com/stigg-selfhost/stiggql/internal/seed"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// searchAlphabet makes emails and terms from few characters, so that
// substrings collide often, with both cases, a non-ASCII letter in both
// cases (folded by PostgreSQL, not by SQLite: both paths must agree anyway)
// and LIKE's special characters.
var searchAlphabet = []rune("aAbBcC.@-xZéÉ_%\\")

func randomText(r *rand.Rand, n int) string {
	b := make([]rune, n)
	for i := range b {
		b[i] = searchAlphabet[r.IntN(len(searchAlphabet))]
	}
	return string(b)
}

// TestEmailSearchMatchesScan: the email iLike answered through the trigram
// index returns exactly what the plain scan returns, in the same order,
// over random emails changed by every kind of write (insert, update to and
// from null, archive, delete) and, on SQLite, after a VACUUM (the index is
// keyed by rowid).
func TestEmailSearchMatchesScan(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		ctx := context.Background()
		r := rand.New(rand.NewPCG(1, 2))
		c := st.Client
		env := c.Environment.Create().SetSlug("search").SetDisplayName("search").SaveX(ctx)
		other := c.Environment.Create().SetSlug("other").SetDisplayName("other").SaveX(ctx)
		base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		email := func() *string {
			if r.IntN(10) == 0 {
				return nil
			}
			e := randomText(r, r.IntN(14))
			return &e
		}
		var ids []uuid.UUID
		create := func(n int) {
			for i := 0; i < n; i++ {
				e := env.ID
				if r.IntN(5) == 0 {
					e = other.ID
				}
				cu := c.Customer.Create().SetEnvironmentID(e).SetCustomerID(fmt.Sprintf("c%d-%d", len(ids), r.IntN(1000))).
					SetNillableEmail(email()).SetCreatedAt(base.Add(time.Duration(r.IntN(100000)) * time.Second)).SaveX(ctx)
				ids = append(ids, cu.ID)
			}
		}
		create(300)
		// Writes the index must follow.
		for i := 0; i < 60; i++ {
			id := ids[r.IntN(len(ids))]
			u := c.Customer.UpdateOneID(id)
			switch r.IntN(4) {
			case 0:
				u.ClearEmail()
			case 1:
				u.SetDeletedAt(base) // archived, email kept: the deleted_at filter must still apply
			default:
				u.SetNillableEmail(email())
			}
			if _, err := u.Save(ctx); err != nil && !ent.IsNotFound(err) {
				t.Fatal(err)
			}
		}
		for i := 0; i < 20; i++ {
			if err := c.Customer.DeleteOneID(ids[r.IntN(len(ids))]).Exec(ctx); err != nil && !ent.IsNotFound(err) {
				t.Fatal(err)
			}
		}
		if st.Dialect == dialect.SQLite {
			if _, err := st.DB.ExecContext(ctx, "VACUUM"); err != nil {
				t.Fatal(err)
			}
		}
		create(100)

		search := func(pattern string, scan bool) ([]uuid.UUID, int) {
			t.Helper()
			f := &model.CustomerFilter{Email: &model.StringFieldComparison{ILike: &pattern}}
			where, err := customerSpec.Where(f, nestquery.Env{Now: base, Hints: searchHint{scan: scan}})
			if err != nil {
				t.Fatal(err)
			}
			q := c.Customer.Query().Where(customer.EnvironmentID(env.ID), customer.DeletedAtIsNil(), predicate.Customer(where))
			n, err := q.Clone().Count(ctx)
			if err != nil {
				t.Fatalf("%q: %v", pattern, err)
			}
			got, err := q.Order(ent.Desc(customer.FieldCreatedAt), ent.Desc(customer.FieldID)).IDs(ctx)
			if err != nil {
				t.Fatalf("%q: %v", pattern, err)
			}
			return got, n
		}
		// ilike is PostgreSQL's own ILIKE, which the iLike (there
		// lower(email) LIKE lower(pattern)) must answer as.
		ilike := func(pattern string) []uuid.UUID {
			t.Helper()
			got, err := c.Customer.Query().Where(customer.EnvironmentID(env.ID), customer.DeletedAtIsNil(), plainILike(pattern)).
				Order(ent.Desc(customer.FieldCreatedAt), ent.Desc(customer.FieldID)).IDs(ctx)
			if err != nil {
				t.Fatalf("%q: %v", pattern, err)
			}
			return got
		}
		// modifiedSearch is the customers page's query of a search with
		// modifier (customers.FenceSearch, customers.LookUpPageLate: no-ops on SQLite), entities
		// loaded, the first limit of them (all with 0).
		modifiedSearch := func(pattern string, scan bool, modifier func(*sql.Selector), limit int) []uuid.UUID {
			t.Helper()
			f := &model.CustomerFilter{Email: &model.StringFieldComparison{ILike: &pattern}}
			where, err := customerSpec.Where(f, nestquery.Env{Now: base, Hints: searchHint{scan: scan}})
			if err != nil {
				t.Fatal(err)
			}
			q := c.Customer.Query().Where(customer.EnvironmentID(env.ID), customer.DeletedAtIsNil(), predicate.Customer(where)).
				Order(ent.Desc(customer.FieldCreatedAt), ent.Desc(customer.FieldID))
			q.Modify(modifier)
			if limit > 0 {
				q.Limit(limit)
			}
			cs, err := q.All(ctx)
			if err != nil {
				t.Fatalf("%q: %v", pattern, err)
			}
			ids := make([]uuid.UUID, len(cs))
			for i, cu := range cs {
				ids[i] = cu.ID
			}
			return ids
		}
		emails := func() []string {
			out, err := c.Customer.Query().Where(customer.EmailNotNil()).Order(ent.Asc(customer.FieldCustomerID)).Select(customer.FieldEmail).Strings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		used, matched := 0, 0
		for i := 0; i < 300; i++ {
			n := 3 + r.IntN(4)
			if r.IntN(4) == 0 {
				n = 1 + r.IntN(2) // too short for the index: scans
			}
			term := randomText(r, n)
			if r.IntN(2) == 0 {
				// A piece of a stored email, so that many terms match.
				if es := emails(); len(es) > 0 {
					e := []rune(es[r.IntN(len(es))])
					if len(e) >= n {
						at := r.IntN(len(e) - n + 1)
						term = string(e[at : at+n])
					}
				}
			}
			pattern := "%" + term + "%"
			if r.IntN(8) == 0 {
				pattern = term + "%" // not a substring search: scans
			}
			if _, ok := customers.SubstringTerm(pattern); ok {
				used++
			}
			gotIDs, gotN := search(pattern, false)
			wantIDs, wantN := search(pattern, true)
			if gotN > 0 {
				matched++
			}
			if gotN != wantN || !slices.Equal(gotIDs, wantIDs) {
				t.Fatalf("pattern %q: index path %d rows %v, scan %d rows %v", pattern, gotN, gotIDs, wantN, wantIDs)
			}
			if st.Dialect == dialect.Postgres {
				if plain := ilike(pattern); !slices.Equal(plain, wantIDs) {
					t.Fatalf("pattern %q: ILIKE %v, iLike %v", pattern, plain, wantIDs)
				}
			}
			if fenced := modifiedSearch(pattern, false, customers.FenceSearch, 0); !slices.Equal(fenced, wantIDs) {
				t.Fatalf("pattern %q: fenced index path %v, scan %v", pattern, fenced, wantIDs)
			}
			// A page of ten, found in the index first (customers.LookUpPageLate).
			order := []func(*sql.Selector){ent.Desc(customer.FieldCreatedAt), ent.Desc(customer.FieldID)}
			want := wantIDs[:min(10, len(wantIDs))]
			if late := modifiedSearch(pattern, true, customers.LookUpPageLate(order, 10), 10); !slices.Equal(late, want) {
				t.Fatalf("pattern %q: late row lookup %v, scan %v", pattern, late, want)
			}
		}
		if used < 80 || matched < 50 {
			t.Fatalf("only %d of the patterns went through the index, %d matched anything", used, matched)
		}
		if st.Dialect == dialect.SQLite {
			var docs, withEmail int
			if err := st.DB.QueryRowContext(ctx, "SELECT count(*) FROM customer_email_grams").Scan(&docs); err != nil {
				t.Fatal(err)
			}
			if err := st.DB.QueryRowContext(ctx, "SELECT count(*) FROM customers WHERE email IS NOT NULL").Scan(&withEmail); err != nil {
				t.Fatal(err)
			}
			if docs != withEmail {
				t.Fatalf("trigram index has %d documents for %d emails", docs, withEmail)
			}
		}
	})
}

// TestCustomerFieldColumnsComplete: every field of Customer in the schema
// says which columns it reads, so that no field quietly makes pages read
// every column.
func TestCustomerFieldColumnsComplete(t *testing.T) {
	typ := NewSchema(&Resolver{}).Schema().Types["Customer"]
	if typ == nil {
		t.Fatal("no Customer type")
	}
	for _, f := range typ.Fields {
		if _, ok := customerFieldColumns[f.Name]; !ok {
			t.Errorf("customerFieldColumns lacks Customer.%s", f.Name)
		}
	}
}

// plainILike is email ILIKE pattern on PostgreSQL and, on SQLite, its iLike
// as nestquery writes it.
func plainILike(pattern string) predicate.Customer {
	return func(s *sql.Selector) {
		if s.Dialect() == dialect.Postgres {
			s.Where(sql.P(func(b *sql.Builder) { b.WriteString(s.C(customer.FieldEmail) + " ILIKE ").Arg(pattern) }))
			return
		}
		s.Where(sql.P(func(b *sql.Builder) {
			b.WriteString("lower(" + s.C(customer.FieldEmail) + ") LIKE lower(").Arg(pattern).WriteString(") ESCAPE '\\'")
		}))
	}
}

// TestBenchTermsAnswerAsILike: for the benchmark's Q3 terms on seeded data,
// the page of each search plan forced (customers.FenceSearch through the
// trigram index, customers.LookUpPageLate walking the newest-first index)
// is the plain ILIKE's on PostgreSQL, whose iLike is
// lower(email) LIKE lower(pattern) served by indexes on lower(email)
// (TestQ3AnswersAsILike checks Q3 itself).
func TestBenchTermsAnswerAsILike(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		ctx := context.Background()
		if _, err := seed.Run(ctx, st.Client, st.DB, st.Dialect, seed.Options{Customers: 3000, Seed: 11}); err != nil {
			t.Fatal(err)
		}
		env, err := st.Client.Environment.Query().Where(environment.Slug("default")).OnlyID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		order := []func(*sql.Selector){ent.Desc(customer.FieldCreatedAt), ent.Desc(customer.FieldID)}
		live := []predicate.Customer{customer.EnvironmentID(env), customer.DeletedAtIsNil()}
		pageOf := func(q *ent.CustomerQuery) []uuid.UUID {
			t.Helper()
			ids, err := q.Order(ent.Desc(customer.FieldCreatedAt), ent.Desc(customer.FieldID)).Limit(21).IDs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return ids
		}
		matched := 0
		for _, term := range []string{"smith", "ANNA", "example.org", "li.w", "son1", "@acme", "Kim4", "zzz", "KIM4", "Son1"} {
			pattern := "%" + term + "%"
			want := pageOf(st.Client.Customer.Query().Where(live...).Where(plainILike(pattern)))
			if len(want) > 0 {
				matched++
			}
			for _, scan := range []bool{false, true} {
				f := &model.CustomerFilter{Email: &model.StringFieldComparison{ILike: &pattern}}
				where, err := customerSpec.Where(f, nestquery.Env{Hints: searchHint{scan: scan}})
				if err != nil {
					t.Fatal(err)
				}
				modifier := customers.FenceSearch
				if scan {
					modifier = customers.LookUpPageLate(order, 21)
				}
				q := st.Client.Customer.Query().Where(live...).Where(predicate.Customer(where))
				q.Modify(modifier)
				if got := pageOf(q); !slices.Equal(got, want) {
					t.Fatalf("%s, scan %v: page %v, ILIKE %v", term, scan, got, want)
				}
			}
		}
		if matched < 5 {
			t.Fatalf("only %d terms matched anything", matched)
		}
	})
}
