// Package health evaluates a resource health check (health.lua) the way Argo CD does.
//
// Written from Argo CD's documented behaviour and the behaviour of util/lua (v3): a gopher-lua
// v1.1.2 state, without the standard libraries for an argocd-cm override ("useOpenLibs" off) and
// with them for a built-in check; the package, base and table libraries opened, then Argo CD's
// safe os (time, date) registered and preloaded, a 1-second limit, the object converted from JSON
// (null dropped), and the returned table converted back through JSON and checked against the six
// health statuses. An object being deleted is "Progressing: Pending deletion" before any script
// (gitops-engine's GetResourceHealth), unless it is a hook held by Argo CD's hook finalizer.
package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
	luajson "layeh.com/gopher-json"
)

// Status is what Argo CD shows for a resource (gitops-engine's HealthStatus).
type Status struct {
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
}

// Timeout is Argo CD's limit for one run of a health script.
var Timeout = 1 * time.Second

const invalidStatus = "Lua returned an invalid health status"

var validStatuses = map[string]bool{
	"Unknown": true, "Progressing": true, "Suspended": true, "Healthy": true, "Degraded": true, "Missing": true,
}

// Compile reports whether gopher-lua compiles script, as Argo CD does before running it.
func Compile(script string) error {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	_, err := l.LoadString(script)
	return err
}

// NewState builds the Lua state Argo CD runs a health script in.
func NewState(openLibs bool) *lua.LState {
	l := lua.NewState(lua.Options{SkipOpenLibs: !openLibs})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		// Argo CD opens its safe os by registering the functions under the table library's
		// name: the result is table.time/table.date and no global os; only require("os")
		// (the preload below) hands a script the safe os table.
		{lua.OsLibName, openSafeOsAsArgoCDDoes},
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			panic(err)
		}
	}
	l.PreloadModule(lua.OsLibName, func(l *lua.LState) int {
		l.Push(l.SetFuncs(l.NewTable(), safeOs))
		return 1
	})
	return l
}

func openSafeOsAsArgoCDDoes(l *lua.LState) int {
	l.Push(l.RegisterModule(lua.TabLibName, safeOs))
	return 1
}

var safeOs = map[string]lua.LGFunction{"time": osTime, "date": osDate}

func osTime(l *lua.LState) int {
	if l.GetTop() == 0 {
		l.Push(lua.LNumber(time.Now().Unix()))
		return 1
	}
	t := l.CheckTable(1)
	field := func(name string, fallback int) int {
		if n, ok := t.RawGetString(name).(lua.LNumber); ok {
			return int(n)
		}
		return fallback
	}
	moment := time.Date(field("year", -1), time.Month(field("month", -1)), field("day", -1),
		field("hour", 12), field("min", 0), field("sec", 0), 0, time.Local)
	l.Push(lua.LNumber(moment.Unix()))
	return 1
}

// osDate supports the conversions health checks use; the format is C strftime's.
func osDate(l *lua.LState) int {
	now := time.Now()
	format := "%c"
	if l.GetTop() >= 1 {
		format = l.CheckString(1)
	}
	if l.GetTop() >= 2 {
		now = time.Unix(l.CheckInt64(2), 0)
	}
	if strings.HasPrefix(format, "!") {
		now = now.UTC()
		format = format[1:]
	}
	if strings.HasPrefix(format, "*t") {
		t := l.NewTable()
		for name, value := range map[string]int{"year": now.Year(), "month": int(now.Month()), "day": now.Day(),
			"hour": now.Hour(), "min": now.Minute(), "sec": now.Second(), "wday": int(now.Weekday()) + 1} {
			t.RawSetString(name, lua.LNumber(value))
		}
		l.Push(t)
		return 1
	}
	layouts := map[byte]string{'Y': "2006", 'm': "01", 'd': "02", 'H': "15", 'M': "04", 'S': "05", 'y': "06",
		'b': "Jan", 'B': "January", 'a': "Mon", 'A': "Monday", 'p': "PM", 'z': "-0700", 'Z': "MST",
		'c': "02 Jan 06 15:04 MST", 'x': "15/04/05", 'X': "15:04:05", 'F': "2006-01-02"}
	var out strings.Builder
	for i := 0; i < len(format); i++ {
		if format[i] != '%' || i+1 == len(format) {
			out.WriteByte(format[i])
			continue
		}
		i++
		if layout, ok := layouts[format[i]]; ok {
			out.WriteString(now.Format(layout))
		} else if format[i] == '%' {
			out.WriteByte('%')
		} else {
			out.WriteByte('%')
			out.WriteByte(format[i])
		}
	}
	l.Push(lua.LString(out.String()))
	return 1
}

// DecodeObject decodes a Kubernetes object from JSON as the API machinery does for an
// unstructured object: integers become int64, other numbers float64.
func DecodeObject(data []byte) (map[string]any, error) {
	decoder := json.NewDecoder(strings.NewReader(string(data)))
	decoder.UseNumber()
	var obj map[string]any
	if err := decoder.Decode(&obj); err != nil {
		return nil, err
	}
	return numbers(obj).(map[string]any), nil
}

func numbers(value any) any {
	switch v := value.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	case []any:
		for i := range v {
			v[i] = numbers(v[i])
		}
	case map[string]any:
		for k := range v {
			v[k] = numbers(v[k])
		}
	}
	return value
}

// ToLua converts a Kubernetes object (decoded from JSON) as Argo CD does: maps to tables, lists
// to 1-based tables (a null item is skipped, so later items move up), null to nil (the key is
// absent), numbers to Lua numbers, a json.Number to a string.
func ToLua(l *lua.LState, value any) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case int:
		return lua.LNumber(v)
	case int32:
		return lua.LNumber(v)
	case json.Number:
		return lua.LString(v)
	case string:
		return lua.LString(v)
	case []any:
		t := l.CreateTable(len(v), 0)
		for _, item := range v {
			t.Append(ToLua(l, item))
		}
		return t
	case map[string]any:
		t := l.CreateTable(0, len(v))
		for key, item := range v {
			t.RawSetH(lua.LString(key), ToLua(l, item))
		}
		return t
	}
	return lua.LNil
}

// Run executes script against obj and returns the Lua value it returned (open state closed by the caller).
func Run(obj map[string]any, script string, openLibs bool) (*lua.LState, lua.LValue, error) {
	l := NewState(openLibs)
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", ToLua(l, obj))
	fn, err := l.LoadString(script)
	if err == nil {
		l.Push(fn)
		err = l.PCall(0, lua.MultRet, nil)
	}
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) && apiErr.Type == lua.ApiErrorRun {
		apiErr.StackTrace = "" // Argo CD shows the error without gopher-lua's stack trace
	}
	if err != nil {
		return l, lua.LNil, err
	}
	return l, l.Get(-1), nil
}

// hasHookFinalizer: a sync hook Argo CD still holds with its finalizer gets its health from the script.
func hasHookFinalizer(meta map[string]any) bool {
	finalizers, _ := meta["finalizers"].([]any)
	for _, f := range finalizers {
		if f == "argocd.argoproj.io/hook-finalizer" {
			return true
		}
	}
	return false
}

// Evaluate is the health Argo CD shows for obj with this script.
func Evaluate(obj map[string]any, script string, openLibs bool) (*Status, error) {
	if meta, ok := obj["metadata"].(map[string]any); ok && meta["deletionTimestamp"] != nil && !hasHookFinalizer(meta) {
		return &Status{Status: "Progressing", Message: "Pending deletion"}, nil
	}
	l, result, err := Run(obj, script, openLibs)
	defer l.Close()
	if err != nil {
		return nil, err
	}
	switch result.Type() {
	case lua.LTNil:
		return &Status{}, nil
	case lua.LTTable:
	default:
		return nil, fmt.Errorf("expect table output from Lua script, not %s", result.Type())
	}
	encoded, err := luajson.Encode(result)
	if err != nil {
		return nil, err
	}
	status := &Status{}
	if err := json.Unmarshal(encoded, status); err != nil {
		// An empty table encodes as [], and Argo CD answers any type mismatch (also a
		// status or message that is not a string) with an empty health status.
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return &Status{}, nil
		}
		return nil, err
	}
	if !validStatuses[status.Status] {
		return &Status{Status: "Unknown", Message: invalidStatus}, nil
	}
	return status, nil
}
