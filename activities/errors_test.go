package activities

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hubspot-extole/bridge/internal/extole"
	"github.com/hubspot-extole/bridge/internal/hubspot"
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
		{extole.KindInvalid, 0, ErrTypeExtoleRejected, false, 0},
		{extole.KindNotFound, 0, ErrTypeExtoleNotFound, false, 0},
		{extole.KindRateLimited, 7 * time.Second, ErrTypeExtoleRateLimited, true, 7 * time.Second},
		{extole.KindRateLimited, 0, ErrTypeExtoleRateLimited, true, 0},
		{extole.KindAuth, 0, ErrTypeExtoleAuth, true, 0},
		{extole.KindTransient, 2 * time.Second, ErrTypeExtoleUnavailable, true, 2 * time.Second},
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

// HubSpot's validation errors are told apart by category and code, never by message wording: only those
// naming refused properties carry them as details, for the workflow to act on.
func TestTranslateHubSpotValidationError(t *testing.T) {
	tests := []struct {
		name     string
		err      *hubspot.Error
		wantType string
		want     []RejectedProperty
	}{
		{
			name: "missing and invalid properties",
			err: &hubspot.Error{Kind: hubspot.KindInvalid, Status: 400, Category: "VALIDATION_ERROR", Errors: []hubspot.ErrorDetail{
				{Message: `Property "share_link" does not exist`, Code: "PROPERTY_DOESNT_EXIST", In: "share_link"},
				{Message: "x was not one of the allowed options: [a]", Code: "INVALID_OPTION", In: "tier"},
			}},
			wantType: ErrTypePropertiesRejected,
			want: []RejectedProperty{
				{Property: "share_link", Code: CodePropertyMissing, Reason: `Property "share_link" does not exist`},
				{Property: "tier", Code: "INVALID_OPTION", Reason: "x was not one of the allowed options: [a]"},
			},
		},
		{
			name:     "'does not exist' wording without the code",
			err:      &hubspot.Error{Kind: hubspot.KindInvalid, Status: 400, Category: "VALIDATION_ERROR", Message: `Property "x" does not exist`, Errors: []hubspot.ErrorDetail{{Message: `Property "x" does not exist`}}},
			wantType: ErrTypeHubSpotRejected,
		},
		{
			name:     "code outside a validation error",
			err:      &hubspot.Error{Kind: hubspot.KindInvalid, Status: 400, Category: "BAD_REQUEST", Errors: []hubspot.ErrorDetail{{Code: "PROPERTY_DOESNT_EXIST", In: "x"}}},
			wantType: ErrTypeHubSpotRejected,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var appErr *temporal.ApplicationError
			require.True(t, errors.As(TranslateHubSpotError(tt.err), &appErr))
			assert.Equal(t, tt.wantType, appErr.Type())
			assert.True(t, appErr.NonRetryable())
			var got []RejectedProperty
			if appErr.HasDetails() {
				require.NoError(t, appErr.Details(&got))
			}
			assert.Equal(t, tt.want, got)
		})
	}
}
