package notifications

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/argoproj/notifications-engine/pkg/triggers"
	"github.com/expr-lang/expr"
	"sigs.k8s.io/yaml"
)

// The engine logs a failing `when` and treats it as false, so "did not fire" could hide an error.
// Here every condition and oncePer is run directly with expr-lang, compiled exactly as the engine
// compiles them (expr.Compile without options), on every fixture Application: none may error.
func TestConditionsNeverErrorOnTheFixtureApplications(t *testing.T) {
	f := loadFixture(t)
	paths, _ := filepath.Glob(filepath.Join(catalog, "triggers", "*.yaml"))
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var conditions []triggers.Condition
		if err := yaml.UnmarshalStrict(data, &conditions); err != nil {
			t.Fatal(err)
		}
		for _, c := range conditions {
			when, err := expr.Compile(c.When)
			if err != nil {
				t.Fatalf("%s when: %v", path, err)
			}
			oncePer, err := expr.Compile(c.OncePer)
			if err != nil {
				t.Fatalf("%s oncePer: %v", path, err)
			}
			for _, sc := range f.Scenarios {
				for _, st := range sc.Steps {
					vars := map[string]any{"app": st.Application}
					out, err := expr.Run(when, vars)
					if _, isBool := out.(bool); err != nil || !isBool {
						t.Errorf("%s on %s/%s: when gave %v, %v", filepath.Base(path), sc.Name, st.What, out, err)
					}
					if out == true {
						if marker, err := expr.Run(oncePer, vars); err != nil || marker == "" || marker == nil {
							t.Errorf("%s on %s/%s: oncePer gave %q, %v", filepath.Base(path), sc.Name, st.What, marker, err)
						}
					}
				}
			}
		}
	}
}

// What docs/notifications.md says about the guards: without them, a missing annotations map is an
// error in expr-lang (the engine logs it and does not fire), and a missing key is nil, which
// `!= '0'` counts as a failure: the failure trigger would fire on an Application we never wrote.
func TestWhyTheGuardsMatter(t *testing.T) {
	unguarded, err := expr.Compile("app.metadata.annotations['mlops.dev/notebook-failed'] != '0'")
	if err != nil {
		t.Fatal(err)
	}
	noMap := map[string]any{"metadata": map[string]any{}}
	if _, err := expr.Run(unguarded, map[string]any{"app": noMap}); err == nil {
		t.Error("indexing a missing annotations map is not an error")
	}
	noKey := map[string]any{"metadata": map[string]any{"annotations": map[string]any{}}}
	if out, err := expr.Run(unguarded, map[string]any{"app": noKey}); err != nil || out != true {
		t.Errorf("a missing key: %v, %v", out, err)
	}
}
