package customers

import (
	"encoding/hex"
	"strings"
	"unicode/utf8"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/stigg-selfhost/stiggql/internal/nestquery"
)

// Email substring search: iLike '%term%' on a customer's email (what a
// search box sends) must not read every customer of the environment.
//
//   - PostgreSQL answers the iLike, lower(email) LIKE lower(pattern)
//     (nestquery.Spec.LowerILike), from the pg_trgm GIN index
//     customer_email_trgm on lower(email) by itself; nothing changes in the
//     SQL.
//   - SQLite has no such index type, so the search adds a necessary
//     condition its planner can drive from: the customer's rowid is among
//     the documents of customer_email_grams (an FTS4 table of the
//     trigrams of lower(email), kept by triggers; see
//     internal/db/migrations/search.go) matching the phrase of the term's
//     trigrams. The iLike itself stays in the WHERE clause, so the result is
//     the scan's, row for row; the index only decides which rows are looked
//     at.
//
// Terms shorter than 3 characters have no trigram and other patterns (a
// wildcard inside, a prefix only) are not substrings: they scan, as before.
// A substring matching a large share of the customers is also cheaper to
// find by walking the newest-first index than through the trigram index,
// so when the caller knows the match count is high it asks for a scan
// (searchHint).

// MinSearchTerm is the shortest term the trigram index can answer.
const MinSearchTerm = 3

// maxSearchGrams caps the phrase sent to the index: the phrase of a long
// term's first windows is still a necessary condition, and the iLike checks
// the rest.
const maxSearchGrams = 32

// ScanSearchPage reports whether the page of a search matching matches
// customers is cheaper to find by walking the newest-first index, reading
// about envSize/matches index entries per row of the page, than by looking
// up every match through the trigram index and sorting them (each lookup
// costs about as much as 30 index entries, measured on SQLite): so when
// matches² > envSize × pageSize / 30. Without the environment's size
// (envSize < 0) it assumes 300 matches are the break-even, right for about
// 100 000 customers.
func ScanSearchPage(matches, envSize, pageSize int) bool {
	if envSize < 0 {
		return matches > 300
	}
	return matches*matches*30 > envSize*pageSize
}

// SearchPlan is how the page of an email search is found, chosen from its
// match count when the request has read it.
type SearchPlan int

const (
	// SearchPlanAny leaves it to the database (no count read).
	SearchPlanAny SearchPlan = iota
	// SearchPlanIndex finds the matches through the trigram index and
	// sorts them (few matches).
	SearchPlanIndex
	// SearchPlanScan walks the newest-first index (many matches).
	SearchPlanScan
)

// SearchPlanFor is the plan for a search matching matches customers
// (ScanSearchPage).
func SearchPlanFor(matches, envSize, pageSize int) SearchPlan {
	if ScanSearchPage(matches, envSize, pageSize) {
		return SearchPlanScan
	}
	return SearchPlanIndex
}

// PageModifier returns the query modifier that holds PostgreSQL to the plan
// (FenceSearch, LookUpPageLate) for a page with order and limit, or nil.
// On SQLite the email filter itself follows the plan (searchHint).
func (p SearchPlan) PageModifier(order []func(*sql.Selector), limit int) func(*sql.Selector) {
	switch p {
	case SearchPlanIndex:
		return FenceSearch
	case SearchPlanScan:
		return LookUpPageLate(order, limit)
	}
	return nil
}

// FenceSearch, a query modifier, makes PostgreSQL find the page of an email
// search through the trigram index, sorting the matches, instead of walking
// the newest-first index until the page is full. Its planner misjudges how
// many rows a trigram pattern matches (for '%li.w%' at 100 000 customers it
// expected 777 rows of 148 and walked 9 600 index entries, 19 ms instead of
// 2), while the page knows the count, which it has just read: it fences
// when ScanSearchPage says the matches are few. The WHERE clause moves into
// a derived table with OFFSET 0, which PostgreSQL plans on its own (it does
// not pull such a subquery up), so ORDER BY ... LIMIT can no longer be
// answered from the index order. It must run after every predicate (ent
// applies a query's modifiers last when it loads entities). SQLite is left
// as it is: its search already drives from its trigram table
// (customerEmail).
func FenceSearch(s *sql.Selector) {
	if s.Dialect() != dialect.Postgres || s.P() == nil {
		return
	}
	table := s.TableName()
	inner := sql.Dialect(dialect.Postgres).Select("*").From(sql.Table(table)).Where(s.P()).Offset(0)
	s.SetP(nil)
	s.From(inner.As(table))
}

// LookUpPageLate, a query modifier, makes PostgreSQL find the page of an
// email search matching many customers in the newest-first covering index
// alone (an index-only scan: the index holds the email, and on PostgreSQL
// lower(email), which the iLike reads there instead of lowering each email)
// and read the rows of the page only: WHERE id IN (the page's ids, found in the index) with the
// same order and limit outside. Without it each index entry walked past is
// a heap fetch before the email is checked (for '%son1%' at 100 000
// customers, 1 700 entries for a page of 21: 5.4 ms against 3.5). order and
// limit are the page's; like FenceSearch it must run after every predicate.
// SQLite checks the email in the index before reading the row by itself.
func LookUpPageLate(order []func(*sql.Selector), limit int) func(*sql.Selector) {
	return func(s *sql.Selector) {
		if s.Dialect() != dialect.Postgres || s.P() == nil {
			return
		}
		table := s.TableName()
		inner := sql.Dialect(dialect.Postgres).Select(sql.Table(table).C("id")).From(sql.Table(table)).Where(s.P()).Limit(limit)
		for _, o := range order {
			o(inner)
		}
		s.SetP(sql.In(s.C("id"), inner))
	}
}

// EmailSearch is the condition that lets SQLite find the customers whose
// email contains term through the trigram table customer_email_grams: a
// necessary condition only, added next to the iLike itself. It does
// nothing on other dialects.
func EmailSearch(term string) func(*sql.Selector) {
	match := GramsPhrase(term)
	return func(s *sql.Selector) {
		if s.Dialect() != dialect.SQLite {
			return
		}
		rowid := s.C("rowid")
		s.Where(sql.P(func(b *sql.Builder) {
			b.WriteString(rowid + " IN (SELECT docid FROM customer_email_grams WHERE customer_email_grams MATCH ").
				Arg(match).WriteString(")")
		}))
	}
}

// GramsPhrase is the FTS4 query for term: the phrase of the hex of its
// 3-character windows after folding ASCII case as SQLite's lower() does
// (the index holds the same for lower(email)), or any email too long for
// the index to cover ("long").
func GramsPhrase(term string) string {
	runes := []rune(foldASCII(term))
	n := min(len(runes)-2, maxSearchGrams)
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		var buf [3 * utf8.UTFMax]byte
		k := 0
		for _, r := range runes[i : i+3] {
			k += utf8.EncodeRune(buf[k:], r)
		}
		b.WriteString(strings.ToUpper(hex.EncodeToString(buf[:k])))
	}
	b.WriteString(`" OR long`)
	return b.String()
}

// foldASCII lower-cases ASCII letters only, like SQLite's lower() without
// ICU.
func foldASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// SubstringTerm returns term when pattern is %term% with a term the trigram
// index can find (MinSearchTerm characters or more).
func SubstringTerm(pattern string) (string, bool) {
	return nestquery.SubstringTerm(pattern, MinSearchTerm)
}
