// Command argocd-health prints the health Argo CD would show for an object: it reads
// {"script": "...", "object": {...}, "openLibs": false} on stdin and writes
// {"status": "...", "message": "..."} or {"error": "..."} (tools/argocd_lua.py and the demo use it).
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"argocdengines/health"
)

func main() {
	var in struct {
		Script   string          `json:"script"`
		Object   json.RawMessage `json:"object"`
		OpenLibs bool            `json:"openLibs"`
	}
	data, err := io.ReadAll(os.Stdin)
	if err == nil {
		err = json.Unmarshal(data, &in)
	}
	var obj map[string]any
	if err == nil {
		obj, err = health.DecodeObject(in.Object)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "argocd-health: bad input:", err)
		os.Exit(2)
	}
	out := map[string]string{}
	if status, err := health.Evaluate(obj, in.Script, in.OpenLibs); err != nil {
		out["error"] = err.Error()
	} else {
		out["status"], out["message"] = status.Status, status.Message
	}
	_ = json.NewEncoder(os.Stdout).Encode(out)
}
