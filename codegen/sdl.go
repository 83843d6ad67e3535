package codegen

import (
	"fmt"
	"strings"
)

// Rendering an introspection answer (Schema) as GraphQL SDL.

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
