package limits

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/stigg-selfhost/stiggql/internal/apperr"
)

// How list fields weigh in Complexity.
const (
	// PagingArgument and PagingType mark a cursor-paged connection field.
	PagingArgument = "paging"
	PagingType     = "CursorPaging"
	// DefaultPageSize is the page size of a connection when its paging
	// gives neither first nor last, as the resolvers assume.
	DefaultPageSize = 10
	// MaxPageSize is the largest page the resolvers return; a larger first
	// or last is refused by them, so the estimate never needs more.
	MaxPageSize = 100
	// ListMultiplier is the assumed length of any other list of objects.
	// Such lists (a customer's subscriptions, a plan's entitlements) are
	// bounded by the data, not by the query, and are loaded in batches; a
	// larger factor compounds with nesting and refused the official Stigg
	// client's own customer query (complexity 2.5 million at 10). Paged
	// connections are what a query can inflate, and they keep their factor.
	ListMultiplier = 1
)

// Extension enforces MaxDepth, MaxAliases and MaxComplexity on every
// operation once it is parsed and validated, before it executes. It is a
// gqlgen handler extension: srv.Use(limits.NewExtension(cfg)).
type Extension struct {
	cfg Config
	// checked remembers documents that passed the document limits, so a
	// repeated operation is not lexed and parsed twice per request.
	checked *lru.LRU[struct{}]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = (*Extension)(nil)

// NewExtension returns the extension enforcing cfg's operation limits.
func NewExtension(cfg Config) *Extension {
	return &Extension{cfg: cfg, checked: lru.New[struct{}](1000)}
}

// ExtensionName implements graphql.HandlerExtension.
func (*Extension) ExtensionName() string { return "QueryLimits" }

// Validate implements graphql.HandlerExtension.
func (*Extension) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext refuses the operation when it is over a limit.
func (e *Extension) MutateOperationContext(_ context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	op := opCtx.Operation
	if op == nil {
		return nil
	}
	m := Measure(op, opCtx.Variables)
	switch {
	case e.cfg.MaxDepth > 0 && m.Depth > e.cfg.MaxDepth:
		return limitError(apperr.GraphQLDepthLimitExceeded, "operation has depth %d, which exceeds the limit of %d", m.Depth, e.cfg.MaxDepth)
	case e.cfg.MaxAliases > 0 && m.Aliases > e.cfg.MaxAliases:
		return limitError(apperr.GraphQLAliasesLimitExceeded, "operation has %d aliases, which exceeds the limit of %d", m.Aliases, e.cfg.MaxAliases)
	case e.cfg.MaxComplexity > 0 && m.Complexity > e.cfg.MaxComplexity:
		return limitError(apperr.GraphQLComplexityLimitExceeded, "operation has complexity %d, which exceeds the limit of %d", m.Complexity, e.cfg.MaxComplexity)
	}
	return nil
}

func limitError(code apperr.Code, format string, args ...any) *gqlerror.Error {
	return &gqlerror.Error{
		Message:    fmt.Sprintf(format, args...),
		Extensions: map[string]any{"code": string(code)},
	}
}

// Measures are the sizes of one operation that the limits apply to.
type Measures struct {
	// Depth is the deepest field nesting; a root field is at depth 1.
	Depth int
	// Aliases counts aliased fields, fragments counted once per spread.
	Aliases int
	// Complexity estimates the number of values the response may hold:
	// every field counts 1, and the fields below a list of objects count
	// once per element expected. A connection (a field with a paging:
	// CursorPaging argument) is expected to return its page size (first or
	// last, DefaultPageSize when neither is given, at most MaxPageSize)
	// edges or nodes; any other list of objects ListMultiplier elements.
	// Introspection fields and __typename count nothing: they are answered
	// from memory.
	Complexity int
}

// Measure returns op's measures with its variables' values. op must be a
// validated operation, whose fields and fragment spreads are resolved to
// their definitions. Each fragment is measured once, so a document whose
// fragments spread each other many times costs no more than its size.
func Measure(op *ast.OperationDefinition, vars map[string]any) Measures {
	w := walker{
		vars:    vars,
		depth:   map[string]int{},
		aliases: map[string]int{},
		cost:    map[costKey]int{},
	}
	return Measures{
		Depth:      w.depthOf(op.SelectionSet),
		Aliases:    w.aliasesOf(op.SelectionSet),
		Complexity: w.costOf(op.SelectionSet, ListMultiplier),
	}
}

type costKey struct {
	fragment string
	listMul  int
}

// walker computes measures with memoised fragments.
type walker struct {
	vars    map[string]any
	depth   map[string]int
	aliases map[string]int
	cost    map[costKey]int
}

func (w *walker) depthOf(set ast.SelectionSet) int {
	deepest := 0
	for _, sel := range set {
		d := 0
		switch s := sel.(type) {
		case *ast.Field:
			d = 1 + w.depthOf(s.SelectionSet)
		case *ast.InlineFragment:
			d = w.depthOf(s.SelectionSet)
		case *ast.FragmentSpread:
			if s.Definition == nil {
				continue
			}
			var ok bool
			if d, ok = w.depth[s.Name]; !ok {
				w.depth[s.Name] = 0 // a cycle (refused by validation) ends here
				d = w.depthOf(s.Definition.SelectionSet)
				w.depth[s.Name] = d
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}

func (w *walker) aliasesOf(set ast.SelectionSet) int {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != "" && s.Alias != s.Name {
				n = add(n, 1)
			}
			n = add(n, w.aliasesOf(s.SelectionSet))
		case *ast.InlineFragment:
			n = add(n, w.aliasesOf(s.SelectionSet))
		case *ast.FragmentSpread:
			if s.Definition == nil {
				continue
			}
			c, ok := w.aliases[s.Name]
			if !ok {
				w.aliases[s.Name] = 0
				c = w.aliasesOf(s.Definition.SelectionSet)
				w.aliases[s.Name] = c
			}
			n = add(n, c)
		}
	}
	return n
}

// costOf returns the complexity of set, whose list fields are expected to
// hold listMul elements each.
func (w *walker) costOf(set ast.SelectionSet, listMul int) int {
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			total = add(total, w.fieldCost(s, listMul))
		case *ast.InlineFragment:
			total = add(total, w.costOf(s.SelectionSet, listMul))
		case *ast.FragmentSpread:
			if s.Definition == nil {
				continue
			}
			k := costKey{s.Name, listMul}
			c, ok := w.cost[k]
			if !ok {
				w.cost[k] = 0
				c = w.costOf(s.Definition.SelectionSet, listMul)
				w.cost[k] = c
			}
			total = add(total, c)
		}
	}
	return total
}

func (w *walker) fieldCost(f *ast.Field, listMul int) int {
	if strings.HasPrefix(f.Name, "__") {
		return 0
	}
	if len(f.SelectionSet) == 0 {
		return 1 // a scalar or enum, or a list of them: one value to the database
	}
	childMul := ListMultiplier
	if size, ok := w.pageSize(f); ok {
		childMul = size
	}
	children := w.costOf(f.SelectionSet, childMul)
	if f.Definition != nil && f.Definition.Type.Elem != nil {
		children = mul(children, listMul)
	}
	return add(1, children)
}

// pageSize returns the page a connection field asks for, or false when f is
// not a connection.
func (w *walker) pageSize(f *ast.Field) (int, bool) {
	if f.Definition == nil {
		return 0, false
	}
	def := f.Definition.Arguments.ForName(PagingArgument)
	if def == nil || def.Type.Name() != PagingType {
		return 0, false
	}
	var paging any
	if arg := f.Arguments.ForName(PagingArgument); arg != nil && arg.Value != nil {
		if arg.Value.Kind == ast.Variable {
			v, ok := w.vars[arg.Value.Raw]
			if ok {
				paging = v
			} else if def.DefaultValue != nil {
				paging, _ = def.DefaultValue.Value(nil)
			}
		} else {
			paging, _ = arg.Value.Value(w.vars)
		}
	} else if def.DefaultValue != nil {
		paging, _ = def.DefaultValue.Value(nil)
	}
	size := DefaultPageSize
	if m, ok := paging.(map[string]any); ok {
		first, hasFirst := toInt(m["first"])
		last, hasLast := toInt(m["last"])
		switch {
		case hasFirst && hasLast:
			size = max(first, last)
		case hasFirst:
			size = first
		case hasLast:
			size = last
		}
	}
	return min(max(size, 0), MaxPageSize), true
}

// toInt reads an integer argument in any of the forms coercion leaves it.
func toInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int32:
		return int(n), true
	case int64:
		return int(max(min(n, math.MaxInt32), math.MinInt32)), true
	case float64:
		return int(max(min(n, math.MaxInt32), math.MinInt32)), true
	case json.Number:
		i, err := n.Int64()
		if err != nil {
			return 0, false
		}
		return toInt(i)
	}
	return 0, false
}

// add and mul saturate instead of overflowing, so no document can wrap a
// measure around to a small number.
func add(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

func mul(a, b int) int {
	if a == 0 || b == 0 {
		return 0
	}
	if a > math.MaxInt/b {
		return math.MaxInt
	}
	return a * b
}
