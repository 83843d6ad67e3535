package clientaccess

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/auth"
)

// Extension enforces Fields on every operation of a client key: before
// execution it refuses an operation none of whose root fields is allowed
// (answered HTTP 403 by Middleware) or that names more than one customer;
// during execution each refused root field is null with its error while the
// allowed ones run. Server keys pass untouched.
type Extension struct {
	// Owner finds a subscription's customer for fields that name a
	// subscription instead (getSubscription, estimateSubscriptionUpdate).
	Owner OwnerLookup
}

var (
	_ graphql.HandlerExtension        = Extension{}
	_ graphql.OperationContextMutator = Extension{}
	_ graphql.RootFieldInterceptor    = Extension{}
)

const statsKey = "ClientAccess"

// ExtensionName implements graphql.HandlerExtension.
func (Extension) ExtensionName() string { return statsKey }

// Validate implements graphql.HandlerExtension.
func (Extension) Validate(graphql.ExecutableSchema) error { return nil }

func rootType(op *ast.OperationDefinition) string {
	switch op.Operation {
	case ast.Mutation:
		return "Mutation"
	case ast.Subscription:
		return "Subscription"
	}
	return "Query"
}

// MutateOperationContext refuses a client key's operation as a whole when
// nothing in it is allowed or it names several customers, and records the
// request's customer for the owner checks of InterceptRootField.
func (e Extension) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	p := auth.FromContext(ctx)
	if !p.IsClient() || oc.Operation == nil {
		return nil
	}
	typ := rootType(oc.Operation)
	var firstErr error
	allowed := 0
	customer := ""
	for _, f := range graphql.CollectFields(oc, oc.Operation.SelectionSet, nil) {
		d := Decide(p, typ, f.Name, f.ArgumentMap(oc.Variables))
		if d.Err != nil {
			if firstErr == nil {
				firstErr = d.Err
			}
			continue
		}
		allowed++
		if d.Customer != "" {
			if customer != "" && customer != d.Customer {
				markForbidden(ctx)
				return toGQL(apperr.New(apperr.IdentityForbidden, "a request with a client key acts for one customer; this one names several"))
			}
			customer = d.Customer
		}
	}
	if allowed == 0 && firstErr != nil {
		markForbidden(ctx)
		return toGQL(firstErr)
	}
	oc.Stats.SetExtension(statsKey, customer)
	return nil
}

// InterceptRootField runs an allowed root field and answers a refused one
// with null and its error.
func (e Extension) InterceptRootField(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	p := auth.FromContext(ctx)
	if !p.IsClient() {
		return next(ctx)
	}
	rfc := graphql.GetRootFieldContext(ctx)
	oc := graphql.GetOperationContext(ctx)
	if rfc == nil || oc == nil {
		return next(ctx)
	}
	// RootFieldContext.Object is the field's name in gqlgen's generated
	// code, not its type: the operation says which root type it is.
	d := Decide(p, rootType(oc.Operation), rfc.Field.Name, rfc.Field.ArgumentMap(oc.Variables))
	customer, _ := oc.Stats.GetExtension(statsKey).(string)
	if err := Check(ctx, p, d, customer, e.Owner); err != nil {
		alias := rfc.Field.Alias
		if alias == "" {
			alias = rfc.Field.Name
		}
		if _, coded := apperr.As(err); !coded {
			graphql.AddError(ctx, err) // the presenter logs it and answers UnexpectedError
			return graphql.Null
		}
		ge := toGQL(err)
		ge.Path = ast.Path{ast.PathName(alias)}
		graphql.AddError(ctx, ge)
		return graphql.Null
	}
	return next(ctx)
}

// toGQL turns a coded error into a gqlerror with its code; any other error
// (a failed lookup) becomes an UnexpectedError without detail.
func toGQL(err error) *gqlerror.Error {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		ext := map[string]any{"code": string(ae.Code)}
		if ae.Field != "" {
			ext["field"] = ae.Field
		}
		return &gqlerror.Error{Message: ae.Message, Extensions: ext}
	}
	return &gqlerror.Error{Message: "unexpected error", Extensions: map[string]any{"code": string(apperr.UnexpectedError)}, Err: err}
}

type forbiddenKey struct{}

type forbiddenFlag struct{ set bool }

func markForbidden(ctx context.Context) {
	if f, ok := ctx.Value(forbiddenKey{}).(*forbiddenFlag); ok {
		f.set = true
	}
}

// Middleware answers HTTP 403 (instead of 200) when Extension refused a
// client key's whole operation: nothing in it was allowed. It wraps the
// GraphQL handler, inside authentication.
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !auth.FromContext(r.Context()).IsClient() || strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			next.ServeHTTP(w, r)
			return
		}
		f := &forbiddenFlag{}
		fw := &forbiddenWriter{ResponseWriter: w, flag: f}
		next.ServeHTTP(fw, r.WithContext(context.WithValue(r.Context(), forbiddenKey{}, f)))
	})
}

type forbiddenWriter struct {
	http.ResponseWriter
	flag        *forbiddenFlag
	wroteHeader bool
}

func (w *forbiddenWriter) WriteHeader(status int) {
	if w.wroteHeader {
		return
	}
	w.wroteHeader = true
	if w.flag.set && status < 300 {
		status = http.StatusForbidden
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *forbiddenWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *forbiddenWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
