"""Evaluate a resource health check the way Argo CD evaluates an ``argocd-cm`` override.

Argo CD runs an override without ``useOpenLibs`` (util/lua/lua.go: gopher-lua with SkipOpenLibs, then
only the package, base and table libraries and a "safe" os with time/date). This module builds the same
sandbox in a real Lua 5.1 VM (lupa) and hands the script ``obj`` converted as Argo CD's decodeValue does.
Used by tests/unit/test_health_lua.py (health_test.yaml) and by the demo (what Argo CD shows).
"""

import lupa.lua51

# gopher-lua's base library (baselib.go baseFuncs + _G/_VERSION/ipairs/pairs), the package library
# (package, and module/require which gopher-lua registers with the base functions), table, and os.
# No string, math, io, coroutine, debug; Lua 5.1's extra base functions gcinfo/newproxy are absent too.
ALLOWED_GLOBALS = (
    "_G _VERSION assert collectgarbage dofile error getfenv getmetatable load loadfile loadstring next "
    "pcall print rawequal rawget rawset select setfenv setmetatable tonumber tostring type unpack xpcall "
    "module require ipairs pairs package table os"
).split()

SANDBOX = """
local allowed = {}
for _, name in ipairs({...}) do allowed[name] = true end
-- gopher-lua gives strings a metatable (s:upper()) only when the string library is opened.
debug.setmetatable("", nil)
local safe_os = {time = os.time, date = os.date}
local doomed = {}
for name in pairs(_G) do
  if not allowed[name] then doomed[#doomed + 1] = name end
end
for _, name in ipairs(doomed) do _G[name] = nil end
os = safe_os
for name in pairs(package.loaded) do
  if name ~= "_G" and name ~= "package" and name ~= "table" then package.loaded[name] = nil end
end
package.loaded.os = safe_os
package.preload.os = function() return safe_os end
"""


def sandboxed_runtime():
    """A fresh Lua 5.1 VM with only what Argo CD opens for an override."""
    lua = lupa.lua51.LuaRuntime(register_eval=False, register_builtins=False, unpack_returned_tuples=True)
    lua.execute(SANDBOX, *ALLOWED_GLOBALS)
    return lua


def to_lua(lua, value):
    """Convert as Argo CD's decodeValue does: maps to tables, lists to 1-based arrays, null to nil."""
    if isinstance(value, dict):
        table = lua.table()
        for key, item in value.items():
            if item is not None:
                table[str(key)] = to_lua(lua, item)
        return table
    if isinstance(value, list):
        table = lua.table()
        for index, item in enumerate(value, start=1):
            table[index] = to_lua(lua, item)
        return table
    return value


def run(script, obj):
    """What ``script`` returns for ``obj`` (a Kubernetes object as a dict); a Lua error raises LuaError."""
    lua = sandboxed_runtime()
    lua.globals().obj = to_lua(lua, obj)
    return lua.execute(script)


def health(script, obj):
    """The ``(status, message)`` Argo CD would show; like Argo CD, a result that is not a table is an error."""
    result = run(script, obj)
    if lupa.lua51.lua_type(result) != "table":
        raise TypeError("the health script must return a table, got {!r}".format(result))
    return result["status"], result["message"]
