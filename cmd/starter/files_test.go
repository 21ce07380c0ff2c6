package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every bad row of an import file is listed with its line number, emails masked; a malformed first
// field (which used to panic the command) is one of them.
func TestPrintBadRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "links.csv")
	var in strings.Builder
	in.WriteString("\ufeff\"email\",\"share_code\",\"share_link\"\n")
	in.WriteString("jane\"x@example.com,jane12,https://r.example.com/jane12\n") // line 2
	in.WriteString("\"alex@example.com,alex01,https://r.example.com/alex01\n")  // line 3
	for i := range 150 {                                                        // lines 4–153
		if i%2 == 0 {
			in.WriteString("ok@example.com,okok01,https://r.example.com/ok\n")
		} else {
			in.WriteString("sam@example.com,x,https://r.example.com/x\n")
		}
	}
	require.NoError(t, os.WriteFile(path, []byte(in.String()), 0o600))

	var out strings.Builder
	require.NoError(t, printBadRows(&out, path))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 2+75, "every bad row, not only the first hundred")
	assert.Contains(t, lines[0], "line 2 : malformed CSV")
	assert.Contains(t, lines[1], "line 3 : malformed CSV")
	assert.Contains(t, lines[2], "line 5 …@example.com: share_code")
	assert.Contains(t, lines[76], "line 153 …@example.com")
	assert.NotContains(t, out.String(), "sam@example.com")
}
