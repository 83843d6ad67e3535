// Package reqinfo carries what the layers serving one HTTP request learn
// about it (who sent it, which GraphQL operations it held, which error codes
// it was answered with) up to the layers that report on it: the access log
// and the metrics wrap the whole request and cannot see the contexts made
// below them, so they put an *Info in the request context for the inner
// layers to fill.
//
// Every method is safe on a nil *Info, so code that records into it works
// the same when nothing reports (in tests, say).
package reqinfo

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/stigg-selfhost/stiggql/internal/apperr"
)

// OperationNameHeader is the header Stigg's clients name their operation in.
const OperationNameHeader = "X-Graphql-Operation-Name"

// Info is what is known about one request so far.
type Info struct {
	mu            sync.Mutex
	apiKeyID      string
	environmentID string
	ops           []Operation
	codes         []string
}

// Operation is one GraphQL operation of a request (a batch holds several).
type Operation struct {
	// RequestName is the operationName the request gave, if any.
	RequestName string
	// DocumentName is the name of the selected operation in the document,
	// known once the document is parsed.
	DocumentName string
	// Type is query, mutation or subscription, known once parsed.
	Type string
}

type ctxKey struct{}

// With returns ctx carrying a new, empty Info, and the Info.
func With(ctx context.Context) (context.Context, *Info) {
	i := &Info{}
	return context.WithValue(ctx, ctxKey{}, i), i
}

// From returns the Info in ctx, or nil.
func From(ctx context.Context) *Info {
	i, _ := ctx.Value(ctxKey{}).(*Info)
	return i
}

// SetPrincipal records the ids of the API key and environment the request
// acts as (never the secret).
func (i *Info) SetPrincipal(apiKeyID, environmentID string) {
	if i == nil {
		return
	}
	i.mu.Lock()
	i.apiKeyID, i.environmentID = apiKeyID, environmentID
	i.mu.Unlock()
}

// Principal returns the ids given to SetPrincipal.
func (i *Info) Principal() (apiKeyID, environmentID string) {
	if i == nil {
		return "", ""
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.apiKeyID, i.environmentID
}

// StartOperation records that an operation named requestName (possibly
// empty) is about to be parsed, and returns its index for SetOperation.
func (i *Info) StartOperation(requestName string) int {
	if i == nil {
		return -1
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.ops = append(i.ops, Operation{RequestName: requestName})
	return len(i.ops) - 1
}

// SetOperation completes operation idx once its document is parsed.
func (i *Info) SetOperation(idx int, documentName, opType string) {
	if i == nil {
		return
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if idx < 0 || idx >= len(i.ops) {
		return
	}
	i.ops[idx].DocumentName = documentName
	i.ops[idx].Type = opType
}

// Operations returns a copy of the operations recorded so far.
func (i *Info) Operations() []Operation {
	if i == nil {
		return nil
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	return append([]Operation(nil), i.ops...)
}

// AddCodes records the extensions.code of errors the request is answered with.
func (i *Info) AddCodes(codes ...string) {
	if i == nil || len(codes) == 0 {
		return
	}
	i.mu.Lock()
	i.codes = append(i.codes, codes...)
	i.mu.Unlock()
}

// Codes returns a copy of the codes recorded so far, in order, with repeats.
func (i *Info) Codes() []string {
	if i == nil {
		return nil
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	return append([]string(nil), i.codes...)
}

// WriteError answers r with a GraphQL response holding one coded error (the
// shape GraphQL clients parse even on non-200 statuses) and records the code
// in the request's Info. Layers that refuse a request before gqlgen sees it
// use it.
func WriteError(w http.ResponseWriter, r *http.Request, status int, code apperr.Code, msg string) {
	From(r.Context()).AddCodes(string(code))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": string(code)}}},
		"data":   nil,
	})
}
