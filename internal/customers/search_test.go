package customers

import (
	"strings"
	"testing"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
)

// TestFenceSearch: on PostgreSQL the WHERE clause moves into a derived
// table PostgreSQL does not pull up (OFFSET 0), keeping order and limit
// outside; other dialects are left alone.
func TestFenceSearch(t *testing.T) {
	build := func(d string) (string, []any) {
		s := sql.Dialect(d).Select("id").From(sql.Table("customers")).Where(sql.EQ("email", "a@b")).OrderBy(sql.Desc("created_at")).Limit(21)
		FenceSearch(s)
		return s.Query()
	}
	q, args := build(dialect.Postgres)
	if want := `SELECT "id" FROM (SELECT * FROM "customers" WHERE "email" = $1 OFFSET 0) AS "customers" ORDER BY "created_at" DESC LIMIT 21`; q != want || len(args) != 1 {
		t.Errorf("postgres:\n got %s %v\nwant %s", q, args, want)
	}
	q, _ = build(dialect.SQLite)
	if want := "SELECT `id` FROM `customers` WHERE `email` = ? ORDER BY `created_at` DESC LIMIT 21"; q != want {
		t.Errorf("sqlite:\n got %s\nwant %s", q, want)
	}
}

// TestLookUpPageLate: on PostgreSQL the page's ids are chosen in a subquery
// with the page's order and limit, the rows read by id outside.
func TestLookUpPageLate(t *testing.T) {
	order := []func(*sql.Selector){func(s *sql.Selector) { s.OrderBy(sql.Desc(s.C("created_at"))) }}
	build := func(d string) string {
		s := sql.Dialect(d).Select("name").From(sql.Table("customers")).Where(sql.EQ("email", "a@b")).Limit(21)
		order[0](s)
		LookUpPageLate(order, 21)(s)
		q, _ := s.Query()
		return q
	}
	if got, want := build(dialect.Postgres), `SELECT "name" FROM "customers" WHERE "customers"."id" IN (SELECT "customers"."id" FROM "customers" WHERE "email" = $1 ORDER BY "customers"."created_at" DESC LIMIT 21) ORDER BY "customers"."created_at" DESC LIMIT 21`; got != want {
		t.Errorf("postgres:\n got %s\nwant %s", got, want)
	}
	if got, want := build(dialect.SQLite), "SELECT `name` FROM `customers` WHERE `email` = ? ORDER BY `customers`.`created_at` DESC LIMIT 21"; got != want {
		t.Errorf("sqlite:\n got %s\nwant %s", got, want)
	}
}

func TestSubstringTerm(t *testing.T) {
	for _, tc := range []struct {
		pattern, term string
		ok            bool
	}{
		{"%smith%", "smith", true},
		{"%ab%", "", false},     // too short for a trigram
		{"%a_c%", "", false},    // a wildcard inside
		{"smith%", "", false},   // a prefix, not a substring
		{`%50\%%`, "50%", true}, // an escaped % is a literal
		{`%a\_b%`, "a_b", true}, // so is an escaped _
		{"%%abc%", "", false},   // leading wildcard run
		{"%éÉx%", "éÉx", true},  // characters, not bytes
		{"%" + strings.Repeat("x", 40) + "%", strings.Repeat("x", 40), true},
	} {
		term, ok := SubstringTerm(tc.pattern)
		if ok != tc.ok || term != tc.term {
			t.Errorf("SubstringTerm(%q) = %q, %v; want %q, %v", tc.pattern, term, ok, tc.term, tc.ok)
		}
	}
	if got := GramsPhrase("aBc.D"); got != `"616263 62632E 632E64" OR long` {
		t.Errorf("GramsPhrase = %s", got)
	}
}
