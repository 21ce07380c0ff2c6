package webhook

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// unhealthyTemporal fails health checks and starts with errors that name an internal address, as a real
// gRPC error does.
type unhealthyTemporal struct {
	fakeTemporal
}

const internalAddr = "temporal-frontend.prod.internal:7233"

func (u *unhealthyTemporal) CheckHealth(context.Context, *client.CheckHealthRequest) (*client.CheckHealthResponse, error) {
	return nil, errors.New("connection error: desc = \"transport: Error while dialing: dial tcp " + internalAddr + ": connect: connection refused\"")
}

// Unauthenticated callers get a generic answer; the detail goes to the log for the operator.
func TestInternalErrorsAreLoggedNotAnswered(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		path       string
		startErr   error
		wantStatus int
	}{
		{"readyz with Temporal down", http.MethodGet, "/readyz", nil, 503},
		{"event start refused by the server", http.MethodPost, "/webhooks/hubspot/events",
			serviceerror.NewInvalidArgument("search attribute not registered on " + internalAddr), 500},
		{"event start unavailable", http.MethodPost, "/webhooks/hubspot/events",
			serviceerror.NewUnavailable("dial tcp " + internalAddr + ": connection refused"), 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core, logs := observer.New(zap.DebugLevel)
			ft := &unhealthyTemporal{fakeTemporal{err: tt.startErr}}
			h := NewRouter(Deps{Temporal: ft, Log: zap.New(core)})
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(validBody))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			require.Equal(t, tt.wantStatus, rec.Code, rec.Body.String())
			assert.NotContains(t, rec.Body.String(), "internal", "no internal address in the answer")
			assert.NotContains(t, rec.Body.String(), "7233")
			assert.Contains(t, rec.Body.String(), `"error"`)
			logged := false
			for _, e := range logs.All() {
				if err, ok := e.ContextMap()["error"].(string); ok && strings.Contains(err, internalAddr) {
					logged = true
				}
			}
			assert.True(t, logged, "the operator finds the detail in the log")
		})
	}
}

// The access log must record who connected, not what any client claims in X-Forwarded-For (gin trusts
// every proxy unless told otherwise).
func TestAccessLogClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name    string
		trusted []netip.Prefix
		peer    string
		want    string
	}{
		{"no proxies configured", nil, "10.1.2.3:4711", "10.1.2.3"},
		{"peer is not a trusted proxy", trusted, "203.0.113.9:4711", "203.0.113.9"},
		{"trusted proxy", trusted, "10.1.2.3:4711", "198.51.100.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			core, logs := observer.New(zap.InfoLevel)
			h := NewRouter(Deps{Temporal: &fakeTemporal{}, Log: zap.New(core), TrustedProxies: tt.trusted})
			req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
			req.RemoteAddr = tt.peer
			req.Header.Set("X-Forwarded-For", "198.51.100.7")
			req.Header.Set("X-Real-IP", "198.51.100.7")
			h.ServeHTTP(httptest.NewRecorder(), req)
			lines := logs.FilterMessage("http request").All()
			require.Len(t, lines, 1)
			assert.Equal(t, tt.want, lines[0].ContextMap()["remote"])
		})
	}
}

// Slow senders: each connection announces a 1 MiB body, sends a few bytes and stalls. The real
// http.Server on loopback must keep answering a normal request, close the stalled connections within its
// read timeout, and — when they fill the in-flight cap — refuse new bodies at once with 503 + Retry-After
// instead of queueing them.
func TestSlowBodiesDoNotHoldTheServer(t *testing.T) {
	const stalled = 200
	const readTimeout = 2 * time.Second
	tests := []struct {
		name        string
		maxInFlight int
		wantNormal  int // status of a normal webhook while the stalled connections hang
	}{
		{"room for all of them", 1000, http.StatusAccepted},
		{"in-flight cap full", 10, http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := NewHTTPServer("127.0.0.1:0", NewRouter(Deps{Temporal: &fakeTemporal{}, Log: zap.NewNop(), MaxInFlight: tt.maxInFlight}))
			srv.ReadTimeout = readTimeout
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			go srv.Serve(ln) //nolint:errcheck // ends with Close
			t.Cleanup(func() { srv.Close() })
			base := "http://" + ln.Addr().String()

			start := time.Now()
			var wg sync.WaitGroup
			closedAfter := make([]time.Duration, stalled)
			for i := range stalled {
				conn, err := net.Dial("tcp", ln.Addr().String())
				require.NoError(t, err)
				t.Cleanup(func() { conn.Close() })
				_, err = fmt.Fprintf(conn, "POST /webhooks/hubspot/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"ev", MaxBodyBytes)
				require.NoError(t, err)
				wg.Add(1)
				go func() {
					defer wg.Done()
					// Read until the server closes the connection; a deadline error means it never did.
					assert.NoError(t, conn.SetReadDeadline(time.Now().Add(readTimeout+5*time.Second)))
					_, err := io.Copy(io.Discard, bufio.NewReader(conn))
					var ne net.Error
					if errors.As(err, &ne) && ne.Timeout() {
						closedAfter[i] = -1
						return
					}
					closedAfter[i] = time.Since(start)
				}()
			}

			normal := func() (int, string, time.Duration) {
				c := http.Client{Timeout: 5 * time.Second}
				t0 := time.Now()
				res, err := c.Post(base+"/webhooks/hubspot/events", "application/json", strings.NewReader(validBody))
				require.NoError(t, err)
				defer res.Body.Close()
				return res.StatusCode, res.Header.Get("Retry-After"), time.Since(t0)
			}
			// The stalled handlers take a moment to start; ask until the expected answer comes, each promptly.
			var status int
			for deadline := time.Now().Add(readTimeout / 2); ; {
				var retryAfter string
				var took time.Duration
				status, retryAfter, took = normal()
				assert.Less(t, took, time.Second, "answered promptly while %d connections hang", stalled)
				if status == http.StatusServiceUnavailable {
					assert.Equal(t, retryAfterSeconds, retryAfter)
				}
				if status == tt.wantNormal || time.Now().After(deadline) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			assert.Equal(t, tt.wantNormal, status)
			res, err := http.Get(base + "/healthz")
			require.NoError(t, err)
			res.Body.Close()
			assert.Equal(t, http.StatusOK, res.StatusCode, "probes are never capped")

			wg.Wait()
			for i, d := range closedAfter {
				require.GreaterOrEqual(t, d, time.Duration(0), "connection %d was never closed by the server", i)
				require.Less(t, d, readTimeout+time.Second, "connection %d closed within the read timeout", i)
			}
			status, _, _ = normal()
			assert.Equal(t, http.StatusAccepted, status, "slots are free again once the stalled connections are gone")
		})
	}
}

// The production server must time out slow connections, and every answer it can still send must reach
// HubSpot, which stops waiting after 30 s.
func TestServerTimeouts(t *testing.T) {
	srv := NewHTTPServer(":8080", http.NotFoundHandler())
	slowestHandler := updateTimeout + startTimeout // share link: exact answer, then the durable fallback
	tests := []struct {
		name string
		ok   bool
	}{
		{"headers time out", srv.ReadHeaderTimeout > 0},
		{"bodies time out", srv.ReadTimeout > 0 && srv.ReadTimeout >= srv.ReadHeaderTimeout},
		{"idle connections time out", srv.IdleTimeout > 0},
		{"the slowest answer is written before the write timeout", srv.WriteTimeout >= srv.ReadTimeout+slowestHandler},
		{"no answer later than HubSpot waits", srv.WriteTimeout > 0 && srv.WriteTimeout <= 30*time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.True(t, tt.ok, "ReadHeader %v, Read %v, Write %v, Idle %v", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
		})
	}
}
