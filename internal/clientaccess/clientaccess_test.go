package clientaccess_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/stigg-selfhost/stiggql/internal/apitest"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/clientaccess"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// loadSchema parses the repository's schema.graphqls, the SDL served.
func loadSchema(t *testing.T) *ast.Schema {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "schema.graphqls"))
	if err != nil {
		t.Fatal(err)
	}
	s, gerr := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphqls", Input: string(b)})
	if gerr != nil {
		t.Fatal(gerr)
	}
	return s
}

type rootField struct {
	typ   string
	field *ast.FieldDefinition
}

func rootFields(s *ast.Schema) []rootField {
	var out []rootField
	for _, def := range []*ast.Definition{s.Query, s.Mutation, s.Subscription} {
		if def == nil {
			continue
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			out = append(out, rootField{def.Name, f})
		}
	}
	return out
}

// TestFieldsExistInSchema: every allowed field is a root field of the
// schema, with its customer and subscription arguments where the table says.
func TestFieldsExistInSchema(t *testing.T) {
	s := loadSchema(t)
	for name, sc := range clientaccess.Fields {
		typ, field, _ := strings.Cut(name, ".")
		def := s.Types[typ]
		if def == nil || def.Fields.ForName(field) == nil {
			t.Errorf("%s is allowed to client keys but is not in the schema", name)
			continue
		}
		for _, p := range append([][]string{sc.Customer, sc.Subscription}, sc.SameCustomer...) {
			if p == nil {
				continue
			}
			if argType(s, def.Fields.ForName(field), p) == nil {
				t.Errorf("%s: argument path %v is not in the schema", name, p)
			}
		}
	}
}

// argType returns the type at an argument path of f, nil when there is none.
func argType(s *ast.Schema, f *ast.FieldDefinition, p []string) *ast.Type {
	a := f.Arguments.ForName(p[0])
	if a == nil {
		return nil
	}
	t := a.Type
	for _, k := range p[1:] {
		def := s.Types[t.Name()]
		if def == nil || def.Fields.ForName(k) == nil {
			return nil
		}
		t = def.Fields.ForName(k).Type
	}
	return t
}

// value makes a value of type t that coerces: required input fields only,
// the first enum value, one list element.
func value(s *ast.Schema, t *ast.Type, depth int) any {
	if t.Elem != nil {
		return []any{value(s, t.Elem, depth)}
	}
	def := s.Types[t.NamedType]
	switch def.Kind {
	case ast.Enum:
		return def.EnumValues[0].Name
	case ast.InputObject:
		m := map[string]any{}
		if depth > 8 {
			return m
		}
		for _, f := range def.Fields {
			if f.Type.NonNull && f.DefaultValue == nil {
				m[f.Name] = value(s, f.Type, depth+1)
			}
		}
		return m
	}
	switch t.NamedType {
	case "Int":
		return 1
	case "Float":
		return 1.5
	case "Boolean":
		return true
	case "DateTime":
		return "2026-02-01T00:00:00.000Z"
	case "UUID":
		return "4f2a0d4e-8d44-4c43-9a43-0c8f1c0f2a11"
	case "JSON":
		return map[string]any{}
	}
	return "x"
}

// setPath sets args[p...] = v, making objects on the way.
func setPath(args map[string]any, p []string, v any) {
	m := args
	for _, k := range p[:len(p)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[p[len(p)-1]] = v
}

// document returns an operation calling root field f with every required
// argument as a variable (as the SDK sends them), plus the customer and
// subscription arguments the policy reads.
func document(s *ast.Schema, rf rootField, customer, subscription string) (string, map[string]any) {
	sc := clientaccess.Fields[rf.typ+"."+rf.field.Name]
	vars := map[string]any{}
	var decls, args []string
	for _, a := range rf.field.Arguments {
		needed := a.Type.NonNull && a.DefaultValue == nil
		for _, p := range [][]string{sc.Customer, sc.Subscription} {
			if p != nil && p[0] == a.Name {
				needed = true
			}
		}
		if !needed {
			continue
		}
		v := value(s, a.Type, 0)
		vars[a.Name] = v
		decls = append(decls, fmt.Sprintf("$%s: %s", a.Name, a.Type.String()))
		args = append(args, fmt.Sprintf("%s: $%s", a.Name, a.Name))
	}
	if sc.Customer != nil && customer != "" {
		setPath(vars, sc.Customer, customer)
	}
	if sc.Subscription != nil {
		setPath(vars, sc.Subscription, subscription)
	}
	sel := ""
	if k := s.Types[rf.field.Type.Name()].Kind; k == ast.Object || k == ast.Interface || k == ast.Union {
		sel = " { __typename }"
	}
	op := strings.ToLower(rf.typ)
	d := op
	if len(decls) > 0 {
		d += "(" + strings.Join(decls, ", ") + ")"
	}
	call := rf.field.Name
	if len(args) > 0 {
		call += "(" + strings.Join(args, ", ") + ")"
	}
	return d + " { " + call + sel + " }", vars
}

func hasCode(r *apitest.Response, code string) bool {
	for _, c := range r.Codes() {
		if c == code {
			return true
		}
	}
	return false
}

// TestEveryRootFieldIsDecided walks every root field of the schema (so a
// new field cannot be forgotten) and calls it through the HTTP API with a
// client key bound by a customer token to customer "own":
//   - a field not in Fields is refused with IdentityForbidden and HTTP 403,
//     and nothing of it runs;
//   - a field in Fields naming "own" (or own's subscription) is not refused
//     (it may fail for other reasons: arguments made up by the test);
//   - the same field naming "other" (or other's subscription) is refused.
func TestEveryRootFieldIsDecided(t *testing.T) {
	s := loadSchema(t)
	testdb.Each(t, func(t *testing.T, st *db.Store) {
		srv := apitest.New(t, st)
		srv.LoadDemoCatalog()
		subs := map[string]string{}
		for _, c := range []string{"own", "other"} {
			var out struct {
				ProvisionCustomer struct {
					Subscription struct{ SubscriptionID string } `json:"subscription"`
				} `json:"provisionCustomer"`
			}
			srv.Query(`mutation($id: String!) { provisionCustomer(input: {customerId: $id, subscriptionParams: {planId: "plan-revvenu-free"}}) { subscription { subscriptionId } } }`,
				map[string]any{"id": c}, &out)
			subs[c] = out.ProvisionCustomer.Subscription.SubscriptionID
		}
		key := srv.NewClientKey("default")
		tok, err := auth.MintCustomerToken(context.Background(), st.Client, "default", "own")
		if err != nil {
			t.Fatal(err)
		}
		client := map[string]string{auth.HeaderName: key, auth.CustomerTokenHeader: tok}
		var allowed, refused []string
		for _, rf := range rootFields(s) {
			name := rf.typ + "." + rf.field.Name
			sc, ok := clientaccess.Fields[name]
			doc, vars := document(s, rf, "own", subs["own"])
			r := srv.RawWith(client, doc, vars)
			if !ok {
				refused = append(refused, name)
				if r.Status != http.StatusForbidden || !hasCode(r, "IdentityForbidden") || string(r.Data) != "null" && r.Data != nil {
					t.Errorf("%s with a client key: status %d, errors %v, data %s; want 403 IdentityForbidden and no data\n%s", name, r.Status, r.Codes(), r.Data, doc)
				}
				// A server key is not refused (whatever else happens).
				if sr := srv.Raw(srv.Key, doc, vars); hasCode(sr, "IdentityForbidden") {
					t.Errorf("%s refused to a server key: %v", name, sr.Errors)
				}
				continue
			}
			allowed = append(allowed, name)
			if hasCode(r, "IdentityForbidden") || r.Status == http.StatusForbidden {
				b, _ := json.Marshal(r.Errors)
				t.Errorf("%s for the token's own customer refused: %d %s\n%s", name, r.Status, b, doc)
			}
			if sc.Customer == nil && sc.Subscription == nil {
				continue
			}
			doc, vars = document(s, rf, "other", subs["other"])
			r = srv.RawWith(client, doc, vars)
			if !hasCode(r, "IdentityForbidden") {
				t.Errorf("%s for another customer not refused: status %d, errors %v, data %s\n%s", name, r.Status, r.Codes(), r.Data, doc)
			}
		}
		sort.Strings(allowed)
		if len(allowed) != len(clientaccess.Fields) {
			t.Errorf("allowed %d fields, the table has %d", len(allowed), len(clientaccess.Fields))
		}
		t.Logf("%d root fields: %d allowed to client keys, %d refused", len(allowed)+len(refused), len(allowed), len(refused))
	})
}
