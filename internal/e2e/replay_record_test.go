package e2e

import (
	"context"
	"os"
	"path/filepath"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
)

// recordHistory saves a finished workflow's history to workflows/testdata/<name>.json for the replay
// tests, when UPDATE_REPLAY_HISTORIES=1. Record from a real run rather than writing histories by hand, so
// they contain exactly what the server writes.
func (s *stack) recordHistory(workflowID, name string) {
	s.T.Helper()
	if os.Getenv("UPDATE_REPLAY_HISTORIES") != "1" {
		return
	}
	iter := s.Client.GetWorkflowHistory(context.Background(), workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	hist := &historypb.History{}
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			s.T.Fatal(err)
		}
		hist.Events = append(hist.Events, ev)
	}
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(hist)
	if err != nil {
		s.T.Fatal(err)
	}
	path := filepath.Join("..", "..", "workflows", "testdata", name+".json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		s.T.Fatal(err)
	}
	s.T.Logf("recorded %s", path)
}
