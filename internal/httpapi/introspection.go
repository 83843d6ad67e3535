package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"

	"github.com/vektah/gqlparser/v2/ast"
)

// maxIntrospectionBody bounds how much of an unauthenticated POST body is
// read to decide whether it is an introspection query. Introspection
// documents are a few kilobytes; anything longer is answered as usual (401).
const maxIntrospectionBody = 64 << 10

// introspectionRequest reports whether r is a GraphQL request (GET, or POST
// with a JSON body, as the transports accept) whose selected operation is an
// introspection query. It returns the request to pass on, whose body is
// intact when it had to be read.
func introspectionRequest(r *http.Request) (bool, *http.Request) {
	switch r.Method {
	case http.MethodGet:
		q := r.URL.Query()
		return IsIntrospectionQuery(q.Get("query"), q.Get("operationName")), r
	case http.MethodPost:
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/json" || r.Body == nil {
			return false, r
		}
		buf, err := io.ReadAll(io.LimitReader(r.Body, maxIntrospectionBody+1))
		r2 := r.Clone(r.Context())
		r2.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(buf), r.Body), r.Body}
		if err != nil || len(buf) > maxIntrospectionBody {
			return false, r2
		}
		var params struct {
			Query         string `json:"query"`
			OperationName string `json:"operationName"`
		}
		if json.Unmarshal(buf, &params) != nil {
			return false, r2
		}
		return IsIntrospectionQuery(params.Query, params.OperationName), r2
	}
	return false, r
}

// introspectionFields are the only top-level fields an introspection query
// may select.
var introspectionFields = map[string]bool{"__schema": true, "__type": true, "__typename": true}

// IsIntrospectionQuery reports whether the operation of query that a request
// with operationName would run is a query selecting only __schema, __type
// and __typename at the top level, following fragments spread there. It only
// parses; gqlgen validates the document afterwards as for any request.
func IsIntrospectionQuery(query, operationName string) bool {
	if query == "" {
		return false
	}
	doc, op := selectedOperation(query, operationName)
	if op == nil || op.Operation != ast.Query {
		return false
	}
	return onlyIntrospection(doc, op.SelectionSet, map[string]bool{})
}

func onlyIntrospection(doc *ast.QueryDocument, set ast.SelectionSet, seen map[string]bool) bool {
	if len(set) == 0 {
		return false
	}
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if !introspectionFields[s.Name] {
				return false
			}
		case *ast.InlineFragment:
			if !onlyIntrospection(doc, s.SelectionSet, seen) {
				return false
			}
		case *ast.FragmentSpread:
			// A cycle is invalid GraphQL; refuse rather than recurse.
			if seen[s.Name] {
				return false
			}
			f := doc.Fragments.ForName(s.Name)
			if f == nil {
				return false
			}
			seen[s.Name] = true
			ok := onlyIntrospection(doc, f.SelectionSet, seen)
			delete(seen, s.Name)
			if !ok {
				return false
			}
		default:
			return false
		}
	}
	return true
}
