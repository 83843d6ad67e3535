package codegen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func str(s string) *string { return &s }

func named(n string) TypeRef { return TypeRef{Kind: "OBJECT", Name: str(n)} }

func nonNull(r TypeRef) TypeRef { return TypeRef{Kind: "NON_NULL", OfType: &r} }

func list(r TypeRef) TypeRef { return TypeRef{Kind: "LIST", OfType: &r} }

// TestSDLRendersWhatIntrospectionCanSay renders a schema using every
// construct introspection reports, loads it back with gqlparser and checks
// that descriptions, defaults, deprecations and roots survive.
func TestSDLRendersWhatIntrospectionCanSay(t *testing.T) {
	descriptions := []string{
		`plain`,
		`ends with a quote "`,
		`ends with a backslash \`,
		"two\nlines",
		"indented\n  second line\n\nafter a blank line",
		`has """ triple quotes`,
		"  leading spaces",
		"tab\tand \"quotes\" and \\ backslash",
		"control \x01 character",
		"trailing newline\n",
	}
	var fields []Field
	for i, d := range descriptions {
		fields = append(fields, Field{Name: "f" + string(rune('a'+i)), Description: str(d), Type: named("String")})
	}
	fields = append(fields,
		Field{Name: "old", Type: named("String"), IsDeprecated: true, DeprecationReason: str("No longer supported")},
		Field{Name: "older", Type: named("String"), IsDeprecated: true, DeprecationReason: str(`use "f"`)},
		Field{Name: "search", Type: nonNull(list(nonNull(named("Node")))), Args: []InputValue{
			{Name: "where", Type: named("Where"), DefaultValue: str(`{a: "x", n: [1, 2]}`)},
			{Name: "first", Description: str("page size"), Type: nonNull(named("Int")), DefaultValue: str("10")},
		}},
	)
	s := &Schema{
		Description: str("The schema."),
		QueryType:   &NamedType{Name: "Root"},
		Types: []FullType{
			{Kind: "SCALAR", Name: "String"},
			{Kind: "SCALAR", Name: "Int"},
			{Kind: "OBJECT", Name: "__Type"},
			{Kind: "SCALAR", Name: "Time", SpecifiedByURL: str("https://example.com/time")},
			{Kind: "OBJECT", Name: "Root", Fields: fields},
			{Kind: "INTERFACE", Name: "Node", Fields: []Field{{Name: "id", Type: nonNull(named("String"))}}},
			{Kind: "INTERFACE", Name: "Named", Interfaces: []TypeRef{named("Node")}, Fields: []Field{
				{Name: "id", Type: nonNull(named("String"))}, {Name: "name", Type: named("String")}}},
			{Kind: "OBJECT", Name: "Thing", Interfaces: []TypeRef{named("Named"), named("Node")}, Fields: []Field{
				{Name: "id", Type: nonNull(named("String"))}, {Name: "name", Type: named("String")}}},
			{Kind: "UNION", Name: "Any", PossibleTypes: []TypeRef{named("Thing")}},
			{Kind: "ENUM", Name: "Color", EnumValues: []EnumValue{
				{Name: "RED", Description: str("red")}, {Name: "BLUE", IsDeprecated: true, DeprecationReason: str("gone")}}},
			{Kind: "INPUT_OBJECT", Name: "Where", InputFields: []InputValue{
				{Name: "a", Type: named("String")}, {Name: "n", Type: list(named("Int")), DefaultValue: str("[]")},
				{Name: "c", Type: named("Color"), IsDeprecated: true, DeprecationReason: str("soon")}}},
			{Kind: "INPUT_OBJECT", Name: "Pick", IsOneOf: new(true), InputFields: []InputValue{
				{Name: "a", Type: named("String")}, {Name: "b", Type: named("Int")}}},
		},
		Directives: []Directive{
			{Name: "deprecated", Locations: []string{"FIELD_DEFINITION"}},
			{Name: "tag", Description: str("Tags things."), IsRepeatable: true, Locations: []string{"FIELD_DEFINITION", "OBJECT"},
				Args: []InputValue{{Name: "name", Type: nonNull(named("String")), Description: str("the tag")}}},
		},
	}
	sdl, err := s.SDL()
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadSDL("test.graphql", sdl)
	if err != nil {
		t.Fatalf("rendered SDL does not load: %v\n%s", err, sdl)
	}
	for _, skipped := range []string{"scalar String", "__Type", "directive @deprecated"} {
		if strings.Contains(sdl, skipped) {
			t.Errorf("SDL declares built-in %s:\n%s", skipped, sdl)
		}
	}
	if loaded.Query == nil || loaded.Query.Name != "Root" || loaded.Mutation != nil || loaded.Description != "The schema." {
		t.Errorf("roots or schema description lost:\n%s", sdl)
	}
	root := loaded.Types["Root"]
	for i, d := range descriptions {
		if got := root.Fields[i].Description; got != d {
			t.Errorf("description %q read back as %q", d, got)
		}
	}
	if d := root.Fields.ForName("old").Directives.ForName("deprecated"); d == nil || len(d.Arguments) != 0 {
		t.Errorf("default deprecation not rendered as bare @deprecated:\n%s", sdl)
	}
	if d := root.Fields.ForName("older").Directives.ForName("deprecated"); d == nil || d.Arguments.ForName("reason").Value.Raw != `use "f"` {
		t.Errorf("deprecation reason lost:\n%s", sdl)
	}
	search := root.Fields.ForName("search")
	if search.Type.String() != "[Node!]!" || search.Arguments.ForName("where").DefaultValue.String() != `{a:"x",n:[1,2]}` ||
		search.Arguments.ForName("first").Description != "page size" {
		t.Errorf("search field rendered wrongly:\n%s", sdl)
	}
	if got := loaded.Types["Thing"].Interfaces; len(got) != 2 || got[0] != "Named" {
		t.Errorf("Thing implements %v", got)
	}
	if got := loaded.Types["Named"].Interfaces; len(got) != 1 || got[0] != "Node" {
		t.Errorf("Named implements %v", got)
	}
	if loaded.Types["Pick"].Directives.ForName("oneOf") == nil || loaded.Types["Time"].Directives.ForName("specifiedBy") == nil {
		t.Errorf("@oneOf or @specifiedBy lost:\n%s", sdl)
	}
	if d := loaded.Directives["tag"]; d == nil || !d.IsRepeatable || d.Description != "Tags things." || len(d.Locations) != 2 {
		t.Errorf("directive @tag rendered wrongly:\n%s", sdl)
	}
	if loaded.Types["Color"].EnumValues.ForName("BLUE").Directives.ForName("deprecated") == nil ||
		loaded.Types["Where"].Fields.ForName("c").Directives.ForName("deprecated") == nil {
		t.Errorf("deprecated enum value or input field lost:\n%s", sdl)
	}
}

func TestSDLRefusesTruncatedTypeReferences(t *testing.T) {
	s := &Schema{
		QueryType: &NamedType{Name: "Query"},
		Types: []FullType{{Kind: "OBJECT", Name: "Query", Fields: []Field{
			{Name: "f", Type: TypeRef{Kind: "NON_NULL"}}}}},
	}
	if _, err := s.SDL(); err == nil || !strings.Contains(err.Error(), "not deep enough") {
		t.Fatalf("SDL of a truncated reference: %v", err)
	}
}

func TestIntrospectReportsFailures(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get(APIKeyHeader) {
		case "":
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"errors":[{"message":"missing key"}]}`))
		case "wrong":
			_, _ = w.Write([]byte(`{"errors":[{"message":"depth limit"}],"data":null}`))
		default:
			_, _ = w.Write([]byte(`{"data":{}}`))
		}
	}))
	defer hs.Close()
	for key, want := range map[string]string{
		"":      "401 Unauthorized",
		"wrong": "depth limit",
		"right": "no data.__schema",
	} {
		if _, err := Introspect(context.Background(), hs.Client(), hs.URL, key); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("key %q: error %v, want one containing %q", key, err, want)
		}
	}
}
