package serverproc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Client sends GraphQL requests to a server as API clients do: a JSON POST
// to /graphql with the X-API-KEY header.
type Client struct {
	// URL is the server's base URL (http://host:port).
	URL string
	// Key is sent as X-API-KEY when not empty.
	Key string
	// HTTP is the client used; its transport should keep enough idle
	// connections for the concurrency the caller uses (see NewHTTPClient).
	HTTP *http.Client
}

// NewHTTPClient returns an HTTP client that keeps up to conns connections to
// one server open, so that concurrent callers reuse connections instead of
// exhausting ephemeral ports.
func NewHTTPClient(conns int, timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = conns
	t.MaxIdleConnsPerHost = conns
	return &http.Client{Transport: t, Timeout: timeout}
}

// Client returns a client of s with its API key, sharing one HTTP client
// with room for conns concurrent connections.
func (s *Server) Client(conns int) *Client {
	return &Client{URL: s.URL, Key: s.Key, HTTP: NewHTTPClient(conns, 2*time.Minute)}
}

// Response is a GraphQL response with its HTTP status and raw body.
type Response struct {
	Status int             `json:"-"`
	Body   []byte          `json:"-"`
	Data   json.RawMessage `json:"data"`
	Errors []Error         `json:"errors"`
}

// Error is one GraphQL error.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code returns extensions.code.
func (e Error) Code() string { c, _ := e.Extensions["code"].(string); return c }

// Codes lists the codes of all errors.
func (r *Response) Codes() []string {
	out := make([]string, len(r.Errors))
	for i, e := range r.Errors {
		out[i] = e.Code()
	}
	return out
}

// OK reports a 200 answer without errors.
func (r *Response) OK() bool { return r.Status == http.StatusOK && len(r.Errors) == 0 }

// Decode decodes data into out.
func (r *Response) Decode(out any) error { return json.Unmarshal(r.Data, out) }

// Do sends one operation.
func (c *Client) Do(ctx context.Context, query string, vars map[string]any) (*Response, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return nil, err
	}
	return c.Post(ctx, body, "application/json")
}

// Post sends body as is to /graphql. A body that is not a JSON object (a
// batch's array answer, say) is returned in Body with Data and Errors unset.
func (c *Client) Post(ctx context.Context, body []byte, contentType string) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	if c.Key != "" {
		req.Header.Set("X-API-KEY", c.Key)
	}
	return c.send(req)
}

func (c *Client) send(req *http.Request) (*Response, error) {
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read response (%s): %w", resp.Status, err)
	}
	r := &Response{Status: resp.StatusCode, Body: raw}
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '{' {
		if err := json.Unmarshal(raw, r); err != nil {
			return r, fmt.Errorf("response is not GraphQL JSON (%s): %.200s", resp.Status, raw)
		}
	}
	return r, nil
}
