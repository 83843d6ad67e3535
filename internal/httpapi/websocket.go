package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

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

// initKeyFields are the connection_init payload keys an API key is read
// from, in this order: browsers cannot set headers on a WebSocket upgrade,
// so clients put the key there instead (graphql-ws's connectionParams).
var initKeyFields = []string{auth.HeaderName, strings.ToLower(auth.HeaderName), "apiKey"}

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
// that RequireAPIKey, which lets those through without a key, and the
// transport that then demands one agree on what a WebSocket request is.
type webSocketTransport struct{ transport.Websocket }

func (webSocketTransport) Supports(r *http.Request) bool { return IsWebSocketUpgrade(r) }

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

// initWebSocket authenticates a WebSocket connection: by the X-API-KEY
// header of the upgrade request when it had one (RequireAPIKey checked it),
// else by the key in the connection_init payload (X-API-KEY, x-api-key or
// apiKey). Without a valid key the connection is refused: gqlgen closes it
// without connection_ack. The connection is also closed when o.Shutdown is
// done, so clients reconnect (perhaps to another replica) instead of
// waiting on a server that is going away.
func (o Options) initWebSocket(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	if auth.FromContext(ctx) == nil {
		var key string
		for _, f := range initKeyFields {
			if key = payload.GetString(f); key != "" {
				break
			}
		}
		p, err := o.Auth.Authenticate(ctx, key)
		if err != nil {
			if ae, ok := apperr.As(err); ok {
				reqinfo.From(ctx).AddCodes(string(ae.Code))
				return ctx, nil, errors.New(ae.Message)
			}
			o.Log.ErrorContext(ctx, "authentication failed", "request_id", requestid.From(ctx), "error", err.Error())
			reqinfo.From(ctx).AddCodes(string(apperr.UnexpectedError))
			return ctx, nil, errors.New("authentication is unavailable (request id " + requestid.From(ctx) + ")")
		}
		ctx = auth.WithPrincipal(ctx, p)
		reqinfo.From(ctx).SetPrincipal(p.APIKeyID.String(), p.EnvironmentID.String())
	}
	ctx = graph.WithWebSocket(ctx)
	if o.Shutdown != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		stop := context.AfterFunc(o.Shutdown, cancel)
		context.AfterFunc(ctx, func() { stop() })
	}
	return ctx, nil, nil
}
