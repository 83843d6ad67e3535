// Package graph is the GraphQL layer: the gqlgen executable schema, thin
// resolvers, and the translation of Stigg's nestjs-query inputs (filters,
// sorting, cursor paging) into ent queries.
package graph

//go:generate go run -mod=mod ./internal/gqlgenx
