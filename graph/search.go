package graph

import (
	"entgo.io/ent/dialect/sql"

	"github.com/stigg-selfhost/stiggql/graph/model"
	"github.com/stigg-selfhost/stiggql/internal/customers"
	"github.com/stigg-selfhost/stiggql/internal/nestquery"
)

// The email filter of customers: how an iLike substring search uses the
// trigram index, and when a page of one is cheaper to find by a scan, is
// decided in internal/customers/search.go; this file turns the filter input
// into that condition.

// searchHint is passed in nestquery.Env.Hints to the email filter.
type searchHint struct {
	// scan asks for the plain iLike, without the trigram condition.
	scan bool
}

// customerEmail is the email filter field: the plain column comparison, plus
// the trigram condition for an iLike substring on SQLite.
func customerEmail(cmp any, env nestquery.Env) (func(*sql.Selector), error) {
	c := cmp.(*model.StringFieldComparison)
	plain, err := plainCustomerSpec.Where(&model.CustomerFilter{Email: c}, env)
	if err != nil {
		return nil, err
	}
	if h, _ := env.Hints.(searchHint); h.scan || c.ILike == nil {
		return plain, nil
	}
	term, ok := customers.SubstringTerm(*c.ILike)
	if !ok {
		return plain, nil
	}
	indexed := customers.EmailSearch(term)
	return func(s *sql.Selector) {
		plain(s)
		indexed(s)
	}, nil
}

// searchesEmail reports whether filter's top level holds an email iLike
// substring the trigram index can serve.
func searchesEmail(filter *model.CustomerFilter) bool {
	if filter == nil || filter.Email == nil || filter.Email.ILike == nil {
		return false
	}
	_, ok := customers.SubstringTerm(*filter.Email.ILike)
	return ok
}
