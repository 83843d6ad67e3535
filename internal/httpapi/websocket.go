package httpapi

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/gorilla/websocket"

	"github.com/stigg-selfhost/stiggql/graph"
	"github.com/stigg-selfhost/stiggql/internal/apperr"
	"github.com/stigg-selfhost/stiggql/internal/auth"
	"github.com/stigg-selfhost/stiggql/internal/reqinfo"
	"github.com/stigg-selfhost/stiggql/internal/requestid"
)

// WebSocket settings. The server pings every interval (graphql-transport-ws
// ping, or the legacy graphql-ws keep-alive), which keeps proxies from
// closing idle connections; a graphql-transport-ws client that does not
// answer a ping with a pong within two intervals is disconnected.
const (
	wsPingInterval = 10 * time.Second
	// wsInitTimeout bounds the wait for connection_init after the upgrade.
	wsInitTimeout = 10 * time.Second
)

// IsWebSocketUpgrade reports whether r asks to become a WebSocket
// connection. Such requests are long-lived: they skip the request timeout
// and GET caching, and may authenticate in connection_init instead of the
// X-API-KEY header.
func IsWebSocketUpgrade(r *http.Request) bool {
	return r.Method == http.MethodGet && websocket.IsWebSocketUpgrade(r)
}

// webSocketTransport is gqlgen's WebSocket transport (graphql-transport-ws,
// and the legacy graphql-ws) claiming exactly the requests IsWebSocketUpgrade
// accepts (gqlgen's own test takes any request with an Upgrade header), so
// that RequireAPIKey, which lets those through without checking a key, and
// the transport that then demands one agree on what a WebSocket request is.
type webSocketTransport struct{ transport.Websocket }

func (webSocketTransport) Supports(r *http.Request) bool { return IsWebSocketUpgrade(r) }

// Do serves one WebSocket connection with gqlgen's transport, keeping hold of
// the connection so that initWebSocket can refuse it with a close code of
// its own (gqlgen closes a refused connection with 1000, which graphql-ws
// clients answer by reconnecting at once, in a loop).
func (t webSocketTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	wa := &wsAuth{headerKey: r.Header.Get(auth.HeaderName), headerToken: r.Header.Get(auth.CustomerTokenHeader)}
	ctx := context.WithValue(r.Context(), wsAuthKey{}, wa)
	t.Websocket.Do(&hijackRecorder{ResponseWriter: w, wa: wa}, r.WithContext(ctx), exec)
}

// webSocket returns the transport serving subscriptions.
func (o Options) webSocket() webSocketTransport {
	return webSocketTransport{transport.Websocket{
		Upgrader: websocket.Upgrader{
			CheckOrigin: checkOrigin(o.CORSOrigins),
		},
		InitFunc:              o.initWebSocket,
		InitTimeout:           wsInitTimeout,
		KeepAlivePingInterval: wsPingInterval,
		PingPongInterval:      wsPingInterval,
	}}
}

// checkOrigin lets browser pages open WebSockets on the same terms as CORS
// lets them call the API: pages of the server's own origin and of the
// configured origins. Requests without an Origin (non-browser clients) are
// let in; the API key protects the API from them, while the origin check
// protects users' browsers.
func checkOrigin(origins []string) func(r *http.Request) bool {
	allowed, _ := originAllowList(origins)
	return func(r *http.Request) bool {
		origin := r.Header.Get("Origin")
		if origin == "" || allowed(origin) {
			return true
		}
		u, err := url.Parse(origin)
		return err == nil && strings.EqualFold(u.Host, r.Host)
	}
}

// initWebSocket authenticates a WebSocket connection by the X-API-KEY
// header of the upgrade request when it had one, else by the key in the
// connection_init payload (see keyFromInitPayload). Without a valid key the
// connection is closed before connection_ack, with close code 4401 (reason
// "Invalid API key", or "Missing API key"), 4403 when the key may not do
// this, or 1013 (try again later) when keys cannot be checked right now:
// graphql-ws clients stop on 4401 instead of reconnecting, and Stigg's SDKs
// give up for good on the reason "Invalid API key". The connection is also
// closed when o.Shutdown is done, so clients reconnect (perhaps to another
// replica) instead of waiting on a server that is going away.
func (o Options) initWebSocket(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	wa, _ := ctx.Value(wsAuthKey{}).(*wsAuth)
	key, token := "", ""
	if wa != nil {
		key, token = wa.headerKey, wa.headerToken
	}
	if key == "" {
		key = keyFromInitPayload(payload)
	}
	if token == "" {
		token = fromInitPayload(payload, auth.CustomerTokenHeader, "customerToken")
	}
	p, err := o.Auth.AuthenticateRequest(ctx, key, token)
	if err != nil {
		code, reason := wsCloseFor(key, err)
		if ae, ok := apperr.As(err); ok {
			reqinfo.From(ctx).AddCodes(string(ae.Code))
		} else {
			o.Log.ErrorContext(ctx, "authentication failed", "request_id", requestid.From(ctx), "error", err.Error())
			reqinfo.From(ctx).AddCodes(string(apperr.UnexpectedError))
			reason = "authentication is unavailable (request id " + requestid.From(ctx) + ")"
		}
		if wa != nil {
			wa.refuse(code, reason)
		}
		return ctx, nil, errors.New(reason)
	}
	ctx = auth.WithPrincipal(ctx, p)
	reqinfo.From(ctx).SetPrincipal(p.APIKeyID.String(), p.EnvironmentID.String())
	ctx = graph.WithWebSocket(ctx)
	if o.Shutdown != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		stop := context.AfterFunc(o.Shutdown, cancel)
		context.AfterFunc(ctx, func() { stop() })
	}
	return ctx, nil, nil
}

// WebSocket close codes of a refused connection (graphql-ws's CloseCode
// names, and RFC 6455's "try again later").
const (
	wsUnauthorized  = 4401
	wsForbidden     = 4403
	wsTryAgainLater = 1013
)

// wsCloseFor is the close code and reason refusing a connection whose key
// (possibly empty) failed authentication with err.
func wsCloseFor(key string, err error) (int, string) {
	ae, ok := apperr.As(err)
	switch {
	case !ok:
		return wsTryAgainLater, "authentication is unavailable"
	case ae.Code == apperr.Unauthenticated && key == "":
		return wsUnauthorized, "Missing API key"
	case ae.Code == apperr.Unauthenticated && strings.Contains(ae.Message, auth.CustomerTokenHeader):
		// A valid key with a customer token that does not verify.
		return wsUnauthorized, ae.Message
	case ae.Code == apperr.Unauthenticated:
		// The exact reason Stigg's SDKs test to stop reconnecting.
		return wsUnauthorized, "Invalid API key"
	default:
		return wsForbidden, ae.Message
	}
}

// keyFromInitPayload finds the API key in a connection_init payload, where
// clients that cannot set headers on the upgrade put it: a top-level
// X-API-KEY or apiKey (graphql-ws's connectionParams), or X-API-KEY inside
// a "headers" object, as Stigg's SDKs send it. Names are matched without
// regard to case, like HTTP header names.
func keyFromInitPayload(payload transport.InitPayload) string {
	return fromInitPayload(payload, auth.HeaderName, "apiKey")
}

// fromInitPayload finds a header's value in a connection_init payload: at
// the top level under the header's name or alias (any case), else under the
// header's name in a "headers" object, as graphql-ws clients that copy their
// HTTP headers send it.
func fromInitPayload(payload transport.InitPayload, header, alias string) string {
	find := func(m map[string]any, names ...string) string {
		for k, v := range m {
			for _, n := range names {
				if s, ok := v.(string); ok && s != "" && strings.EqualFold(k, n) {
					return s
				}
			}
		}
		return ""
	}
	if v := find(payload, header, alias); v != "" {
		return v
	}
	for k, v := range payload {
		if h, ok := v.(map[string]any); ok && strings.EqualFold(k, "headers") {
			if v := find(h, header); v != "" {
				return v
			}
		}
	}
	return ""
}

type wsAuthKey struct{}

// wsAuth carries, from the upgrade request to initWebSocket, the key of the
// upgrade's X-API-KEY header and the hijacked connection, so that a refused
// connection can be closed with a code of our choosing.
type wsAuth struct {
	headerKey   string
	headerToken string // the upgrade's X-CUSTOMER-KEY header

	mu   sync.Mutex
	conn *refusableConn
}

// refuse sends a close frame with code and reason on the connection and
// drops whatever gqlgen writes after it (its connection_error message, which
// graphql-transport-ws does not have, and its own close frame with 1000).
func (wa *wsAuth) refuse(code int, reason string) {
	wa.mu.Lock()
	c := wa.conn
	wa.mu.Unlock()
	if c != nil {
		c.refuse(code, reason)
	}
}

// hijackRecorder hands gorilla/websocket the connection wrapped in a
// refusableConn and records it in wa.
type hijackRecorder struct {
	http.ResponseWriter
	wa *wsAuth
}

func (h *hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	rc := &refusableConn{Conn: conn}
	h.wa.mu.Lock()
	h.wa.conn = rc
	h.wa.mu.Unlock()
	return rc, rw, nil
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (h *hijackRecorder) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// refusableConn is a server-side WebSocket connection that can be closed
// with a close frame written directly, after which writes fail.
type refusableConn struct {
	net.Conn
	mu      sync.Mutex
	refused bool
}

func (c *refusableConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.refused {
		return 0, net.ErrClosed
	}
	return c.Conn.Write(b)
}

// refuse writes one close frame (RFC 6455 5.5.1: FIN and opcode 8, an
// unmasked payload of at most 125 bytes: the code and a reason of at most
// 123 bytes). Writes are serialised with the WebSocket library's, so the
// frame never lands inside another.
func (c *refusableConn) refuse(code int, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.refused {
		return
	}
	c.refused = true
	if len(reason) > 123 {
		reason = reason[:123]
	}
	payload := websocket.FormatCloseMessage(code, reason)
	frame := append([]byte{0x88, byte(len(payload))}, payload...)
	_ = c.Conn.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = c.Conn.Write(frame)
}
