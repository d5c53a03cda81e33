"""A fake mcpscript host for the runtime's tests: the bridge protocol over two os.pipe() pairs.

Server ``fx`` has canned tools (see ``FakeHost._call``); other ops are answered as the real host
would. Requests are read on a thread and answered from it (or from timer threads for ``slow``),
so responses can arrive in any order.
"""

import json
import os
import threading
import time

BIG = 10 * 1024 * 1024


def text_result(text, **extra):
    r = {"content": [{"type": "text", "text": text}], "isError": False}
    r.update(extra)
    return r


class FakeHost:
    def __init__(self, tools=None):
        # child → host (requests) and host → child (responses)
        self.req_r, self.req_w = os.pipe()
        self.resp_r, self.resp_w = os.pipe()
        self.requests = []
        self.results = []  # set_result values, in order
        self.logs = []
        self.tools = tools or {}
        self.held = []
        self._wlock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    # the child's ends
    @property
    def child_fds(self):
        return self.resp_r, self.req_w

    @property
    def env_spec(self):
        return f"{self.resp_r},{self.req_w}"

    def close_child_ends(self):
        """After spawning a child that inherited the child's ends, drop our copies."""
        for fd in (self.resp_r, self.req_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def close(self):
        """End the run: the child sees EOF on reads and EPIPE on writes."""
        with self._wlock:
            if self._closed:
                return
            self._closed = True
            for fd in (self.resp_w, self.req_r):
                try:
                    os.close(fd)
                except OSError:
                    pass

    def join(self, timeout=5):
        self._thread.join(timeout)

    # ------------------------------------------------------------------ wire

    def send_raw(self, data: bytes, chunk=None, pause=0.0):
        with self._wlock:
            if self._closed:
                return
            view = memoryview(data)
            step = chunk or len(data)
            i = 0
            try:
                while i < len(data):
                    n = os.write(self.resp_w, view[i:i + step])
                    i += n
                    if pause and i < len(data):
                        time.sleep(pause)
            except OSError:
                pass

    def respond(self, rid, result=None, error=None, chunk=None, pause=0.0):
        if error is not None:
            frame = {"id": rid, "ok": False, "error": error}
        else:
            frame = {"id": rid, "ok": True, "result": result}
        self.send_raw((json.dumps(frame) + "\n").encode(), chunk, pause)

    def _serve(self):
        buf = b""
        while True:
            try:
                data = os.read(self.req_r, 65536)
            except OSError:
                return
            if not data:
                return
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                frame = json.loads(line)
                self.requests.append(frame)
                try:
                    self._handle(frame)
                except Exception as e:  # a test bug: answer so the child does not hang
                    if "id" in frame:
                        self.respond(frame["id"], error={"type": "BridgeError", "message": repr(e)})

    # ------------------------------------------------------------------ ops

    def _handle(self, f):
        op = f.get("op")
        rid = f.get("id")
        if op == "log":
            self.logs.append((f["level"], f["message"]))
            return
        if rid is None:
            return
        if op == "set_result":
            self.results.append(f["value"])
            self.respond(rid, None)
        elif op == "list_servers":
            self.respond(rid, [{"name": "fx", "transport": "stdio", "state": "configured"}])
        elif op == "list_tools":
            if f["server"] != "fx":
                self.respond(rid, error={"type": "ToolNotFoundError", "server": f["server"],
                                         "message": f'no server "{f["server"]}"',
                                         "suggestions": ["fx"]})
            else:
                self.respond(rid, [{"name": "echo", "inputSchema": {"type": "object"}}])
        elif op == "call_tool":
            self._call(f)
        else:
            self.respond(rid, error={"type": "BridgeError", "message": f"unknown op {op}"})

    def _call(self, f):
        rid, server, tool = f["id"], f["server"], f["tool"]
        args = f.get("arguments") or {}
        if (server, tool) in self.tools:
            self.tools[(server, tool)](self, f)
            return
        if server != "fx":
            self.respond(rid, error={"type": "ServerUnavailableError", "server": server,
                                     "message": f'server "{server}" exited with status 1',
                                     "stderr_tail": ["boot", "Traceback:", "ImportError: x"]})
            return
        if tool == "echo":  # structuredContent = the request as seen by the host
            self.respond(rid, text_result(json.dumps(args), structuredContent={
                "arguments": f.get("arguments"), "server": server, "tool": tool,
                "timeout_ms": f.get("timeout_ms")}))
        elif tool == "text":
            self.respond(rid, text_result(args["text"]))
        elif tool == "raw":  # answer exactly args["result"]
            self.respond(rid, args["result"])
        elif tool == "fail":
            self.respond(rid, {"content": [{"type": "text", "text": "boom"},
                                           {"type": "text", "text": "second line"}],
                               "isError": True})
        elif tool == "error":  # a host error of args["type"]
            err = dict(args)
            self.respond(rid, error=err)
        elif tool == "slow":  # answer after args["ms"] from a timer thread
            t = threading.Timer(args.get("ms", 10) / 1000, self.respond,
                                (rid, {"structuredContent": {"v": args.get("v")}}))
            t.daemon = True
            t.start()
        elif tool == "hold":  # held until a "release" call
            self.held.append(f)
        elif tool == "release":  # answer held calls in reverse order, then this one
            held, self.held = self.held, []
            for h in reversed(held):
                self.respond(h["id"], {"structuredContent": {"v": h["arguments"]["v"]}})
            self.respond(rid, {"structuredContent": {"released": len(held)}})
        elif tool == "big":
            n = args.get("n", BIG)
            self.respond(rid, {"structuredContent": {"data": "x" * n}},
                         chunk=args.get("chunk"), pause=args.get("pause", 0.0))
        elif tool == "split":  # the response in 7-byte pieces with pauses
            self.respond(rid, text_result("split ok"), chunk=7, pause=0.001)
        elif tool == "burst":  # two responses for earlier held calls and this one, one write
            held, self.held = self.held, []
            data = b""
            for h in held + [f]:
                frame = {"id": h["id"], "ok": True,
                         "result": {"structuredContent": {"id": h["id"]}}}
                data += (json.dumps(frame) + "\n").encode()
            self.send_raw(data)
        elif tool == "never":
            pass
        else:
            self.respond(rid, error={"type": "ToolNotFoundError", "server": server, "tool": tool,
                                     "message": f'server "fx" has no tool "{tool}"',
                                     "suggestions": ["echo", "text"]})
