package health

import (
	"errors"
	"os"
	"path/filepath"
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

// The corpus the module's pure-Python pre-write check (plugins/module_utils/lua_syntax.py) is held to:
// gopher-lua must agree with every verdict and line in it.
func TestSyntaxCorpusAgainstGopherLua(t *testing.T) {
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
	if len(corpus.Cases) < 20 {
		t.Fatalf("only %d cases", len(corpus.Cases))
	}
	for _, tc := range corpus.Cases {
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
