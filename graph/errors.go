package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/db"
	"github.com/stigg-selfhost/stiggql/internal/requestid"
)

// ErrorPresenter is the one place that decides what an error looks like to
// a client: every error carries a stable extensions.code; client errors keep
// their message; anything unexpected is logged with the request id and
// replaced by a generic UnexpectedError, so no SQL, path or stack leaks.
func ErrorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		path := graphql.GetPath(ctx)
		if ae, ok := apperr.As(err); ok {
			ext := map[string]any{"code": string(ae.Code)}
			if ae.Field != "" {
				ext["field"] = ae.Field
			}
			return &gqlerror.Error{Message: ae.Message, Path: path, Extensions: ext}
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return &gqlerror.Error{Message: "the request took too long and was cancelled", Path: path,
				Extensions: map[string]any{"code": "RequestTimeout"}}
		}
		var gqlErr *gqlerror.Error
		if errors.As(err, &gqlErr) && gqlErr.Err == nil || errors.As(err, &gqlErr) && isClientCoded(gqlErr.Err) {
			// Errors of gqlgen and gqlparser themselves (parsing, validation,
			// coercion, non-null violations) and coded scalar errors.
			out := *gqlErr
			if out.Path == nil {
				out.Path = path
			}
			out.Extensions = copyExt(out.Extensions)
			if isVariableError(&out) {
				out.Extensions["code"] = string(apperr.BadUserInput)
			}
			if _, ok := out.Extensions["code"]; !ok {
				out.Extensions["code"] = string(apperr.BadUserInput)
			}
			return &out
		}
		id := requestid.From(ctx)
		if db.Unavailable(err) {
			log.ErrorContext(ctx, "database unavailable", "request_id", id, "path", path.String(), "error", err.Error())
			return &gqlerror.Error{
				Message:    fmt.Sprintf("the database is unavailable; retry later (request id %s)", id),
				Path:       path,
				Extensions: map[string]any{"code": string(apperr.ServiceUnavailable), "requestId": id},
			}
		}
		log.ErrorContext(ctx, "unexpected error", "request_id", id, "path", path.String(), "error", err.Error())
		return &gqlerror.Error{
			Message:    fmt.Sprintf("Unexpected error (request id %s)", id),
			Path:       path,
			Extensions: map[string]any{"code": string(apperr.UnexpectedError), "requestId": id},
		}
	}
}

func isClientCoded(err error) bool {
	var gqlErr *gqlerror.Error
	return err != nil && errors.As(err, &gqlErr) && gqlErr.Extensions["code"] != nil
}

// isVariableError tells variable coercion failures (a bad value for a
// declared variable, such as an unknown enum value) from document errors:
// the first are bad user input, as Apollo-based servers like Stigg's say.
func isVariableError(e *gqlerror.Error) bool {
	if len(e.Path) == 0 {
		return false
	}
	name, ok := e.Path[0].(ast.PathName)
	return ok && string(name) == "variable" && e.Extensions["code"] == errcode.ValidationFailed
}

func copyExt(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// RecoverFunc turns a panic in a resolver into an UnexpectedError, logging
// the stack server-side only.
func RecoverFunc(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, v any) error {
		log.ErrorContext(ctx, "panic in resolver", "request_id", requestid.From(ctx), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		return fmt.Errorf("panic: %v", v)
	}
}
