// Package codegen produces a typed Go client (./client) for the server's API
// from what a live server reports about itself: it introspects the server,
// renders the answer as SDL (schema.graphql), and runs genqlient over that
// schema and operations.graphql. Generating from introspection rather than
// from the repository's schema.graphqls is the point: it proves that what the
// server serves is complete and precise enough for real client tooling.
//
// Regenerate the committed files with
//
//	go run ./codegen/cmd/regen
package codegen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// APIKeyHeader carries the API key, as for Stigg's hosted API.
const APIKeyHeader = "X-API-KEY"

// IntrospectionQuery is the standard full introspection query (as sent by
// graphql-js getIntrospectionQuery with descriptions, specifiedByURL,
// isRepeatable, the schema description, deprecated input values and oneOf),
// with type references unwrapped through eight ofType levels: more than
// any realistic wrapping such as [[T!]!]! needs, and within the server's
// depth limit (the deepest field is at depth 14 of 15).
const IntrospectionQuery = `query IntrospectionQuery {
  __schema {
    description
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives {
      name
      description
      isRepeatable
      locations
      args(includeDeprecated: true) { ...InputValue }
    }
  }
}

fragment FullType on __Type {
  kind
  name
  description
  specifiedByURL
  isOneOf
  fields(includeDeprecated: true) {
    name
    description
    args(includeDeprecated: true) { ...InputValue }
    type { ...TypeRef }
    isDeprecated
    deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) {
    name
    description
    isDeprecated
    deprecationReason
  }
  possibleTypes { ...TypeRef }
}

fragment InputValue on __InputValue {
  name
  description
  type { ...TypeRef }
  defaultValue
  isDeprecated
  deprecationReason
}

fragment TypeRef on __Type {
  kind
  name
  ofType {
    kind
    name
    ofType {
      kind
      name
      ofType {
        kind
        name
        ofType {
          kind
          name
          ofType {
            kind
            name
            ofType {
              kind
              name
              ofType {
                kind
                name
                ofType {
                  kind
                  name
                }
              }
            }
          }
        }
      }
    }
  }
}
`

// Schema is the __schema part of an introspection result.
type Schema struct {
	Description      *string     `json:"description"`
	QueryType        *NamedType  `json:"queryType"`
	MutationType     *NamedType  `json:"mutationType"`
	SubscriptionType *NamedType  `json:"subscriptionType"`
	Types            []FullType  `json:"types"`
	Directives       []Directive `json:"directives"`
}

// NamedType names a root operation type.
type NamedType struct {
	Name string `json:"name"`
}

// FullType is one named type.
type FullType struct {
	Kind           string       `json:"kind"`
	Name           string       `json:"name"`
	Description    *string      `json:"description"`
	SpecifiedByURL *string      `json:"specifiedByURL"`
	IsOneOf        *bool        `json:"isOneOf"`
	Fields         []Field      `json:"fields"`
	InputFields    []InputValue `json:"inputFields"`
	Interfaces     []TypeRef    `json:"interfaces"`
	EnumValues     []EnumValue  `json:"enumValues"`
	PossibleTypes  []TypeRef    `json:"possibleTypes"`
}

// Field is a field of an object or interface type.
type Field struct {
	Name              string       `json:"name"`
	Description       *string      `json:"description"`
	Args              []InputValue `json:"args"`
	Type              TypeRef      `json:"type"`
	IsDeprecated      bool         `json:"isDeprecated"`
	DeprecationReason *string      `json:"deprecationReason"`
}

// InputValue is an argument or a field of an input type. DefaultValue is
// the default as GraphQL source text, exactly as introspection gives it.
type InputValue struct {
	Name              string  `json:"name"`
	Description       *string `json:"description"`
	Type              TypeRef `json:"type"`
	DefaultValue      *string `json:"defaultValue"`
	IsDeprecated      bool    `json:"isDeprecated"`
	DeprecationReason *string `json:"deprecationReason"`
}

// EnumValue is a value of an enum type.
type EnumValue struct {
	Name              string  `json:"name"`
	Description       *string `json:"description"`
	IsDeprecated      bool    `json:"isDeprecated"`
	DeprecationReason *string `json:"deprecationReason"`
}

// TypeRef is a possibly wrapped (list, non-null) reference to a type.
type TypeRef struct {
	Kind   string   `json:"kind"`
	Name   *string  `json:"name"`
	OfType *TypeRef `json:"ofType"`
}

// Directive is a directive definition.
type Directive struct {
	Name         string       `json:"name"`
	Description  *string      `json:"description"`
	IsRepeatable bool         `json:"isRepeatable"`
	Locations    []string     `json:"locations"`
	Args         []InputValue `json:"args"`
}

// maxErrorBody bounds how much of an unexpected response an error quotes.
const maxErrorBody = 512

// Introspect posts IntrospectionQuery to the GraphQL endpoint with key in
// the X-API-KEY header (none when key is empty) and returns the schema the
// server describes. hc may be nil for http.DefaultClient.
func Introspect(ctx context.Context, hc *http.Client, endpoint, key string) (*Schema, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	body, err := json.Marshal(map[string]any{
		"query":         IntrospectionQuery,
		"operationName": "IntrospectionQuery",
	})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("introspect: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if key != "" {
		req.Header.Set(APIKeyHeader, key)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("introspect: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("introspect: read response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("introspect: %s answered %s: %s", endpoint, resp.Status, truncate(raw))
	}
	var out struct {
		Data *struct {
			Schema *Schema `json:"__schema"`
		} `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("introspect: response is not GraphQL JSON: %w: %s", err, truncate(raw))
	}
	if len(out.Errors) > 0 {
		msgs := make([]string, len(out.Errors))
		for i, e := range out.Errors {
			msgs[i] = e.Message
		}
		return nil, fmt.Errorf("introspect: server returned errors: %s", strings.Join(msgs, "; "))
	}
	if out.Data == nil || out.Data.Schema == nil {
		return nil, errors.New("introspect: response has no data.__schema")
	}
	return out.Data.Schema, nil
}

func truncate(b []byte) string {
	if len(b) > maxErrorBody {
		return string(b[:maxErrorBody]) + "…"
	}
	return string(b)
}

// IntrospectSDL introspects the server (see Introspect) and returns its
// schema as SDL (see Schema.SDL), checked to load with gqlparser.
func IntrospectSDL(ctx context.Context, hc *http.Client, endpoint, key string) (string, error) {
	s, err := Introspect(ctx, hc, endpoint, key)
	if err != nil {
		return "", err
	}
	sdl, err := s.SDL()
	if err != nil {
		return "", err
	}
	if _, err := LoadSDL("schema.graphql", sdl); err != nil {
		return "", fmt.Errorf("introspected schema does not load: %w", err)
	}
	return sdl, nil
}

// LoadSDL parses and validates sdl as a complete schema, with gqlparser's
// prelude of built-in types and directives.
func LoadSDL(name, sdl string) (*ast.Schema, error) {
	return gqlparser.LoadSchema(&ast.Source{Name: name, Input: sdl})
}
