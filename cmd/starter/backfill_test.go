package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestPollUntil(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	boom := errors.New("boom")
	tests := []struct {
		name      string
		ctx       context.Context
		found     int // the call that finds the run; 0 = never
		err       error
		wantID    string
		wantErr   error
		wantCalls int
	}{
		{"found at once", context.Background(), 1, nil, "run-1", nil, 1},
		{"found on the third poll", context.Background(), 3, nil, "run-1", nil, 3},
		{"never appears", context.Background(), 0, nil, "", nil, 5},
		{"lookup fails", context.Background(), 0, boom, "", boom, 1},
		{"Ctrl-C before the first poll", cancelled, 0, nil, "", context.Canceled, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			start := time.Now()
			id, err := pollUntil(tt.ctx, 5, time.Millisecond, func() (string, error) {
				calls++
				if tt.err != nil {
					return "", tt.err
				}
				if calls == tt.found {
					return "run-1", nil
				}
				return "", nil
			})
			assert.Equal(t, tt.wantID, id)
			assert.ErrorIs(t, err, tt.wantErr)
			assert.Equal(t, tt.wantCalls, calls)
			assert.Less(t, time.Since(start), time.Second)
		})
	}
}

// A cancelled context ends the wait at once, however long the interval (Ctrl-C used to wait 30 s).
func TestPollUntilReturnsPromptlyOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := pollUntil(ctx, 30, time.Hour, func() (string, error) { return "", nil })
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), 2*time.Second)
}
