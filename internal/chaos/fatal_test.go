package chaos

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/activities"
	"github.com/hubspot-extole/bridge/internal/extole"
	"github.com/hubspot-extole/bridge/internal/hubspot"
	"github.com/hubspot-extole/bridge/internal/temporalx"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
)

// fatalWithin bounds how long a worker may keep running after its namespace is gone: the SDK retries a
// "non-retriable" poll error for two minutes before it declares the worker dead (proxies sometimes answer
// wrongly), plus its poll backoff and one (shortened) long poll.
const fatalWithin = 3 * time.Minute

func deleteNamespace(t *testing.T, s *system, ns string) {
	t.Helper()
	c, err := s.client("default")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.OperatorService().DeleteNamespace(ctx, &operatorservice.DeleteNamespaceRequest{Namespace: ns}); err != nil {
		t.Errorf("delete namespace %s: %v", ns, err)
	}
}

// runWorkers runs temporalx.Run in this process on namespace ns and returns the channel of its result.
func runWorkers(ctx context.Context, t *testing.T, s *system, ns string) <-chan error {
	t.Helper()
	c, err := s.client(ns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	acts := temporalx.Activities{
		Extole:  &activities.Extole{Client: extole.New(s.extoleURL, secrets["EXTOLE_ACCESS_TOKEN"], nil)},
		HubSpot: &activities.HubSpot{Client: hubspot.New(s.hubspotURL, secrets["HUBSPOT_ACCESS_TOKEN"], nil)},
	}
	lim := temporalx.Limits{ExtolePerMinute: 6000, HubSpotPer10s: 1000, HubSpotSearchPerSec: 100}
	done := make(chan error, 1)
	go func() { done <- temporalx.Run(ctx, temporalx.NewWorkers(c, acts, lim)) }()
	return done
}

// A Temporal worker that dies (here: its namespace is deleted) must end temporalx.Run with the error and
// the worker process with a non-zero exit, so a supervisor restarts it; a stop by the context stays a
// clean nil. The two fatal cases run at once: each waits out the SDK's two-minute grace.
// Not parallel with TestChaos: a dev-server restart during the SDK's grace can keep the worker alive.
func TestWorkerStopsOnFatalError(t *testing.T) {
	s := shared(t)

	ctx, cancel := context.WithCancel(context.Background())
	done := runWorkers(ctx, t, s, nsRunCancel)
	time.Sleep(2 * time.Second) // the workers are polling
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after its context was cancelled = %v, want nil", err)
	}

	runDone := runWorkers(context.Background(), t, s, nsFatalRun)
	p := s.newProc("worker-fatal", []string{filepath.Join(binDir, "worker")}, append(append([]string{}, s.env...), "TEMPORAL_NAMESPACE="+nsFatalProc))
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
	if err := s.waitWorker(p); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // the workers are polling
	deleteNamespace(t, s, nsFatalRun)
	deleteNamespace(t, s, nsFatalProc)
	start := time.Now()

	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case err := <-runDone:
			var nf *serviceerror.NamespaceNotFound
			if !errors.As(err, &nf) {
				t.Errorf("Run = %v, want the NamespaceNotFound that stopped its worker", err)
			}
			t.Logf("temporalx.Run returned %s after the namespace was deleted: %v", time.Since(start).Round(time.Second), err)
		case <-time.After(fatalWithin):
			t.Errorf("temporalx.Run still running %s after its namespace was deleted: a dead worker keeps the process up", fatalWithin)
		}
	})
	wg.Go(func() {
		err := p.wait(p.done, fatalWithin)
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() == 0 {
			t.Errorf("worker process after its namespace was deleted: %v, want a non-zero exit within %s\n%s", err, fatalWithin, tail(p.out.String()))
			return
		}
		t.Logf("worker process exited with code %d %s after the namespace was deleted", exit.ExitCode(), time.Since(start).Round(time.Second))
	})
	wg.Wait()
}
