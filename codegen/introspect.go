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

// builtinScalars are declared by the spec; SDL must not redeclare them.
var builtinScalars = map[string]bool{
	"String": true, "Int": true, "Float": true, "Boolean": true, "ID": true,
}

// builtinDirectives are the directives every GraphQL schema has (the ones
// gqlparser's prelude declares), which introspection lists but SDL leaves
// out.
var builtinDirectives = map[string]bool{
	"include": true, "skip": true, "deprecated": true, "specifiedBy": true,
	"oneOf": true, "defer": true,
}

// defaultDeprecationReason is the reason @deprecated implies when none is
// given.
const defaultDeprecationReason = "No longer supported"

// SDL renders the schema as GraphQL SDL: custom directives, then every type
// that is neither a built-in scalar nor an introspection (__) type, in the
// order the server listed them. Fields, arguments and values keep the
// server's order; default values are the introspection defaultValue text
// as given. The schema block is written only when it says something the
// default root type names do not.
func (s *Schema) SDL() (string, error) {
	var w sdlWriter
	w.schema(s)
	for _, d := range s.Directives {
		if !builtinDirectives[d.Name] {
			w.directive(d)
		}
	}
	for _, t := range s.Types {
		if strings.HasPrefix(t.Name, "__") || (t.Kind == "SCALAR" && builtinScalars[t.Name]) {
			continue
		}
		w.namedType(t)
	}
	if w.err != nil {
		return "", w.err
	}
	return w.b.String(), nil
}

// sdlWriter accumulates SDL and the first error.
type sdlWriter struct {
	b   strings.Builder
	err error
}

func (w *sdlWriter) fail(format string, args ...any) {
	if w.err == nil {
		w.err = fmt.Errorf(format, args...)
	}
}

// block starts a definition, separated from the previous one by a blank
// line.
func (w *sdlWriter) block() {
	if w.b.Len() > 0 {
		w.b.WriteString("\n")
	}
}

func (w *sdlWriter) schema(s *Schema) {
	if s.QueryType == nil {
		w.fail("introspection has no query type")
		return
	}
	roots := []struct {
		op   string
		t    *NamedType
		name string
	}{
		{"query", s.QueryType, "Query"},
		{"mutation", s.MutationType, "Mutation"},
		{"subscription", s.SubscriptionType, "Subscription"},
	}
	conventional := s.Description == nil || *s.Description == ""
	for _, r := range roots {
		if r.t != nil && r.t.Name != r.name {
			conventional = false
		}
	}
	// With the conventional names and no description the schema block
	// would say nothing... unless a type named Mutation or Subscription
	// exists but is not a root, which the block then has to rule out.
	present := map[string]bool{}
	for _, t := range s.Types {
		present[t.Name] = true
	}
	for _, r := range roots {
		if r.t == nil && present[r.name] {
			conventional = false
		}
	}
	if conventional {
		return
	}
	w.block()
	w.description("", s.Description)
	w.b.WriteString("schema {\n")
	for _, r := range roots {
		if r.t != nil {
			fmt.Fprintf(&w.b, "  %s: %s\n", r.op, r.t.Name)
		}
	}
	w.b.WriteString("}\n")
}

func (w *sdlWriter) directive(d Directive) {
	w.block()
	w.description("", d.Description)
	w.b.WriteString("directive @" + d.Name)
	w.args("", d.Args)
	if d.IsRepeatable {
		w.b.WriteString(" repeatable")
	}
	w.b.WriteString(" on " + strings.Join(d.Locations, " | ") + "\n")
}

func (w *sdlWriter) namedType(t FullType) {
	w.block()
	w.description("", t.Description)
	switch t.Kind {
	case "SCALAR":
		w.b.WriteString("scalar " + t.Name)
		if t.SpecifiedByURL != nil {
			w.b.WriteString(" @specifiedBy(url: " + quote(*t.SpecifiedByURL) + ")")
		}
		w.b.WriteString("\n")
	case "OBJECT", "INTERFACE":
		kw := "type"
		if t.Kind == "INTERFACE" {
			kw = "interface"
		}
		w.b.WriteString(kw + " " + t.Name)
		if len(t.Interfaces) > 0 {
			names := make([]string, len(t.Interfaces))
			for i, r := range t.Interfaces {
				names[i] = w.typeRef(r)
			}
			w.b.WriteString(" implements " + strings.Join(names, " & "))
		}
		if len(t.Fields) == 0 {
			w.b.WriteString("\n")
			return
		}
		w.b.WriteString(" {\n")
		for _, f := range t.Fields {
			w.description("  ", f.Description)
			w.b.WriteString("  " + f.Name)
			w.args("  ", f.Args)
			w.b.WriteString(": " + w.typeRef(f.Type))
			w.deprecated(f.IsDeprecated, f.DeprecationReason)
			w.b.WriteString("\n")
		}
		w.b.WriteString("}\n")
	case "UNION":
		w.b.WriteString("union " + t.Name)
		if len(t.PossibleTypes) > 0 {
			names := make([]string, len(t.PossibleTypes))
			for i, r := range t.PossibleTypes {
				names[i] = w.typeRef(r)
			}
			w.b.WriteString(" = " + strings.Join(names, " | "))
		}
		w.b.WriteString("\n")
	case "ENUM":
		w.b.WriteString("enum " + t.Name)
		if len(t.EnumValues) == 0 {
			w.b.WriteString("\n")
			return
		}
		w.b.WriteString(" {\n")
		for _, v := range t.EnumValues {
			w.description("  ", v.Description)
			w.b.WriteString("  " + v.Name)
			w.deprecated(v.IsDeprecated, v.DeprecationReason)
			w.b.WriteString("\n")
		}
		w.b.WriteString("}\n")
	case "INPUT_OBJECT":
		w.b.WriteString("input " + t.Name)
		if t.IsOneOf != nil && *t.IsOneOf {
			w.b.WriteString(" @oneOf")
		}
		if len(t.InputFields) == 0 {
			w.b.WriteString("\n")
			return
		}
		w.b.WriteString(" {\n")
		for _, f := range t.InputFields {
			w.inputValue("  ", f)
			w.b.WriteString("\n")
		}
		w.b.WriteString("}\n")
	default:
		w.fail("type %s has unknown kind %q", t.Name, t.Kind)
	}
}

// args writes an argument list: on one line when no argument has a
// description, otherwise one argument per line at indent+2.
func (w *sdlWriter) args(indent string, args []InputValue) {
	if len(args) == 0 {
		return
	}
	multiline := false
	for _, a := range args {
		if a.Description != nil && *a.Description != "" {
			multiline = true
		}
	}
	if !multiline {
		w.b.WriteString("(")
		for i, a := range args {
			if i > 0 {
				w.b.WriteString(", ")
			}
			w.inputValue("", a)
		}
		w.b.WriteString(")")
		return
	}
	w.b.WriteString("(\n")
	for _, a := range args {
		w.inputValue(indent+"  ", a)
		w.b.WriteString("\n")
	}
	w.b.WriteString(indent + ")")
}

// inputValue writes an argument or input field (description included)
// without the final newline.
func (w *sdlWriter) inputValue(indent string, v InputValue) {
	w.description(indent, v.Description)
	w.b.WriteString(indent + v.Name + ": " + w.typeRef(v.Type))
	if v.DefaultValue != nil {
		w.b.WriteString(" = " + *v.DefaultValue)
	}
	w.deprecated(v.IsDeprecated, v.DeprecationReason)
}

func (w *sdlWriter) deprecated(is bool, reason *string) {
	switch {
	case !is:
	case reason == nil || *reason == defaultDeprecationReason:
		w.b.WriteString(" @deprecated")
	default:
		w.b.WriteString(" @deprecated(reason: " + quote(*reason) + ")")
	}
}

// typeRef renders a type reference such as [String!]!.
func (w *sdlWriter) typeRef(r TypeRef) string {
	switch r.Kind {
	case "NON_NULL", "LIST":
		if r.OfType == nil {
			w.fail("%s type reference without ofType: introspection query not deep enough", r.Kind)
			return "?"
		}
		inner := w.typeRef(*r.OfType)
		if r.Kind == "LIST" {
			return "[" + inner + "]"
		}
		return inner + "!"
	default:
		if r.Name == nil || *r.Name == "" {
			w.fail("%s type reference without a name", r.Kind)
			return "?"
		}
		return *r.Name
	}
}

// description writes d, if any, on its own line(s) at indent: as a block
// string when that reads back exactly the same text, otherwise as an
// ordinary escaped string.
func (w *sdlWriter) description(indent string, d *string) {
	if d == nil || *d == "" {
		return
	}
	text := *d
	if !blockSafe(text) {
		w.b.WriteString(indent + quote(text) + "\n")
		return
	}
	if !strings.Contains(text, "\n") {
		w.b.WriteString(indent + `"""` + text + `"""` + "\n")
		return
	}
	w.b.WriteString(indent + `"""` + "\n")
	for _, line := range strings.Split(text, "\n") {
		if line == "" {
			w.b.WriteString("\n")
			continue
		}
		w.b.WriteString(indent + line + "\n")
	}
	w.b.WriteString(indent + `"""` + "\n")
}

// blockSafe reports whether text survives the block-string round trip
// (which strips common indentation and leading and trailing blank lines,
// and ends at the first """) when written as rendered by description.
func blockSafe(text string) bool {
	if strings.Contains(text, `"""`) || strings.TrimSpace(text) != text {
		return false
	}
	for _, r := range text {
		if r < 0x20 && r != '\n' && r != '\t' {
			return false
		}
	}
	if !strings.Contains(text, "\n") {
		// On one line the closing quotes follow the text directly.
		return !strings.HasSuffix(text, `"`) && !strings.HasSuffix(text, `\`)
	}
	return true
}

// quote renders s as a GraphQL string literal.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if r < 0x20 {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
