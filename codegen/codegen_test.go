package codegen_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/Khan/genqlient/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/stigg-selfhost/stiggql/codegen"
	"github.com/stigg-selfhost/stiggql/codegen/client"
	"github.com/stigg-selfhost/stiggql/internal/apitest"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/httpapi"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

const regenerate = "regenerate with `go run ./codegen/cmd/regen` from the repository root"

// live serves the real handler over HTTP on a fresh SQLite database.
type live struct {
	api      *apitest.Server
	endpoint string
	http     *httptest.Server
}

func startLive(t *testing.T) *live {
	t.Helper()
	api := apitest.New(t, testdb.Open(t, testdb.SQLite))
	hs := httptest.NewServer(api.Handler)
	t.Cleanup(hs.Close)
	return &live{api: api, endpoint: hs.URL + httpapi.GraphQLPath, http: hs}
}

// keyTransport adds the API key to every request, as a client application
// configures its HTTP client for the API.
type keyTransport struct {
	key  string
	base http.RoundTripper
}

func (k keyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(codegen.APIKeyHeader, k.key)
	return k.base.RoundTrip(r)
}

// client returns a genqlient client of the server authenticated with the
// default key.
func (l *live) client() graphql.Client {
	hc := &http.Client{Transport: keyTransport{key: l.api.Key, base: l.http.Client().Transport}}
	return graphql.NewClient(l.endpoint, hc)
}

func TestAPIKeyHeaderIsTheServers(t *testing.T) {
	if codegen.APIKeyHeader != auth.HeaderName {
		t.Fatalf("codegen.APIKeyHeader = %q, server reads %q", codegen.APIKeyHeader, auth.HeaderName)
	}
}

// TestCommittedArtefactsMatchLiveIntrospection regenerates schema.graphql
// and the client from the live server's introspection, running genqlient
// in-process, and requires the committed files to be byte-for-byte what
// that produces: the client in ./client is what a client developer gets by
// pointing genqlient at a running server.
func TestCommittedArtefactsMatchLiveIntrospection(t *testing.T) {
	l := startLive(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, err := codegen.Produce(ctx, l.http.Client(), l.endpoint, l.api.Key, ".")
	if err != nil {
		t.Fatalf("produce from live introspection: %v", err)
	}
	sameFile(t, codegen.SchemaFile, a.Schema)
	if got := slices.Sorted(maps.Keys(a.Files)); !slices.Equal(got, []string{codegen.ClientFile}) {
		t.Errorf("genqlient generated %v, want only %s", got, codegen.ClientFile)
	}
	for rel, content := range a.Files {
		sameFile(t, rel, content)
	}
}

// sameFile fails unless the committed file rel has exactly want.
func sameFile(t *testing.T, rel string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(filepath.FromSlash(rel))
	if err != nil {
		t.Errorf("read committed codegen/%s: %v; %s", rel, err, regenerate)
		return
	}
	if bytes.Equal(got, want) {
		return
	}
	t.Errorf("codegen/%s differs from what the live server's introspection produces (%s); %s",
		rel, firstDifference(got, want), regenerate)
}

// firstDifference describes the first line where committed and fresh
// differ.
func firstDifference(committed, fresh []byte) string {
	a := strings.Split(string(committed), "\n")
	b := strings.Split(string(fresh), "\n")
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y || i >= len(a) || i >= len(b) {
			return fmt.Sprintf("first at line %d: committed %q, fresh %q", i+1, x, y)
		}
	}
	return "no line differs"
}

// TestIntrospectedSchemaEquivalentToRepositorySchema checks that the
// committed introspection SDL (which the test above ties to the live
// server) describes the same schema as schema.graphqls: the same types,
// fields, arguments, defaults, values, descriptions and deprecations, in
// whatever order and format.
func TestIntrospectedSchemaEquivalentToRepositorySchema(t *testing.T) {
	repo := loadFile(t, filepath.Join("..", "schema.graphqls"))
	intro := loadFile(t, codegen.SchemaFile)

	want, got := describeSchema(repo), describeSchema(intro)
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if g, ok := got[k]; !ok {
			t.Errorf("introspected schema lacks %s", k)
		} else if g != want[k] {
			t.Errorf("%s: schema.graphqls has %s, introspection %s", k, want[k], g)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			t.Errorf("introspected schema has %s, which schema.graphqls lacks", k)
		}
	}
	if len(want) < 1000 {
		t.Errorf("compared only %d schema elements; is schema.graphqls loaded?", len(want))
	}
	if t.Failed() {
		t.Logf("after changing schema.graphqls (and the server), %s", regenerate)
	}
}

func loadFile(t *testing.T, path string) *ast.Schema {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := codegen.LoadSDL(path, string(src))
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return s
}

// describeSchema flattens a schema into comparable facts keyed by element:
// "type X", "field X.f", "arg X.f(a)", "value X.V", "directive @d" and so
// on, each with its kind, type, default, description and deprecation.
// Built-in types and directives are left out.
func describeSchema(s *ast.Schema) map[string]string {
	out := map[string]string{}
	root := func(d *ast.Definition) string {
		if d == nil {
			return "-"
		}
		return d.Name
	}
	out["schema"] = fmt.Sprintf("query=%s mutation=%s subscription=%s", root(s.Query), root(s.Mutation), root(s.Subscription))
	for name, d := range s.Types {
		if d.BuiltIn {
			continue
		}
		var ifaces []string
		ifaces = append(ifaces, d.Interfaces...)
		sort.Strings(ifaces)
		types := append([]string(nil), d.Types...)
		sort.Strings(types)
		out["type "+name] = fmt.Sprintf("%s implements=%v union=%v directives=%s description=%q",
			d.Kind, ifaces, types, directives(d.Directives), d.Description)
		for _, f := range d.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			out["field "+name+"."+f.Name] = inputOrField(f.Type, f.DefaultValue, f.Directives, f.Description)
			for _, a := range f.Arguments {
				out["arg "+name+"."+f.Name+"("+a.Name+")"] = inputOrField(a.Type, a.DefaultValue, a.Directives, a.Description)
			}
		}
		for _, v := range d.EnumValues {
			out["value "+name+"."+v.Name] = fmt.Sprintf("directives=%s description=%q", directives(v.Directives), v.Description)
		}
	}
	for name, d := range s.Directives {
		if d.Position != nil && d.Position.Src != nil && d.Position.Src.BuiltIn {
			continue
		}
		locs := make([]string, len(d.Locations))
		for i, l := range d.Locations {
			locs[i] = string(l)
		}
		sort.Strings(locs)
		out["directive @"+name] = fmt.Sprintf("repeatable=%v on=%v description=%q", d.IsRepeatable, locs, d.Description)
		for _, a := range d.Arguments {
			out["arg @"+name+"("+a.Name+")"] = inputOrField(a.Type, a.DefaultValue, a.Directives, a.Description)
		}
	}
	return out
}

func inputOrField(t *ast.Type, def *ast.Value, dirs ast.DirectiveList, desc string) string {
	d := "none"
	if def != nil {
		d = def.String()
	}
	return fmt.Sprintf("type=%s default=%s directives=%s description=%q", t.String(), d, directives(dirs), desc)
}

// directives renders the directives that introspection can carry
// (@deprecated, @specifiedBy, @oneOf), the only ones it can be compared on.
func directives(list ast.DirectiveList) string {
	var parts []string
	for _, d := range list {
		switch d.Name {
		case "deprecated", "specifiedBy", "oneOf":
			var args []string
			for _, a := range d.Arguments {
				args = append(args, a.Name+":"+a.Value.String())
			}
			if d.Name == "deprecated" && len(args) == 0 {
				args = []string{`reason:"No longer supported"`}
			}
			parts = append(parts, "@"+d.Name+"("+strings.Join(args, ",")+")")
		}
	}
	sort.Strings(parts)
	return "[" + strings.Join(parts, " ") + "]"
}

// TestGeneratedClientAgainstServer runs every generated operation against
// the live server and checks the typed results.
func TestGeneratedClientAgainstServer(t *testing.T) {
	l := startLive(t)
	c := l.client()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	created := apitest.Epoch

	meta := json.RawMessage(`{"plan":"gold","seats":3}`)
	prov, err := client.ProvisionCustomer(ctx, c, "codegen-ada", ptr("Ada"), ptr("ada@example.com"), &meta)
	if err != nil {
		t.Fatalf("ProvisionCustomer: %v", err)
	}
	ada := prov.ProvisionCustomer.Customer.CustomerFields
	if ada.CustomerId != "codegen-ada" || ada.RefId != "codegen-ada" || deref(ada.Name) != "Ada" || deref(ada.Email) != "ada@example.com" {
		t.Errorf("provisioned customer = %+v", ada)
	}
	if ada.CreatedAt == nil || !ada.CreatedAt.Equal(created) || !ada.UpdatedAt.Equal(created) || ada.DeletedAt != nil {
		t.Errorf("provisioned timestamps: createdAt %v updatedAt %v deletedAt %v, want %v, %v, nil", ada.CreatedAt, ada.UpdatedAt, ada.DeletedAt, created, created)
	}
	if ada.AdditionalMetaData == nil || !jsonEqual(*ada.AdditionalMetaData, meta) {
		t.Errorf("additionalMetaData = %s, want %s", deref(ada.AdditionalMetaData), meta)
	}
	if ada.Id == "" || ada.EnvironmentId == "" {
		t.Errorf("provisioned customer lacks id or environmentId: %+v", ada)
	}
	if prov.ProvisionCustomer.SubscriptionDecisionStrategy == "" {
		t.Error("provisionCustomer returned no subscriptionDecisionStrategy")
	}
	// Only the customer ID: the nil optional variables are left out.
	if _, err := client.ProvisionCustomer(ctx, c, "codegen-bare", nil, nil, nil); err != nil {
		t.Fatalf("ProvisionCustomer without optional variables: %v", err)
	}
	_, err = client.ProvisionCustomer(ctx, c, "codegen-ada", nil, nil, nil)
	wantCode(t, "provisioning an existing customer ID", err, "DuplicatedEntityNotAllowed")

	got, err := client.GetCustomerByRefId(ctx, c, "codegen-ada")
	if err != nil {
		t.Fatalf("GetCustomerByRefId: %v", err)
	}
	if got.GetCustomerByRefId == nil {
		t.Fatal("GetCustomerByRefId returned null for a live customer")
	}
	if !sameCustomer(got.GetCustomerByRefId.CustomerFields, ada) {
		t.Errorf("GetCustomerByRefId = %+v, want %+v", got.GetCustomerByRefId.CustomerFields, ada)
	}

	// A filter on the name alone: StringFieldComparison.is must not be
	// sent as null, which would mean "name IS NULL" and match nothing.
	list, err := client.Customers(ctx, c,
		&client.CustomerFilter{Name: &client.StringFieldComparison{Eq: ptr("Ada")}}, nil, nil)
	if err != nil {
		t.Fatalf("Customers with a filter: %v", err)
	}
	conn := list.Customers
	if conn.TotalCount != 1 || len(conn.Edges) != 1 {
		t.Fatalf("Customers(name = Ada): totalCount %d with %d edges, want 1 and 1", conn.TotalCount, len(conn.Edges))
	}
	node := conn.Edges[0].Node
	if node.CustomerId != "codegen-ada" || deref(node.Name) != "Ada" || deref(node.Email) != "ada@example.com" ||
		node.CreatedAt == nil || !node.CreatedAt.Equal(created) {
		t.Errorf("Customers(name = Ada) node = %+v", node)
	}
	if conn.Edges[0].Cursor == "" || deref(conn.PageInfo.HasNextPage) || deref(conn.PageInfo.HasPreviousPage) {
		t.Errorf("Customers(name = Ada) cursor %q, pageInfo %+v", conn.Edges[0].Cursor, conn.PageInfo)
	}

	// Paging and sorting: the first of the two customers by ID, descending.
	page, err := client.Customers(ctx, c, nil, &client.CursorPaging{First: ptr(1)},
		[]client.CustomerSort{{Field: client.CustomerSortFieldsCustomerid, Direction: client.SortDirectionDesc}})
	if err != nil {
		t.Fatalf("Customers with paging and sorting: %v", err)
	}
	pc := page.Customers
	if pc.TotalCount != 2 || len(pc.Edges) != 1 || pc.Edges[0].Node.CustomerId != "codegen-bare" {
		t.Fatalf("Customers(first 1, customerId DESC): totalCount %d, edges %+v; want 2 and codegen-bare", pc.TotalCount, pc.Edges)
	}
	if !deref(pc.PageInfo.HasNextPage) || pc.PageInfo.EndCursor == nil {
		t.Fatalf("Customers(first 1) pageInfo = %+v, want a next page and an end cursor", pc.PageInfo)
	}
	next, err := client.Customers(ctx, c, nil, &client.CursorPaging{First: ptr(1), After: pc.PageInfo.EndCursor},
		[]client.CustomerSort{{Field: client.CustomerSortFieldsCustomerid, Direction: client.SortDirectionDesc}})
	if err != nil {
		t.Fatalf("Customers, second page: %v", err)
	}
	if len(next.Customers.Edges) != 1 || next.Customers.Edges[0].Node.CustomerId != "codegen-ada" || deref(next.Customers.PageInfo.HasNextPage) {
		t.Errorf("Customers, second page: edges %+v, pageInfo %+v; want codegen-ada and no next page", next.Customers.Edges, next.Customers.PageInfo)
	}

	// Update the name only: the nil email is left out, not cleared.
	l.api.Clock.Advance(time.Hour)
	upd, err := client.UpdateOneCustomer(ctx, c, client.UpdateCustomerInput{CustomerId: ptr("codegen-ada"), Name: ptr("Ada Lovelace")})
	if err != nil {
		t.Fatalf("UpdateOneCustomer: %v", err)
	}
	u := upd.UpdateOneCustomer.CustomerFields
	if deref(u.Name) != "Ada Lovelace" || deref(u.Email) != "ada@example.com" || !u.UpdatedAt.Equal(created.Add(time.Hour)) {
		t.Errorf("updated customer: name %q, email %q, updatedAt %v; want Ada Lovelace, ada@example.com, %v",
			deref(u.Name), deref(u.Email), u.UpdatedAt, created.Add(time.Hour))
	}
	if got, err := client.GetCustomerByRefId(ctx, c, "codegen-ada"); err != nil || got.GetCustomerByRefId == nil || deref(got.GetCustomerByRefId.Name) != "Ada Lovelace" {
		t.Errorf("GetCustomerByRefId after update: %+v, %v", got, err)
	}

	l.api.Clock.Advance(time.Hour)
	arch, err := client.ArchiveCustomer(ctx, c, "codegen-ada")
	if err != nil {
		t.Fatalf("ArchiveCustomer: %v", err)
	}
	a := arch.ArchiveCustomer.CustomerFields
	if a.CustomerId != "codegen-ada" || a.DeletedAt == nil || !a.DeletedAt.Equal(created.Add(2*time.Hour)) {
		t.Errorf("archived customer %s: deletedAt %v, want %v", a.CustomerId, a.DeletedAt, created.Add(2*time.Hour))
	}
	_, err = client.GetCustomerByRefId(ctx, c, "codegen-ada")
	wantCode(t, "GetCustomerByRefId of an archived customer", err, "CustomerNotFound")
	after, err := client.Customers(ctx, c, nil, nil, nil)
	if err != nil {
		t.Fatalf("Customers after archiving: %v", err)
	}
	if after.Customers.TotalCount != 1 || after.Customers.Edges[0].Node.CustomerId != "codegen-bare" {
		t.Errorf("Customers after archiving: totalCount %d, edges %+v; want only codegen-bare", after.Customers.TotalCount, after.Customers.Edges)
	}

	// Without the key the server refuses the client's requests.
	anon := graphql.NewClient(l.endpoint, l.http.Client())
	_, err = client.GetCustomerByRefId(ctx, anon, "codegen-bare")
	var httpErr *graphql.HTTPError
	if !errors.As(err, &httpErr) || httpErr.StatusCode != http.StatusUnauthorized {
		t.Errorf("request without a key: %v, want HTTP 401", err)
	}
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xs, _ := json.Marshal(x)
	ys, _ := json.Marshal(y)
	return bytes.Equal(xs, ys)
}

func sameCustomer(a, b client.CustomerFields) bool {
	return a.Id == b.Id && a.CustomerId == b.CustomerId && a.RefId == b.RefId &&
		deref(a.Name) == deref(b.Name) && deref(a.Email) == deref(b.Email) &&
		a.EnvironmentId == b.EnvironmentId && a.UpdatedAt.Equal(b.UpdatedAt) &&
		a.CreatedAt != nil && b.CreatedAt != nil && a.CreatedAt.Equal(*b.CreatedAt) &&
		(a.DeletedAt == nil) == (b.DeletedAt == nil) &&
		a.AdditionalMetaData != nil && b.AdditionalMetaData != nil && jsonEqual(*a.AdditionalMetaData, *b.AdditionalMetaData)
}

// wantCode fails unless err carries a GraphQL error with the code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	var list gqlerror.List
	if !errors.As(err, &list) {
		t.Errorf("%s: error %v, want GraphQL error %s", what, err, code)
		return
	}
	for _, e := range list {
		if e.Extensions["code"] == code {
			return
		}
	}
	t.Errorf("%s: errors %v, want code %s", what, list, code)
}
