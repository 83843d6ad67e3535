package abuse

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/stigg-selfhost/stiggql/internal/proof/serverproc"
)

// kind is an abusive request and the code it must be refused with.
type kind struct {
	Kind
	body    []byte
	chunked bool // send without Content-Length, so the server must count
}

func (k *kind) send(ctx context.Context, hc *http.Client, url, key string) (code, detail string) {
	var body io.Reader = bytes.NewReader(k.body)
	if k.chunked {
		body = io.MultiReader(bytes.NewReader(k.body)) // hides the length
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/graphql", body)
	if err != nil {
		return "", err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-KEY", key)
	resp, err := hc.Do(req)
	if err != nil {
		return "", "transport: " + err.Error()
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", "read: " + err.Error()
	}
	r := &serverproc.Response{Status: resp.StatusCode}
	if err := json.Unmarshal(raw, r); err != nil || len(r.Errors) == 0 {
		return "", fmt.Sprintf("status %d: %.200s", resp.StatusCode, raw)
	}
	return r.Errors[0].Code(), fmt.Sprintf("status %d: %.200s", resp.StatusCode, raw)
}

// abusiveKinds builds the abusive requests once: each is far over its limit
// (the defaults of internal/limits), as an attacker would send.
func abusiveKinds(maxBody int64) []*kind {
	gql := func(q string) []byte { b, _ := json.Marshal(map[string]any{"query": q}); return b }

	// customer -> subscriptions -> customer ... 200 levels deep.
	deep := "id"
	for range 100 {
		deep = "subscriptions { customer { " + deep + " } }"
	}
	deepQ := `{ customers { edges { node { ` + deep + ` } } } }`

	// A page of 100 customers, each with subscriptions, their prices and
	// addons, the selection repeated: far above the complexity limit, with
	// no alias at all.
	var wide strings.Builder
	wide.WriteString(`{ customers(paging: {first: 100}) { edges { node { subscriptions { `)
	for range 40 {
		wide.WriteString(`prices { id billingModel usageLimit } addons { id quantity } `)
	}
	wide.WriteString(`} } } } }`)

	var aliases strings.Builder
	aliases.WriteString("{")
	for i := range 1000 {
		fmt.Fprintf(&aliases, " a%d: customers { totalCount }", i)
	}
	aliases.WriteString(" }")

	var batch bytes.Buffer
	batch.WriteByte('[')
	for i := range 1000 {
		if i > 0 {
			batch.WriteByte(',')
		}
		batch.WriteString(`{"query":"{ customers { totalCount } }"}`)
	}
	batch.WriteByte(']')

	// A syntactically fine request just over the body limit: a query with
	// a huge string argument.
	pad := strings.Repeat("x", int(maxBody)+1024)
	oversized := gql(`{ getCustomerByRefId(input: {customerId: "` + pad + `"}) { id } }`)

	return []*kind{
		{Kind: Kind{Name: "deep", Want: "GraphQLDepthLimitExceeded"}, body: gql(deepQ)},
		{Kind: Kind{Name: "wide", Want: "GraphQLComplexityLimitExceeded"}, body: gql(wide.String())},
		{Kind: Kind{Name: "aliased", Want: "GraphQLAliasesLimitExceeded"}, body: gql(aliases.String())},
		{Kind: Kind{Name: "batched", Want: "GraphQLBatchedOperationsLimitExceeded"}, body: batch.Bytes()},
		{Kind: Kind{Name: "oversized", Want: "RequestTooLarge"}, body: oversized},
		{Kind: Kind{Name: "chunked", Want: "RequestTooLarge"}, body: oversized, chunked: true},
	}
}
