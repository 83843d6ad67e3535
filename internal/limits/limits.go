// Package limits bounds what one request may ask of the server, so that no
// single client can make it do unbounded work: the depth, complexity and
// number of aliases of a GraphQL operation (checked by a gqlgen extension
// after parsing and validation, before any resolver runs), the number of
// operations in a batched request, the size of the request body, and the
// time a request may take (checked by HTTP middleware).
//
// Every refusal is a GraphQL-shaped response with a stable extensions.code.
package limits

import (
	"time"

	"github.com/99designs/gqlgen/graphql/errcode"

	"github.com/stigg-selfhost/stiggql/internal/apperr"
)

// Config sets the limits. A zero field turns its limit off, except
// MaxBatchOperations, where zero turns batching off.
type Config struct {
	// MaxDepth is the deepest nesting of fields an operation may have; a
	// root field is at depth 1. Fragments add no depth of their own.
	MaxDepth int
	// MaxComplexity bounds an operation's estimated cost (see Complexity).
	MaxComplexity int
	// MaxAliases is the most aliased fields an operation may have, counting
	// a fragment once for every place it is spread.
	MaxAliases int
	// MaxTokens is the most tokens a GraphQL document may have, counted
	// before it is parsed (document.go).
	MaxTokens int
	// MaxFieldOverlaps bounds the comparisons of same-named fields that
	// validating a document takes (document.go).
	MaxFieldOverlaps int
	// MaxBatchOperations is the most operations a batched request (a JSON
	// array of requests) may hold; 0 refuses every batched request.
	MaxBatchOperations int
	// MaxBodyBytes bounds the request body.
	MaxBodyBytes int64
	// Timeout bounds the time spent on one request: its context is
	// cancelled then, which stops database work in progress.
	Timeout time.Duration
}

// The defaults. They let through GraphiQL's full introspection query
// (depth 15, as graphql-js 16 writes it) and a page of 100 customers with
// their subscriptions, promotional entitlements and sync states (complexity
// about 16,000).
const (
	DefaultMaxDepth           = 15
	DefaultMaxComplexity      = 20000
	DefaultMaxAliases         = 30
	DefaultMaxBatchOperations = 10
	DefaultMaxBodyBytes       = 1 << 20
	DefaultTimeout            = 30 * time.Second
)

// Default returns the default limits.
func Default() Config {
	return Config{
		MaxDepth:           DefaultMaxDepth,
		MaxComplexity:      DefaultMaxComplexity,
		MaxAliases:         DefaultMaxAliases,
		MaxTokens:          DefaultMaxTokens,
		MaxFieldOverlaps:   DefaultMaxFieldOverlaps,
		MaxBatchOperations: DefaultMaxBatchOperations,
		MaxBodyBytes:       DefaultMaxBodyBytes,
		Timeout:            DefaultTimeout,
	}
}

func init() {
	// Like gqlgen's own validation errors, an operation over a limit is a
	// problem of the document: 422 (400 for application/graphql-response+json)
	// instead of 200.
	for _, c := range []apperr.Code{apperr.GraphQLDepthLimitExceeded, apperr.GraphQLComplexityLimitExceeded, apperr.GraphQLAliasesLimitExceeded} {
		errcode.RegisterErrorType(string(c), errcode.KindProtocol)
	}
}
