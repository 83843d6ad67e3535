// Package graph is the GraphQL layer: the gqlgen executable schema, thin
// resolvers, and the translation of Stigg's nestjs-query inputs (filters,
// sorting, cursor paging) into ent queries.
package graph

// The schema's source is graph/schema/*.graphqls, one file per domain;
// gqlgen reads the parts (one resolver file per part, *.resolvers.go), and
// schemagen first joins them into the top-level schema.graphqls that users
// read and the server serves. gqlgen runs through gqlgenx, gqlgen's own
// generate with this server's plugin (graph/internal/gqlgenx).
//
//go:generate go run ../internal/schemagen -parts schema -shown graph/schema -out ../schema.graphqls
//go:generate go run -mod=mod ./internal/gqlgenx
