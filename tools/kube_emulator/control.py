"""The /_emulator/* control endpoints, for a test driving an emulator in another process."""

import json

CONTROL_PREFIX = "/_emulator/"


class ControlMixin:
    def _control(self, path, body):
        emu = self.emu
        action = (self.command, path[len(CONTROL_PREFIX):].strip("/"))
        try:
            data = json.loads(body) if body else {}
            if action == ("GET", "log"):
                self._send(200, emu.request_log)
            elif action == ("DELETE", "log"):
                emu.clear_log()
                self._send(200, {"cleared": True})
            elif action == ("POST", "faults"):
                self._send(201, {"id": emu.inject_fault(**data)})
            elif action == ("GET", "faults"):
                self._send(200, emu.faults.active())
            elif action == ("DELETE", "faults"):
                emu.clear_faults()
                self._send(200, {"cleared": True})
            elif action == ("POST", "reset"):
                emu.reset()
                self._send(200, {"reset": True})
            elif action == ("POST", "load"):
                stored = emu.load(data.get("objects") or data.get("paths") or [])
                self._send(201, {"loaded": len(stored)})
            elif action == ("POST", "users"):
                emu.add_user(data["token"], data.get("rules") or [], user=data.get("user"))
                self._send(201, {"added": data["token"]})
            else:
                self._send(404, {"error": f"unknown control endpoint {self.command} {path}"})
        except (TypeError, ValueError, KeyError) as exc:
            self._send(400, {"error": str(exc)})
