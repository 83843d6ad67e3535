package limits_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/stigg-selfhost/stiggql/graph"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/clock"
	"github.com/stigg-selfhost/stiggql/internal/limits"
	"github.com/stigg-selfhost/stiggql/internal/testdb"
)

// server is the real schema over a fresh SQLite store, with the limits
// extension, acting as one API key. fields counts resolved fields, to show
// that a refused operation resolved nothing.
type server struct {
	t      *testing.T
	h      http.Handler
	fields atomic.Int64
	// ctx, when set, replaces each request's context (to expire it).
	ctx func(context.Context) (context.Context, context.CancelFunc)
}

func newServer(t *testing.T, cfg limits.Config) *server {
	t.Helper()
	st := testdb.Open(t, testdb.SQLite)
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	key, err := auth.CreateKey(context.Background(), st.Client, "default", "")
	if err != nil {
		t.Fatal(err)
	}
	p := &auth.Principal{EnvironmentID: key.Environment.ID, APIKeyID: key.Key.ID}

	s := &server{t: t}
	gql := handler.New(graph.NewSchema(graph.NewResolver(st.Client, clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), log)))
	gql.AddTransport(transport.POST{})
	gql.Use(extension.Introspection{})
	gql.SetErrorPresenter(graph.ErrorPresenter(log))
	gql.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		return next(graph.WithLoaders(ctx))
	})
	gql.AroundFields(func(ctx context.Context, next graphql.Resolver) (any, error) {
		s.fields.Add(1)
		return next(ctx)
	})
	gql.Use(limits.NewExtension(cfg))
	s.h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := auth.WithPrincipal(r.Context(), p)
		if s.ctx != nil {
			var cancel context.CancelFunc
			ctx, cancel = s.ctx(ctx)
			defer cancel()
		}
		gql.ServeHTTP(w, r.WithContext(ctx))
	})
	return s
}

type response struct {
	status int
	Data   map[string]json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func (s *server) do(query string, vars map[string]any) *response {
	s.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	var r response
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		s.t.Fatalf("not JSON (%d): %s", rec.Code, rec.Body)
	}
	r.status = rec.Code
	return &r
}

func (s *server) ok(query string, vars map[string]any) *response {
	s.t.Helper()
	r := s.do(query, vars)
	if len(r.Errors) > 0 || r.status != http.StatusOK {
		s.t.Fatalf("status %d, errors %+v", r.status, r.Errors)
	}
	return r
}

func (s *server) refused(code, query string, vars map[string]any) {
	s.t.Helper()
	s.fields.Store(0)
	r := s.do(query, vars)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != code {
		s.t.Fatalf("want one %s error, got status %d, %+v", code, r.status, r.Errors)
	}
	if r.status != http.StatusUnprocessableEntity {
		s.t.Errorf("status = %d, want 422 like other invalid documents", r.status)
	}
	if n := s.fields.Load(); n != 0 {
		s.t.Errorf("%d fields resolved for a refused operation", n)
	}
}

// TestDefaultsLetPlaygroundQueriesThrough runs what the playground and the
// benchmark's heaviest query send against the defaults.
func TestDefaultsLetPlaygroundQueriesThrough(t *testing.T) {
	s := newServer(t, limits.Default())

	introspection, err := os.ReadFile("testdata/introspection.graphql")
	if err != nil {
		t.Fatal(err)
	}
	r := s.ok(string(introspection), nil)
	if !strings.Contains(string(r.Data["__schema"]), `"name":"Customer"`) {
		t.Errorf("introspection result lacks the Customer type")
	}

	// The benchmark's Q2 at the largest page: about 16,000.
	s.ok(`query Q2($first: Int) {
	  customers(paging: {first: $first}, sorting: [{field: createdAt, direction: DESC}]) {
	    totalCount
	    pageInfo { hasNextPage endCursor }
	    edges { node {
	      id refId name email createdAt
	      subscriptions { id subscriptionId status startDate endDate plan { refId } }
	      promotionalEntitlements { id status usageLimit hasUnlimitedUsage endDate feature { refId } }
	      syncStates { vendorIdentifier status syncedEntityId }
	    } }
	  }
	}`, map[string]any{"first": 100})
}

func TestLimitsRefuseBeforeResolving(t *testing.T) {
	s := newServer(t, limits.Default())

	// customer -> subscriptions -> customer ... 16 levels deep.
	deep := "id"
	for i := 0; i < 7; i++ {
		deep = "subscriptions { customer { " + deep + " } }"
	}
	s.refused("GraphQLDepthLimitExceeded", `{ customers { edges { node { `+deep+` } } } }`, nil)

	var aliases strings.Builder
	for i := 0; i <= limits.DefaultMaxAliases; i++ {
		fmt.Fprintf(&aliases, "c%d: customers { totalCount }\n", i)
	}
	s.refused("GraphQLAliasesLimitExceeded", "{"+aliases.String()+"}", nil)

	// Pages multiply: 100 customers, each field of each node counted, in
	// 60 aliased copies of a wide selection, is far over the default.
	var wide strings.Builder
	for i := 0; i < 25; i++ {
		fmt.Fprintf(&wide, "f%d: customers(paging: $p) { edges { node { id name email subscriptions { id prices { id billingModel usageLimit } addons { id quantity } } } } }\n", i)
	}
	s.refused("GraphQLComplexityLimitExceeded", `query($p: CursorPaging) {`+wide.String()+`}`, map[string]any{"p": map[string]any{"first": 100}})
}

// TestTimeoutCancelsDatabaseWork shows that an expired request context
// stops the resolvers' database work and is reported as RequestTimeout.
func TestTimeoutCancelsDatabaseWork(t *testing.T) {
	s := newServer(t, limits.Default())
	s.ctx = func(ctx context.Context) (context.Context, context.CancelFunc) {
		return context.WithDeadline(ctx, time.Unix(0, 0))
	}
	r := s.do(`{ customers { totalCount edges { node { id } } } }`, nil)
	if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "RequestTimeout" {
		t.Fatalf("want RequestTimeout, got %+v", r.Errors)
	}
}
