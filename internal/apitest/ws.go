package apitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/httpapi"
)

// WSWait bounds every wait of a WS client for the server.
const WSWait = 10 * time.Second

// WS is a GraphQL over WebSocket client speaking graphql-transport-ws, as
// browsers and the graphql-ws library do. It answers the server's pings.
type WS struct {
	T    testing.TB
	conn *websocket.Conn
	wmu  sync.Mutex
	msgs chan WSMessage
	// closeErr is why the connection ended; read after msgs is closed.
	closeErr error
}

// WSMessage is one graphql-transport-ws message.
type WSMessage struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// DialWS opens a WebSocket to the GraphQL endpoint of the server at
// baseURL (http://host:port) with the given upgrade headers. It returns
// the HTTP response of a refused upgrade as an error.
func DialWS(t testing.TB, baseURL string, header http.Header) (*WS, error) {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: WSWait}
	conn, res, err := d.Dial("ws"+strings.TrimPrefix(baseURL, "http")+httpapi.GraphQLPath, header)
	if err != nil {
		if res != nil {
			return nil, fmt.Errorf("%w (HTTP %d)", err, res.StatusCode)
		}
		return nil, err
	}
	if p := conn.Subprotocol(); p != "graphql-transport-ws" {
		conn.Close()
		return nil, fmt.Errorf("server chose subprotocol %q", p)
	}
	c := &WS{T: t, conn: conn, msgs: make(chan WSMessage, 64)}
	t.Cleanup(func() { _ = c.conn.Close() })
	go c.read()
	return c, nil
}

func (c *WS) read() {
	defer close(c.msgs)
	for {
		var m WSMessage
		if err := c.conn.ReadJSON(&m); err != nil {
			c.closeErr = err
			return
		}
		if m.Type == "ping" {
			_ = c.Send(WSMessage{Type: "pong"})
			continue
		}
		c.msgs <- m
	}
}

// Send writes one message.
func (c *WS) Send(m WSMessage) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(WSWait))
	return c.conn.WriteJSON(m)
}

// Init sends connection_init with payload and waits for connection_ack. It
// returns an error when the server closes the connection instead.
func (c *WS) Init(payload map[string]any) error {
	c.T.Helper()
	p, _ := json.Marshal(payload)
	if err := c.Send(WSMessage{Type: "connection_init", Payload: p}); err != nil {
		return err
	}
	m, err := c.Next()
	if err != nil {
		return err
	}
	if m.Type != "connection_ack" {
		return fmt.Errorf("got %s, want connection_ack", m.Type)
	}
	return nil
}

// Subscribe starts the operation query as id.
func (c *WS) Subscribe(id, query string, vars map[string]any) {
	c.T.Helper()
	p, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err := c.Send(WSMessage{Type: "subscribe", ID: id, Payload: p}); err != nil {
		c.T.Fatalf("subscribe: %v", err)
	}
}

// Complete stops the operation id.
func (c *WS) Complete(id string) {
	c.T.Helper()
	if err := c.Send(WSMessage{Type: "complete", ID: id}); err != nil {
		c.T.Fatalf("complete: %v", err)
	}
}

// Next returns the next message, or an error when the connection ends or
// nothing comes within WSWait.
func (c *WS) Next() (WSMessage, error) {
	select {
	case m, ok := <-c.msgs:
		if !ok {
			return WSMessage{}, fmt.Errorf("connection closed: %w", c.closeErr)
		}
		return m, nil
	case <-time.After(WSWait):
		return WSMessage{}, errors.New("no message from the server")
	}
}

// NextData returns the data of the next message, which must be a "next"
// message of operation id without errors, decoded into out.
func (c *WS) NextData(id string, out any) {
	c.T.Helper()
	m, err := c.Next()
	if err != nil {
		c.T.Fatal(err)
	}
	if m.Type != "next" || m.ID != id {
		c.T.Fatalf("got %s %s %s, want next for %s", m.Type, m.ID, m.Payload, id)
	}
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []Error         `json:"errors"`
	}
	if err := json.Unmarshal(m.Payload, &r); err != nil {
		c.T.Fatal(err)
	}
	if len(r.Errors) > 0 {
		c.T.Fatalf("errors: %s", m.Payload)
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		c.T.Fatal(err)
	}
}

// Close closes the connection without the closing handshake, as a client
// that goes away does.
func (c *WS) Close() { _ = c.conn.Close() }

// Post sends a GraphQL request over HTTP to the server at baseURL, as a
// client on another machine would, with key (none when empty).
func Post(t testing.TB, baseURL, key, query string, vars map[string]any) *Response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, baseURL+httpapi.GraphQLPath, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set(auth.HeaderName, key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var r Response
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("response is not JSON (%d): %s", res.StatusCode, raw)
	}
	r.Status = res.StatusCode
	return &r
}
