package health

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
	"sigs.k8s.io/yaml"
)

type syntaxCase struct {
	Name   string `json:"name"`
	Script string `json:"script"`
	Line   *int   `json:"line"`
	// CheckerLine: where the Python check deliberately names another line than gopher-lua (e.g.
	// the line an unfinished string starts on, not the next one); only the Python side reads it.
	CheckerLine *int `json:"checker_line"`
	// ClosedLine: the script compiles, and running it the way Argo CD runs a health check fails on this line
	// (a library Argo CD does not open); Runs: it runs without an error.
	ClosedLine *int `json:"closed_line"`
	Runs       bool `json:"runs"`
}

// errorLine is the line gopher-lua names for a script it cannot compile (0: the end of the script).
func errorLine(t *testing.T, err error) int {
	t.Helper()
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) && apiErr.Cause != nil {
		err = apiErr.Cause
	}
	var parseErr *parse.Error
	if errors.As(err, &parseErr) {
		if parseErr.Pos.Line == parse.EOF {
			return 0
		}
		return parseErr.Pos.Line
	}
	var compileErr *lua.CompileError
	if errors.As(err, &compileErr) {
		return compileErr.Line
	}
	t.Fatalf("an error of another kind: %T %v", err, err)
	return -1
}

func loadCorpus(t *testing.T) []syntaxCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "lua_syntax_cases.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var corpus struct {
		Cases []syntaxCase `json:"cases"`
	}
	if err := yaml.UnmarshalStrict(data, &corpus); err != nil {
		t.Fatal(err)
	}
	return corpus.Cases
}

// The scripts the module refuses for a library Argo CD leaves out really fail in Argo CD's Lua state, on the
// line the corpus names; the ones it lets through (a local os from require, a local or field named string) run.
func TestClosedLibrariesFailInArgoCDsState(t *testing.T) {
	seen := 0
	for _, tc := range loadCorpus(t) {
		if tc.ClosedLine == nil && !tc.Runs {
			continue
		}
		seen++
		t.Run(tc.Name, func(t *testing.T) {
			l, _, err := Run(map[string]any{}, tc.Script, false)
			defer l.Close()
			if tc.Runs {
				if err != nil {
					t.Fatalf("Argo CD fails running it: %v", err)
				}
				return
			}
			want := fmt.Sprintf("<string>:%d: attempt to index a non-table object(nil)", *tc.ClosedLine)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("want an error containing %q, got %v", want, err)
			}
		})
	}
	if seen < 8 {
		t.Fatalf("only %d library cases", seen)
	}
}

// The corpus the module's pure-Python pre-write check (plugins/module_utils/lua_syntax.py) is held to:
// gopher-lua must agree with every verdict and line in it.
func TestSyntaxCorpusAgainstGopherLua(t *testing.T) {
	cases := loadCorpus(t)
	if len(cases) < 20 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			err := Compile(tc.Script)
			switch {
			case tc.Line == nil && err != nil:
				t.Fatalf("gopher-lua refuses it: %v", err)
			case tc.Line != nil && err == nil:
				t.Fatalf("gopher-lua compiles it; the corpus expects an error on line %d", *tc.Line)
			case tc.Line != nil && errorLine(t, err) != *tc.Line:
				t.Fatalf("gopher-lua names line %d, the corpus %d: %v", errorLine(t, err), *tc.Line, err)
			}
		})
	}
}
