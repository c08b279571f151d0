package health

import (
	"testing"
)

// Every difference found between the lupa sandbox the collection used before (PUC Lua 5.1 with
// string, math and io removed, tools/argocd_lua.py until this harness) and gopher-lua as Argo CD sets
// it up. The gopher-lua column is asserted; the lupa column is the record of what the old tests saw.
// (Further differences checked elsewhere: a global os existed in the lupa sandbox, goto was a syntax
// error there, there was no time limit, a null list item left a hole instead of being skipped, and
// the result was not validated: nil, {}, 42 and an unknown status passed through; no Pending deletion.)
var differences = []struct {
	expression, object, gopherLua, lupa string
}{
	{"tostring(1e15)", "", "1000000000000000", "1e+15"},
	{"tostring(1e16)", "", "10000000000000000", "1e+16"},
	{"tostring(2^53)", "", "9007199254740992", "9.007199254741e+15"},
	{"tostring(1/3)", "", "0.3333333333333333", "0.33333333333333"},
	{"tostring(-0)", "", "0", "-0"},
	{"tostring(1/0)", "", "+Inf", "inf"},
	{"tostring(0/0)", "", "NaN", "-nan"},
	{"tostring(2^63)", "", "9.223372036854776e+18", "9.2233720368548e+18"},
	{"type(newproxy)", "", "function", "nil"},
	{"tostring(tonumber('1e1'))", "", "nil", "10"},
	{"2^63 .. ''", "", "9.223372036854776e+18", "9.2233720368548e+18"},
	{"1e15 .. ''", "", "1000000000000000", "1e+15"},
	{"tostring(obj.status.list[2])", "{\"status\": {\"list\": [\"a\", null, \"c\"]}}", "c", "nil"},
	{"tostring(#obj.status.list)", "{\"status\": {\"list\": [\"a\", null, \"c\"]}}", "2", "1"},
	{"tostring(obj.status.big)", "{\"status\": {\"big\": 9007199254740993}}", "9007199254740992", "9.007199254741e+15"},
	{"select(2, pcall(error, 'boom'))", "", "<string>:1: boom", "boom"},
	{"tostring(select(2, pcall(error)))", "", "<string>:1: bad argument #1 to (anonymous) (value expected)", "nil"},
	{"select(2, pcall(function() return 'a' .. nil end))", "", "<string>:1: cannot perform concat operation between string and nil", "[string \"<python>\"]:1: attempt to concatenate a nil value"},
	{"select(2, pcall(function() return nil .. 'a' end))", "", "<string>:1: cannot perform concat operation between nil and string", "[string \"<python>\"]:1: attempt to concatenate a nil value"},
	{"select(2, pcall(function() return obj.nope.x end))", "", "<string>:1: attempt to index a non-table object(nil) with key 'x'", "[string \"<python>\"]:1: attempt to index field 'nope' (a nil value)"},
	{"select(2, pcall(function() return undefinedfn() end))", "", "<string>:1: attempt to call a non-function object", "[string \"<python>\"]:1: attempt to call global 'undefinedfn' (a nil value)"},
	{"select(2, pcall(function() return 'a' + 1 end))", "", "<string>:1: cannot perform add operation between string and number", "[string \"<python>\"]:1: attempt to perform arithmetic on a string value"},
	{"select(2, pcall(function() return 1 < 'x' end))", "", "<string>:1: attempt to compare number with string", "[string \"<python>\"]:1: attempt to compare number with string"},
	{"select(2, pcall(function() return {} < {} end))", "", "<string>:1: attempt to compare table with table", "[string \"<python>\"]:1: attempt to compare two table values"},
	{"select(2, pcall(function() return #nil end))", "", "<string>:1: __len undefined", "[string \"<python>\"]:1: attempt to get length of a nil value"},
	{"select(2, pcall(function() return ('x'):upper() end))", "", "<string>:1: attempt to index a non-table object(string) with key 'upper'", "[string \"<python>\"]:1: attempt to index a string value"},
	{"select(2, pcall(function() return string.format('%d', 1) end))", "", "<string>:1: attempt to index a non-table object(nil) with key 'format'", "[string \"<python>\"]:1: attempt to index global 'string' (a nil value)"},
	{"select(2, pcall(function() return table.concat({{}}) end))", "", "<string>:1: invalid value (table) at index 1 in table for concat", "[string \"<python>\"]:1: invalid value (table) at index 1 in table for 'concat'"},
	{"(function() local out = {}; for k, v in pairs({a = 1, b = 2, c = 3, d = 4}) do out[#out + 1] = k end; return table.concat(out) end)()", "", "abcd", "adcb"},
}

func TestDifferencesFromLupaAreGopherLuaBehaviour(t *testing.T) {
	for _, d := range differences {
		var obj map[string]any
		if d.object != "" {
			var err error
			if obj, err = DecodeObject([]byte(d.object)); err != nil {
				t.Fatal(err)
			}
		}
		if got := value(t, d.expression, obj); got != d.gopherLua {
			t.Errorf("%s: gopher-lua gives %q, recorded %q (lupa gave %q)", d.expression, got, d.gopherLua, d.lupa)
		}
	}
}
