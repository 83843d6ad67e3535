package limits

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/stigg-selfhost/stiggql/internal/apperr"
)

// The document limits bound the work done on a query before it runs:
// parsing is linear in its size, but GraphQL validation is not. The rule
// that fields sharing a response name can be merged
// (OverlappingFieldsCanBeMerged) compares every pair of such fields, and
// their sub-selections pair by pair: 16 000 repeated __typename took 10 s of
// CPU, a 1 MiB body minutes, and validation cannot be interrupted. So before
// gqlgen parses and validates a document (MutateOperationParameters runs
// first), it is lexed and its tokens counted (graphql-js's maxTokens), then
// parsed and the comparisons validation would make are bounded from above;
// a document over either limit is refused without being validated.
const (
	// DefaultMaxTokens is 14 times the largest operation of Stigg's own
	// client (GetCustomerById, 679 tokens).
	DefaultMaxTokens = 10000
	// DefaultMaxFieldOverlaps bounds the pairs of same-named fields that
	// validation compares (see overlaps); at a few hundred nanoseconds a
	// pair that keeps validation of any accepted document within
	// milliseconds. Stigg's client operations need under 2 000.
	DefaultMaxFieldOverlaps = 20000
)

func init() {
	errcode.RegisterErrorType(string(apperr.GraphQLTokenLimitExceeded), errcode.KindProtocol)
}

var _ graphql.OperationParameterMutator = (*Extension)(nil)

// MutateOperationParameters refuses a document over MaxTokens or
// MaxFieldOverlaps before gqlgen parses and validates it. A document it
// cannot parse is left to gqlgen, which reports the syntax error.
func (e *Extension) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if p.Query == "" {
		return nil
	}
	if _, ok := e.checked.Get(ctx, p.Query); ok {
		return nil
	}
	if err := CheckDocument(ctx, p.Query, e.cfg.MaxTokens, e.cfg.MaxFieldOverlaps); err != nil {
		return err
	}
	e.checked.Add(ctx, p.Query, struct{}{})
	return nil
}

// CheckDocument applies the document limits (zero turns one off) to query.
func CheckDocument(ctx context.Context, query string, maxTokens, maxOverlaps int) *gqlerror.Error {
	if query == "" || (maxTokens <= 0 && maxOverlaps <= 0) {
		return nil
	}
	if maxTokens > 0 {
		if n, over := CountTokens(query, maxTokens); over {
			return limitError(apperr.GraphQLTokenLimitExceeded, "the document has more than %d tokens, the limit (%d counted before stopping)", maxTokens, n)
		}
	}
	if maxOverlaps <= 0 {
		return nil
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return nil
	}
	if n, over := Overlaps(ctx, doc, maxOverlaps); over {
		if ctx.Err() != nil {
			return limitError(apperr.RequestTimeout, "the request was cancelled before its document was checked")
		}
		return limitError(apperr.GraphQLComplexityLimitExceeded,
			"fields with the same response name repeat too often: validating them takes more than %d comparisons, the limit (%d counted before stopping); ask for each field once", maxOverlaps, n)
	}
	return nil
}

// CountTokens counts query's tokens as the GraphQL lexer reads them
// (punctuators, names, values; not comments or commas), stopping once it
// passes max. A lexing error stops the count: the parser reports it.
func CountTokens(query string, max int) (n int, over bool) {
	l := lexer.New(&ast.Source{Input: query})
	for {
		tok, err := l.ReadToken()
		if err != nil || tok.Kind == lexer.EOF {
			return n, false
		}
		n++
		if n > max {
			return n, true
		}
	}
}

// Overlaps returns an upper bound of the field comparisons
// OverlappingFieldsCanBeMerged makes on doc, stopping (over) once it passes
// max or ctx is done.
//
// In every selection set, the fields are collected as the rule collects
// them (through inline fragments and fragment spreads) and grouped by
// response name; two fields of one name are compared, and so are their
// sub-selections, so the pair of fields a and b costs at most
// size(a)*size(b), size being 1 plus the fields below. A name held by one
// field costs nothing at that level.
func Overlaps(ctx context.Context, doc *ast.QueryDocument, max int) (n int, over bool) {
	c := &overlapCounter{ctx: ctx, max: max, frags: map[string]*ast.FragmentDefinition{}, size: map[*ast.Field]int{}}
	for _, f := range doc.Fragments {
		c.frags[f.Name] = f
	}
	for _, op := range doc.Operations {
		c.selectionSet(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		c.selectionSet(f.SelectionSet)
	}
	return c.n, c.over()
}

type overlapCounter struct {
	ctx   context.Context
	max   int
	n     int
	steps int
	frags map[string]*ast.FragmentDefinition
	size  map[*ast.Field]int
	// stopped is set when the count passed max or ctx ended.
	stopped bool
}

func (c *overlapCounter) over() bool { return c.stopped }

func (c *overlapCounter) add(k int) {
	c.n += k
	if c.n > c.max || c.n < 0 {
		c.stopped = true
	}
}

// tick counts a unit of the counter's own work, which is bounded by max
// too, and checks ctx now and then.
func (c *overlapCounter) tick() bool {
	c.steps++
	if c.steps > 4*c.max+1_000_000 {
		c.stopped = true
	}
	if c.steps%1024 == 0 && c.ctx.Err() != nil {
		c.stopped = true
	}
	return !c.stopped
}

func (c *overlapCounter) selectionSet(set ast.SelectionSet) {
	if c.stopped || len(set) == 0 {
		return
	}
	groups := map[string][]int{}
	c.collect(set, groups, map[string]bool{})
	for _, sizes := range groups {
		if len(sizes) < 2 {
			continue
		}
		// Sum over pairs of size(a)*size(b) = (sum² - sum of squares) / 2.
		sum, squares := 0, 0
		for _, s := range sizes {
			sum += s
			squares += s * s
			if sum > c.max*2 || sum < 0 {
				c.stopped = true
				return
			}
		}
		c.add((sum*sum - squares) / 2)
		if c.stopped {
			return
		}
	}
	for _, sel := range set {
		if c.stopped {
			return
		}
		switch s := sel.(type) {
		case *ast.Field:
			c.selectionSet(s.SelectionSet)
		case *ast.InlineFragment:
			// Its fields were collected into this set, and validation
			// checks its selection set again on its own (so nested inline
			// fragments cost the cube of their depth).
			c.selectionSet(s.SelectionSet)
		}
	}
}

// collect adds the fields of set, through inline fragments and (once each)
// fragment spreads, to groups by response name, as their sizes.
func (c *overlapCounter) collect(set ast.SelectionSet, groups map[string][]int, spread map[string]bool) {
	for _, sel := range set {
		if !c.tick() {
			return
		}
		switch s := sel.(type) {
		case *ast.Field:
			name := s.Alias
			if name == "" {
				name = s.Name
			}
			groups[name] = append(groups[name], c.fieldSize(s))
		case *ast.InlineFragment:
			c.collect(s.SelectionSet, groups, spread)
		case *ast.FragmentSpread:
			if spread[s.Name] {
				continue
			}
			spread[s.Name] = true
			if f := c.frags[s.Name]; f != nil {
				c.collect(f.SelectionSet, groups, spread)
			}
		}
		if c.stopped {
			return
		}
	}
}

// fieldSize is 1 plus the number of fields below f, fragments expanded
// (each spread counted where it is spread).
func (c *overlapCounter) fieldSize(f *ast.Field) int {
	if n, ok := c.size[f]; ok {
		return n
	}
	c.size[f] = 1 // a fragment cycle is invalid anyway; stop recursing
	n := 1 + c.setSize(f.SelectionSet, map[string]bool{})
	if n > c.max || n < 0 {
		n = c.max + 1
	}
	c.size[f] = n
	return n
}

func (c *overlapCounter) setSize(set ast.SelectionSet, spread map[string]bool) int {
	n := 0
	for _, sel := range set {
		if !c.tick() {
			return n
		}
		switch s := sel.(type) {
		case *ast.Field:
			n += c.fieldSize(s)
		case *ast.InlineFragment:
			n += c.setSize(s.SelectionSet, spread)
		case *ast.FragmentSpread:
			if spread[s.Name] {
				continue
			}
			spread[s.Name] = true
			if f := c.frags[s.Name]; f != nil {
				n += c.setSize(f.SelectionSet, spread)
			}
		}
		if n > c.max {
			return c.max + 1
		}
	}
	return n
}
