package sandbox_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"go/parser"
	"go/token"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// sandboxCommand is the one package outside the sandbox allowed to link it: the starter binary, whose
// public `starter sandbox` subcommand serves the simulations for `make run`.
const sandboxCommand = "cmd/starter"

// sandboxCommandFile is the only file of sandboxCommand that may import the sandbox, so the serving
// subcommands of the same binary never reach it.
const sandboxCommandFile = "sandbox.go"

type listedPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Deps       []string
	Module     struct{ Path string }
}

// TestProductionDoesNotImportSandbox fails when a non-test package outside internal/sandbox (the
// worker, the webhook server, activities, clients…) depends on the simulated APIs.
func TestProductionDoesNotImportSandbox(t *testing.T) {
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Dir,GoFiles,Deps,Module", "./...")
	cmd.Dir = "../.." // the module root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "go list: %s", stderr.String())

	mod, pkgs := "", []listedPackage{}
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else {
			require.NoError(t, err)
		}
		if strings.HasSuffix(p.ImportPath, "/internal/sandbox") {
			mod = p.Module.Path
		}
		pkgs = append(pkgs, p)
	}
	require.NotEmpty(t, mod, "internal/sandbox not listed")
	root := mod + "/internal/sandbox"
	inSandbox := func(path string) bool { return path == root || strings.HasPrefix(path, root+"/") }

	checked := 0
	for _, p := range pkgs {
		if p.Module.Path != mod || inSandbox(p.ImportPath) {
			continue
		}
		checked++
		var reached []string
		for _, d := range p.Deps {
			if inSandbox(d) {
				reached = append(reached, d)
			}
		}
		if len(reached) == 0 {
			continue
		}
		if p.ImportPath != mod+"/"+sandboxCommand {
			t.Errorf("%s depends on %v: production code must not import the sandbox", p.ImportPath, reached)
			continue
		}
		for _, f := range p.GoFiles {
			if f == sandboxCommandFile {
				continue
			}
			file, err := parser.ParseFile(token.NewFileSet(), filepath.Join(p.Dir, f), nil, parser.ImportsOnly)
			require.NoError(t, err)
			for _, imp := range file.Imports {
				if path, _ := strconv.Unquote(imp.Path.Value); inSandbox(path) {
					t.Errorf("%s/%s imports %s: only %s may", sandboxCommand, f, path, sandboxCommandFile)
				}
			}
		}
	}
	require.Greater(t, checked, 10, "too few packages checked; is the module root right?")
}
