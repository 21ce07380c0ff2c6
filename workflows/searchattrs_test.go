package workflows

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
)

// `make run` registers the search attributes on the dev server from the Makefile; the worker registers
// them from SearchAttributes elsewhere. The two lists must not drift apart.
func TestMakefileRegistersEverySearchAttribute(t *testing.T) {
	mk, err := os.ReadFile("../Makefile")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^SEARCH_ATTRIBUTES\s*:=\s*(.*)$`).FindSubmatch(mk)
	require.NotNil(t, m, "SEARCH_ATTRIBUTES line in Makefile")
	got := strings.Fields(string(m[1]))
	var want []string
	for _, k := range SearchAttributes {
		require.Equal(t, enums.INDEXED_VALUE_TYPE_KEYWORD, k.GetValueType())
		want = append(want, k.GetName()+"=Keyword")
	}
	assert.ElementsMatch(t, want, got)
}
