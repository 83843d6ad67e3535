package graph_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/stigg-selfhost/stiggql/internal/apitest"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// notYetImplemented reads the "Not yet implemented" table of
// docs/unbacked-fields.md: root type name -> field names.
func notYetImplemented(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile("../docs/unbacked-fields.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Not yet implemented\n")
	if !ok {
		t.Fatal(`docs/unbacked-fields.md has no "## Not yet implemented" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	out := map[string][]string{}
	row := regexp.MustCompile("(?m)^\\| (Query|Mutation|Subscription) \\| (.*) \\|$")
	name := regexp.MustCompile("`(\\w+)`")
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		for _, n := range name.FindAllStringSubmatch(m[2], -1) {
			out[m[1]] = append(out[m[1]], n[1])
		}
	}
	return out
}

// operation builds a document calling root.field with every required
// argument passed as a variable holding a minimal valid value, and
// selecting __typename of an object result.
func operation(t *testing.T, schema *ast.Schema, root *ast.Definition, field string) (string, map[string]any) {
	t.Helper()
	f := root.Fields.ForName(field)
	if f == nil {
		t.Fatalf("docs/unbacked-fields.md lists %s.%s, which the schema does not have", root.Name, field)
	}
	var decls, args []string
	vars := map[string]any{}
	for _, a := range f.Arguments {
		if !a.Type.NonNull {
			continue
		}
		decls = append(decls, fmt.Sprintf("$%s: %s", a.Name, a.Type.String()))
		args = append(args, fmt.Sprintf("%s: $%s", a.Name, a.Name))
		vars[a.Name] = minimalValue(schema, a.Type)
	}
	call := field
	if len(args) > 0 {
		call += "(" + strings.Join(args, ", ") + ")"
	}
	switch schema.Types[f.Type.Name()].Kind {
	case ast.Object, ast.Interface, ast.Union:
		call += " { __typename }"
	}
	op := strings.ToLower(root.Name)
	if len(decls) > 0 {
		op += "(" + strings.Join(decls, ", ") + ")"
	}
	return op + " { " + call + " }", vars
}

// minimalValue is a valid value of type typ with only required input
// fields set.
func minimalValue(schema *ast.Schema, typ *ast.Type) any {
	if typ.Elem != nil {
		return []any{}
	}
	def := schema.Types[typ.NamedType]
	switch def.Kind {
	case ast.Enum:
		return def.EnumValues[0].Name
	case ast.InputObject:
		obj := map[string]any{}
		for _, f := range def.Fields {
			if f.Type.NonNull && f.DefaultValue == nil {
				obj[f.Name] = minimalValue(schema, f.Type)
			}
		}
		return obj
	}
	switch typ.NamedType {
	case "Int", "Float":
		return 1
	case "Boolean":
		return false
	case "UUID":
		return "00000000-0000-4000-8000-000000000001"
	case "DateTime":
		return "2026-01-01T00:00:00Z"
	case "JSON":
		return map[string]any{}
	}
	return "x"
}

// TestNotYetImplemented calls every root field that docs/unbacked-fields.md
// lists as not yet implemented, the way a client does, and expects the
// coded NotImplemented error (HTTP 200, no data) rather than a panic, an
// UnexpectedError or silent nulls.
func TestNotYetImplemented(t *testing.T) {
	listed := notYetImplemented(t)
	if len(listed) == 0 {
		return // everything is implemented
	}
	src, err := os.ReadFile("../schema.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphqls", Input: string(src)})
	if err != nil {
		t.Fatal(err)
	}
	s := apitest.New(t, testdb.Open(t, testdb.SQLite))

	roots := map[string]*ast.Definition{"Query": schema.Query, "Mutation": schema.Mutation}
	for _, rootName := range []string{"Query", "Mutation"} {
		for _, field := range listed[rootName] {
			t.Run(rootName+"."+field, func(t *testing.T) {
				query, vars := operation(t, schema, roots[rootName], field)
				r := s.Raw(s.Key, query, vars)
				checkNotImplemented(t, field, r.Status, r.Data, r.Errors)
			})
		}
	}

	if len(listed["Subscription"]) == 0 {
		return
	}
	hs := httptest.NewServer(s.Handler)
	t.Cleanup(hs.Close)
	ws, err := apitest.DialWS(t, hs.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.Init(map[string]any{"X-API-KEY": s.Key}); err != nil {
		t.Fatal(err)
	}
	for i, field := range listed["Subscription"] {
		t.Run("Subscription."+field, func(t *testing.T) {
			query, vars := operation(t, schema, schema.Subscription, field)
			id := fmt.Sprint(i)
			ws.Subscribe(id, query, vars)
			m, err := ws.Next()
			for err == nil && m.ID != id { // the end of an earlier subscription
				m, err = ws.Next()
			}
			if err != nil {
				t.Fatal(err)
			}
			var errs []apitest.Error
			var data json.RawMessage
			switch m.Type {
			case "error": // the payload is the list of errors
				err = json.Unmarshal(m.Payload, &errs)
			case "next":
				var p struct {
					Data   json.RawMessage `json:"data"`
					Errors []apitest.Error `json:"errors"`
				}
				err = json.Unmarshal(m.Payload, &p)
				errs, data = p.Errors, p.Data
			default:
				t.Fatalf("got a %q message %s, want the error", m.Type, m.Payload)
			}
			if err != nil {
				t.Fatal(err)
			}
			checkNotImplemented(t, field, http.StatusOK, data, errs)
		})
	}
}

func checkNotImplemented(t *testing.T, field string, status int, data json.RawMessage, errs []apitest.Error) {
	t.Helper()
	if status != http.StatusOK {
		t.Errorf("HTTP %d, want 200 as for every resolver error", status)
	}
	// data is null, or holds null for a nullable field.
	if d := strings.TrimSpace(string(data)); d != "" && d != "null" && d != `{"`+field+`":null}` {
		t.Errorf("data %s, want null", d)
	}
	want := field + " is not supported by this server yet"
	if len(errs) != 1 || errs[0].Code() != "NotImplemented" || errs[0].Message != want {
		b, _ := json.Marshal(errs)
		t.Fatalf("errors %s, want one NotImplemented error %q", b, want)
	}
}
