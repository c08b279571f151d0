package health

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// The check the collection ships, with the cases Argo CD's own test would run for it.
var checkDir = filepath.Join("..", "..", "..", "roles", "argocd_health_check", "files",
	"resource_customizations", "mlops.mlops.dev", "NotebookValidationJob")

func readScript(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(checkDir, "health.lua"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// object reads a YAML file as the controller receives the object: YAML -> JSON -> unstructured.
func object(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fromYAML(t, string(data))
}

func fromYAML(t *testing.T, text string) map[string]any {
	t.Helper()
	data, err := yaml.YAMLToJSON([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	obj, err := DecodeObject(data)
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

type healthCase struct {
	InputPath    string `json:"inputPath"`
	HealthStatus Status `json:"healthStatus"`
}

func healthCases(t *testing.T) []healthCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(checkDir, "health_test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Tests []healthCase `json:"tests"`
	}
	if err := yaml.UnmarshalStrict(data, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Tests) == 0 {
		t.Fatal("health_test.yaml lists no case")
	}
	return file.Tests
}

// Every case of health_test.yaml, status and message compared exactly: as an argocd-cm override
// (open libraries off, what users of the collection get) and as a built-in check (open libraries on,
// how Argo CD's own TestLuaHealthScript runs).
func TestHealthTestYAML(t *testing.T) {
	script := readScript(t)
	for _, openLibs := range []bool{false, true} {
		mode := map[bool]string{false: "override", true: "openlibs"}[openLibs]
		for _, tc := range healthCases(t) {
			name := mode + "/" + strings.TrimSuffix(filepath.Base(tc.InputPath), ".yaml")
			t.Run(name, func(t *testing.T) {
				got, err := Evaluate(object(t, filepath.Join(checkDir, tc.InputPath)), script, openLibs)
				if err != nil {
					t.Fatalf("Argo CD would show an error: %v", err)
				}
				if *got != tc.HealthStatus {
					t.Fatalf("got %+v, health_test.yaml says %+v", *got, tc.HealthStatus)
				}
			})
		}
	}
}

func TestEveryTestdataFileHasACase(t *testing.T) {
	var listed, onDisk []string
	for _, tc := range healthCases(t) {
		listed = append(listed, filepath.ToSlash(tc.InputPath))
	}
	entries, err := os.ReadDir(filepath.Join(checkDir, "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range entries {
		onDisk = append(onDisk, "testdata/"+entry.Name())
	}
	sort.Strings(listed)
	sort.Strings(onDisk)
	if strings.Join(listed, "\n") != strings.Join(onDisk, "\n") {
		t.Fatalf("health_test.yaml lists %v, testdata holds %v", listed, onDisk)
	}
}

func TestPendingDeletionBeforeAnyScript(t *testing.T) {
	obj := fromYAML(t, "metadata: {name: a, deletionTimestamp: '2026-01-01T00:00:00Z'}\nstatus: {phase: Succeeded}\n")
	got, err := Evaluate(obj, readScript(t), false)
	if err != nil || *got != (Status{Status: "Progressing", Message: "Pending deletion"}) {
		t.Fatalf("got %+v, %v", got, err)
	}
	got, err = Evaluate(obj, "error('never run')", false)
	if err != nil || got.Message != "Pending deletion" {
		t.Fatalf("the script ran: %+v, %v", got, err)
	}
	hook := fromYAML(t, "metadata: {name: a, deletionTimestamp: '2026-01-01T00:00:00Z', "+
		"finalizers: [argocd.argoproj.io/hook-finalizer]}\nstatus: {phase: Succeeded}\n")
	if got, err := Evaluate(hook, readScript(t), false); err != nil || got.Status != "Healthy" {
		t.Fatalf("a hook with Argo CD's finalizer gets the script's health: %+v, %v", got, err)
	}
}

func eval(t *testing.T, script string, obj map[string]any, openLibs bool) (Status, error) {
	t.Helper()
	if obj == nil {
		obj = map[string]any{}
	}
	got, err := Evaluate(obj, script, openLibs)
	if err != nil {
		return Status{}, err
	}
	return *got, nil
}

// value runs a script in the override sandbox and returns the message it built.
func value(t *testing.T, expression string, obj map[string]any) string {
	t.Helper()
	got, err := eval(t, "return {status = 'Healthy', message = "+expression+"}", obj, false)
	if err != nil {
		t.Fatalf("%s: %v", expression, err)
	}
	return got.Message
}

func TestOverrideSandboxHasOnlyWhatArgoCDOpens(t *testing.T) {
	for _, name := range []string{"string", "math", "io", "debug", "coroutine", "os", "channel"} {
		if got := value(t, "tostring("+name+")", nil); got != "nil" {
			t.Errorf("global %s is %s in the override sandbox", name, got)
		}
	}
	for _, expression := range []string{"type(require('os').time)", "type(require('os').date)", "type(table.concat)",
		"type(pcall)", "type(tonumber)", "type(ipairs)", "type(require)"} {
		if got := value(t, expression, nil); got != "function" {
			t.Errorf("%s = %s", expression, got)
		}
	}
	// Argo CD's OpenSafeOs registers time/date under the table library's name, which gopher-lua
	// v1.1.2 ignores for a module already loaded: neither os nor table.time exists.
	if got := value(t, "tostring(table.time) .. tostring(table.date)", nil); got != "nilnil" {
		t.Errorf("table.time/date: %s", got)
	}
	if got := value(t, "tostring(require('os').exit)", nil); got != "nil" {
		t.Errorf("os.exit reachable: %s", got)
	}
	for _, module := range []string{"string", "math", "io"} {
		if _, err := eval(t, "return {status = 'Healthy', message = type(require('"+module+"'))}", nil, false); err == nil {
			t.Errorf("require(%q) works in the override sandbox", module)
		}
	}
	if _, err := eval(t, "return {status = 'Healthy', message = ('x'):upper()}", nil, false); err == nil {
		t.Error("string methods work in the override sandbox")
	}
}

func TestOpenLibsHaveTheStandardLibraries(t *testing.T) {
	script := "return {status = 'Healthy', message = string.format('%s %d', type(os.exit), math.floor(2.5))}"
	got, err := eval(t, script, nil, true)
	if err != nil || got.Message != "function 2" {
		t.Fatalf("%+v %v", got, err)
	}
	// negative control: the same script fails as an override
	if _, err := eval(t, script, nil, false); err == nil || !strings.Contains(err.Error(), "string") {
		t.Fatalf("expected an error about string, got %v", err)
	}
}

func TestNullBecomesAMissingKeyAndNullListItemsAreSkipped(t *testing.T) {
	obj := fromYAML(t, "status: {phase: null, message: x, list: [a, null, c], count: 3, ratio: 2.5}\n")
	if got := value(t, "tostring(obj.status.phase) .. ' ' .. #obj.status.list .. ' ' .. obj.status.list[2]", obj); got != "nil 2 c" {
		t.Fatalf("got %q", got)
	}
	if got := value(t, "obj.status.count .. ' ' .. obj.status.ratio .. ' ' .. type(obj.status.count)", obj); got != "3 2.5 number" {
		t.Fatalf("got %q", got)
	}
}

func TestResultChecks(t *testing.T) {
	cases := []struct {
		script string
		want   Status
		err    string
	}{
		{"return {status = 'Fine', message = 'x'}", Status{"Unknown", invalidStatus}, ""},
		{"return {message = 'no status'}", Status{"Unknown", invalidStatus}, ""},
		{"return {}", Status{}, ""},
		{"return nil", Status{}, ""},
		{"return {status = 42}", Status{}, ""},
		{"return 'Healthy'", Status{}, "expect table output from Lua script, not string"},
		{"return {status = 'Healthy', message = 'a' .. nil}", Status{}, "cannot perform concat operation between string and nil"},
		{"return {status = 'Healthy' ", Status{}, "syntax error"},
	}
	for _, tc := range cases {
		got, err := eval(t, tc.script, nil, false)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: want error containing %q, got %+v, %v", tc.script, tc.err, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: got %+v, %v, want %+v", tc.script, got, err, tc.want)
		}
	}
}

func TestOneSecondLimit(t *testing.T) {
	started := time.Now()
	_, err := eval(t, "while true do end", nil, false)
	elapsed := time.Since(started)
	if err == nil || !strings.Contains(err.Error(), "context deadline exceeded") {
		t.Fatalf("an endless loop must stop with the context's deadline, got %v", err)
	}
	if elapsed < 900*time.Millisecond || elapsed > 5*time.Second {
		t.Fatalf("stopped after %v", elapsed)
	}
}

func TestCompile(t *testing.T) {
	if err := Compile(readScript(t)); err != nil {
		t.Fatal(err)
	}
	if err := Compile("if x then"); err == nil {
		t.Fatal("a syntax error compiled")
	}
}
