// Package notifications runs the collection's notification triggers and templates in Argo CD's
// notifications engine (github.com/argoproj/notifications-engine, the version Argo CD pins),
// configured as Argo CD configures it: argocd-notifications-cm parsed by the engine, the template
// variables app, context (with notificationType), secrets and appProject, and the engine's own
// notified-state bookkeeping, which is what makes oncePer de-duplicate.
//
// The Applications come from testdata/applications.json, written by the collection's status
// aggregation (tests/unit/test_notification_contract.py generates it and keeps it in sync).
package notifications

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/argoproj/notifications-engine/pkg/api"
	"github.com/argoproj/notifications-engine/pkg/controller"
	"github.com/argoproj/notifications-engine/pkg/services"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var catalog = filepath.Join("..", "..", "..", "roles", "argocd_notifications", "files")

// The services the templates fill in; each gets a capturing NotificationService.
var serviceTypes = []string{"email", "slack", "teams", "webhook"}

type fixture struct {
	ArgocdURL string     `json:"argocdUrl"`
	Scenarios []scenario `json:"scenarios"`
}

type scenario struct {
	Name  string `json:"name"`
	Steps []step `json:"steps"`
}

type step struct {
	What        string         `json:"what"`
	Application map[string]any `json:"application"`
	Fires       []string       `json:"fires"`
	Sends       []string       `json:"sends"`
}

func loadFixture(t *testing.T) fixture {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "applications.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Scenarios) == 0 {
		t.Fatal("no scenario in applications.json")
	}
	return f
}

// configMap is argocd-notifications-cm as the argocd_notifications role writes it.
func configMap(t *testing.T, argocdURL string) *corev1.ConfigMap {
	t.Helper()
	data := map[string]string{"context": "argocdUrl: " + argocdURL + "\n"}
	for _, kind := range []string{"trigger", "template"} {
		paths, err := filepath.Glob(filepath.Join(catalog, kind+"s", "*.yaml"))
		if err != nil || len(paths) == 0 {
			t.Fatalf("no %s files: %v", kind, err)
		}
		for _, path := range paths {
			text, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			data[kind+"."+strings.TrimSuffix(filepath.Base(path), ".yaml")] = string(text)
		}
	}
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "argocd-notifications-cm"}, Data: data}
}

type capture struct{ sent []services.Notification }

func (c *capture) Send(n services.Notification, _ services.Destination) error {
	c.sent = append(c.sent, n)
	return nil
}

type engine struct {
	api      api.API
	triggers []string
	captured map[string]*capture
}

func newEngine(t *testing.T, argocdURL string) *engine {
	t.Helper()
	cm := configMap(t, argocdURL)
	cfg, err := api.ParseConfig(cm, &corev1.Secret{})
	if err != nil {
		t.Fatalf("the engine rejects the catalog: %v", err)
	}
	var context map[string]string
	context = map[string]string{"argocdUrl": argocdURL}
	getVars := func(obj map[string]any, dest services.Destination) map[string]any {
		ctx := maps.Clone(context)
		ctx["notificationType"] = dest.Service // Argo CD's legacy context variable
		return map[string]any{"app": obj, "context": ctx, "secrets": map[string][]byte{}, "appProject": map[string]any{}}
	}
	a, err := api.NewAPI(*cfg, getVars)
	if err != nil {
		t.Fatalf("the engine cannot compile the catalog: %v", err)
	}
	e := &engine{api: a, captured: map[string]*capture{}}
	for _, service := range serviceTypes {
		e.captured[service] = &capture{}
		a.AddNotificationService(service, e.captured[service])
	}
	e.triggers = slices.Sorted(maps.Keys(cfg.Triggers))
	return e
}

// process is one pass of the notifications controller over app: every trigger run, the notified
// state kept on the Application (as the controller keeps it in an annotation), a notification sent
// to each destination whose state changed. Returns the triggers whose condition held and those
// that sent.
func (e *engine) process(t *testing.T, app map[string]any, state controller.NotificationsState) (fired, sent []string) {
	t.Helper()
	for _, trigger := range e.triggers {
		results, err := e.api.RunTrigger(trigger, app)
		if err != nil {
			t.Fatalf("%s: %v", trigger, err)
		}
		for _, cr := range results {
			if cr.Triggered {
				fired = append(fired, trigger)
			}
			for _, service := range serviceTypes {
				dest := services.Destination{Service: service, Recipient: "team"}
				if !cr.Triggered {
					state.SetAlreadyNotified(false, "", trigger, cr, dest, false)
					continue
				}
				if !state.SetAlreadyNotified(false, "", trigger, cr, dest, true) {
					continue
				}
				if err := e.api.Send(app, cr.Templates, dest); err != nil {
					t.Fatalf("%s to %s: %v", trigger, service, err)
				}
				if service == serviceTypes[0] {
					sent = append(sent, trigger)
				}
			}
		}
	}
	return fired, sent
}

func TestCatalogCompilesInTheEngine(t *testing.T) {
	e := newEngine(t, "https://argocd.example.com")
	want := []string{"on-notebook-validation-failed", "on-notebook-validation-succeeded"}
	if !slices.Equal(e.triggers, want) {
		t.Fatalf("triggers %v, want %v", e.triggers, want)
	}
}

// Each scenario replays the Applications the status step left, in order, through one notified
// state: a trigger must fire exactly in the steps listed and send exactly once per new oncePer value.
func TestTriggersOnTheApplicationsTheCollectionWrites(t *testing.T) {
	f := loadFixture(t)
	for _, sc := range f.Scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			e := newEngine(t, f.ArgocdURL)
			state := controller.NewState("")
			for i, st := range sc.Steps {
				for _, c := range e.captured {
					c.sent = nil
				}
				fired, sent := e.process(t, st.Application, state)
				label := fmt.Sprintf("step %d (%s)", i+1, st.What)
				if !slices.Equal(fired, nonNil(st.Fires)) && !(len(fired) == 0 && len(st.Fires) == 0) {
					t.Errorf("%s: fired %v, want %v", label, fired, st.Fires)
				}
				if !slices.Equal(sent, nonNil(st.Sends)) && !(len(sent) == 0 && len(st.Sends) == 0) {
					t.Errorf("%s: sent %v, want %v", label, sent, st.Sends)
				}
				for service, c := range e.captured {
					if len(c.sent) != len(sent) {
						t.Errorf("%s: %s got %d notifications, want %d", label, service, len(c.sent), len(sent))
					}
					for _, n := range c.sent {
						checkRendered(t, label+" "+service, service, n, st.Application, f.ArgocdURL)
					}
				}
			}
		})
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// checkRendered: every field rendered, no "<no value>", the JSON bodies parse, and the values the
// templates read from the annotations arrive verbatim.
func checkRendered(t *testing.T, label, service string, n services.Notification, app map[string]any, argocdURL string) {
	t.Helper()
	annotations, _ := app["metadata"].(map[string]any)["annotations"].(map[string]any)
	name := app["metadata"].(map[string]any)["name"].(string)
	texts := map[string]string{"message": n.Message}
	if n.Email == nil || n.Slack == nil || n.Teams == nil || n.Webhook == nil {
		t.Fatalf("%s: a service section is missing: %+v", label, n)
	}
	texts["email.subject"] = n.Email.Subject
	jsons := map[string]string{
		"slack.attachments": n.Slack.Attachments, "slack.blocks": n.Slack.Blocks,
		"teams.facts": n.Teams.Facts, "teams.potentialAction": n.Teams.PotentialAction,
		"webhook.mlops-notebooks.body": n.Webhook["mlops-notebooks"].Body,
	}
	texts["slack.groupingKey"] = n.Slack.GroupingKey
	texts["teams.title"] = n.Teams.Title
	for field, text := range jsons {
		var parsed any
		if err := json.Unmarshal([]byte(text), &parsed); err != nil {
			t.Errorf("%s: %s is not JSON: %v\n%s", label, field, err, text)
		}
		texts[field] = text
	}
	for field, text := range texts {
		if strings.TrimSpace(text) == "" || strings.Contains(text, "<no value>") {
			t.Errorf("%s: %s rendered as %q", label, field, text)
		}
	}
	if !strings.Contains(n.Email.Subject, name) || !strings.Contains(n.Message, argocdURL+"/applications/") {
		t.Errorf("%s: subject %q / message %q lack the application", label, n.Email.Subject, n.Message)
	}
	if strings.HasPrefix(n.Message, ":") != (service == "slack") {
		t.Errorf("%s: the emoji prefix belongs to Slack only: %q", label, n.Message)
	}
	if summary, _ := annotations["mlops.dev/notebook-summary"].(string); !strings.Contains(n.Message, summary) {
		t.Errorf("%s: message lacks the summary %q: %q", label, summary, n.Message)
	}
	var body map[string]string
	if err := json.Unmarshal([]byte(n.Webhook["mlops-notebooks"].Body), &body); err == nil {
		for key, annotation := range map[string]string{
			"total": "notebook-total", "succeeded": "notebook-succeeded", "summary": "notebook-summary",
			"failed": "notebook-failed", "lastFailure": "notebook-last-failure", "lastSuccess": "notebook-last-success",
		} {
			if value, ok := body[key]; ok && value != annotations["mlops.dev/"+annotation] {
				t.Errorf("%s: webhook %s = %q, annotation holds %q", label, key, value, annotations["mlops.dev/"+annotation])
			}
		}
		if n.Webhook["mlops-notebooks"].Method != "POST" {
			t.Errorf("%s: webhook method %q", label, n.Webhook["mlops-notebooks"].Method)
		}
	}
}
