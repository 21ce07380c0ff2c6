package activities

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/internal/extole"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
)

func TestTranslateExtoleError(t *testing.T) {
	tests := []struct {
		kind          extole.Kind
		retryAfter    time.Duration
		wantType      string
		wantRetryable bool
		wantDelay     time.Duration
	}{
		{extole.KindInvalid, 0, "ExtoleRejected", false, 0},
		{extole.KindNotFound, 0, "ExtoleNotFound", false, 0},
		{extole.KindRateLimited, 7 * time.Second, "ExtoleRateLimited", true, 7 * time.Second},
		{extole.KindRateLimited, 0, "ExtoleRateLimited", true, 0},
		{extole.KindAuth, 0, "ExtoleAuthFailed", true, 0},
		{extole.KindTransient, 2 * time.Second, "ExtoleUnavailable", true, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.wantType, func(t *testing.T) {
			src := &extole.Error{Kind: tt.kind, Status: 400, Code: "c", Message: "Extole says no", RetryAfter: tt.retryAfter}
			var appErr *temporal.ApplicationError
			require.True(t, errors.As(TranslateExtoleError(src), &appErr))
			assert.Equal(t, tt.wantType, appErr.Type())
			assert.Equal(t, !tt.wantRetryable, appErr.NonRetryable())
			assert.Equal(t, tt.wantDelay, appErr.NextRetryDelay())
			assert.Contains(t, appErr.Error(), "Extole says no", "Extole's message is visible in the UI")
		})
	}
	assert.Equal(t, context.Canceled, TranslateExtoleError(context.Canceled), "non-API errors pass through")
}
