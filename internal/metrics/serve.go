package metrics

import (
	"context"
	"net"
	"net/http"
	"time"
)

// Serve serves GET /metrics on addr until ctx is done and returns the address it listens on (the port
// is chosen when addr's is 0). It is for processes without an HTTP server of their own: the worker.
func Serve(ctx context.Context, addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // always http.ErrServerClosed, after ctx ends
	context.AfterFunc(ctx, func() { _ = srv.Close() })
	return ln.Addr().String(), nil
}
