package codec

import (
	"crypto/subtle"
	"net/http"
	"slices"
	"strings"

	"go.temporal.io/sdk/converter"
)

// maxBody bounds one request: the Web UI sends a page of payloads at a time, each at most Temporal's
// 2 MB blob limit in practice far smaller.
const maxBody = 8 << 20

// ServerOptions configure the codec server.
type ServerOptions struct {
	// AllowedOrigins are the Web UI origins (scheme://host[:port]) whose browsers may call the server.
	AllowedOrigins []string
	// AuthToken, when set, is required as "Authorization: Bearer <token>".
	AuthToken string
}

// Handler serves Temporal's remote codec protocol — POST /encode and POST /decode with a JSON
// Payloads body — for the Web UI and `temporal --codec-endpoint`.
func Handler(c *Codec, o ServerOptions) http.Handler {
	codec := converter.NewPayloadCodecHTTPHandler(c)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && slices.Contains(o.AllowedOrigins, origin) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Content-Type, X-Namespace, Authorization")
			h.Set("Access-Control-Max-Age", "600")
		}
		w.Header().Add("Vary", "Origin")
		if r.URL.Path != "/encode" && r.URL.Path != "/decode" {
			http.NotFound(w, r)
			return
		}
		switch r.Method {
		case http.MethodOptions:
			// A preflight carries no credentials; the CORS headers above are the whole answer.
			w.WriteHeader(http.StatusNoContent)
			return
		case http.MethodPost:
		default:
			w.Header().Set("Allow", "POST, OPTIONS")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if o.AuthToken != "" && !bearerMatches(r.Header.Get("Authorization"), o.AuthToken) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="codec"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		codec.ServeHTTP(w, r)
	})
}

func bearerMatches(header, token string) bool {
	got, ok := strings.CutPrefix(header, "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}
