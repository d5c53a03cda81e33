#!/usr/bin/env python3
"""Smoke-check the installed real MCP test servers (stdlib only).

    python3 test-servers/smoke.py [ENV_FILE]

ENV_FILE defaults to $MCPSCRIPT_TEST_SERVERS_ENV, else <repo>/.test-servers/env
(written by scripts/install-test-servers). For every server it starts the
process exactly as the test suite should, sends `initialize` +
`notifications/initialized` + `tools/list` (following nextCursor), prints the
negotiated protocol version, tool count and timings, then kills the process by
PID. It also starts server-everything in `sse` and `streamableHttp` modes on a
free loopback port under the loopback preload, checks with `ss` that it listens
on 127.0.0.1 only, and runs the same exchange over HTTP.

Exit status is non-zero if any check fails. Not part of the test suite: a tool
for debugging the test-server installation.
"""

from __future__ import annotations

import http.client
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PROTOCOL = "2025-11-25"
TIMEOUT = 30.0


def load_env(path: Path) -> dict[str, str]:
    env = {}
    for line in path.read_text().splitlines():
        if line.strip() and "=" in line:
            k, v = line.split("=", 1)
            env[k] = v
    return env


def initialize_msg(id_: int) -> dict:
    return {
        "jsonrpc": "2.0",
        "id": id_,
        "method": "initialize",
        "params": {
            "protocolVersion": PROTOCOL,
            "capabilities": {},
            "clientInfo": {"name": "mcpscript-smoke", "version": "0"},
        },
    }


INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


class StdioPeer:
    def __init__(self, argv: list[str], env: dict[str, str]):
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **env},
            start_new_session=True,
        )
        self.buf = b""
        self.stderr = b""

    def send(self, msg: dict) -> None:
        assert self.proc.stdin
        self.proc.stdin.write(json.dumps(msg).encode() + b"\n")
        self.proc.stdin.flush()

    def recv(self, id_: int) -> dict:
        deadline = time.monotonic() + TIMEOUT
        assert self.proc.stdout and self.proc.stderr
        out, err = self.proc.stdout.fileno(), self.proc.stderr.fileno()
        while True:
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                if not line.strip():
                    continue
                msg = json.loads(line)
                if msg.get("id") == id_ and ("result" in msg or "error" in msg):
                    return msg
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no answer to id {id_}; stderr: {self.stderr[-500:]!r}")
            ready, _, _ = select.select([out, err], [], [], left)
            for fd in ready:
                chunk = os.read(fd, 65536)
                if fd == out:
                    if not chunk:
                        raise EOFError(f"server closed stdout; stderr: {self.stderr[-500:]!r}")
                    self.buf += chunk
                else:
                    self.stderr += chunk

    def request(self, id_: int, msg: dict) -> dict:
        self.send(msg)
        return self.recv(id_)

    def kill(self) -> None:
        kill_pid(self.proc)


def kill_pid(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def list_tools(request) -> list[dict]:
    tools, cursor, id_ = [], None, 2
    while True:
        params = {"cursor": cursor} if cursor else {}
        resp = request(id_, {"jsonrpc": "2.0", "id": id_, "method": "tools/list", "params": params})
        if "error" in resp:
            raise RuntimeError(f"tools/list error: {resp['error']}")
        tools += resp["result"]["tools"]
        cursor = resp["result"].get("nextCursor")
        id_ += 1
        if not cursor:
            return tools


def check_stdio(name: str, argv: list[str], env: dict[str, str]) -> bool:
    t0 = time.monotonic()
    peer = StdioPeer(argv, env)
    try:
        init = peer.request(1, initialize_msg(1))
        t_init = time.monotonic() - t0
        if "error" in init:
            raise RuntimeError(f"initialize error: {init['error']}")
        peer.send(INITIALIZED)
        tools = list_tools(peer.request)
        info = init["result"].get("serverInfo", {})
        print(
            f"ok   {name:<11} stdio  protocol {init['result']['protocolVersion']}  "
            f"{len(tools):>2} tools  initialize after {t_init * 1000:.0f} ms  "
            f"server {info.get('name')} {info.get('version')}"
        )
        return True
    except Exception as e:  # noqa: BLE001 - report and go on
        print(f"FAIL {name:<11} stdio  {e}")
        return False
    finally:
        peer.kill()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < TIMEOUT:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return time.monotonic() - t0
        except OSError:
            time.sleep(0.01)
    raise TimeoutError(f"port {port} never accepted a connection")


def listen_addrs(port: int) -> list[str]:
    if not shutil.which("ss"):
        return ["(ss not found)"]
    out = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True).stdout
    return [line.split()[3] for line in out.splitlines() if line.split()]


def parse_sse(data: str) -> list[tuple[str, str]]:
    events, ev, lines = [], "message", []
    for line in data.splitlines():
        if line == "":
            if lines:
                events.append((ev, "\n".join(lines)))
            ev, lines = "message", []
        elif line.startswith("event:"):
            ev = line[6:].strip()
        elif line.startswith("data:"):
            lines.append(line[5:].lstrip())
    if lines:
        events.append((ev, "\n".join(lines)))
    return events


def streamable_request(port: int, session: dict, msg: dict) -> dict | None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    headers = {
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": PROTOCOL,
    }
    if session.get("id"):
        headers["Mcp-Session-Id"] = session["id"]
    conn.request("POST", "/mcp", body=json.dumps(msg), headers=headers)
    resp = conn.getresponse()
    if resp.getheader("Mcp-Session-Id"):
        session["id"] = resp.getheader("Mcp-Session-Id")
    body = resp.read().decode()
    conn.close()
    if resp.status == 202 or "id" not in msg:
        return None
    if resp.status != 200:
        raise RuntimeError(f"HTTP {resp.status}: {body[:300]}")
    if (resp.getheader("Content-Type") or "").startswith("text/event-stream"):
        for _, data in parse_sse(body):
            if not data.strip():
                continue  # priming event (2025-11-25 resumability): id only
            m = json.loads(data)
            if m.get("id") == msg["id"]:
                return m
        raise RuntimeError("no response in SSE body")
    return json.loads(body)


class LegacySse:
    """Client for the 2024-11-05 HTTP+SSE transport (GET /sse, POST /message)."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        self.conn.request("GET", "/sse", headers={"Accept": "text/event-stream"})
        self.sock = self.conn.sock  # getresponse() may drop it from conn
        self.resp = self.conn.getresponse()
        if self.resp.status != 200:
            raise RuntimeError(f"GET /sse: HTTP {self.resp.status}")
        self.cond = threading.Condition()
        self.messages: list[dict] = []
        self.endpoint: str | None = None
        threading.Thread(target=self._read, daemon=True).start()
        with self.cond:
            self.cond.wait_for(lambda: self.endpoint is not None, timeout=TIMEOUT)
        if not self.endpoint:
            raise TimeoutError("no endpoint event")

    def _read(self) -> None:
        ev, lines = "message", []
        try:
            while True:
                raw = self.resp.fp.readline()
                if not raw:
                    return
                line = raw.decode().rstrip("\r\n")
                if line == "":
                    if lines:
                        data = "\n".join(lines)
                        with self.cond:
                            if ev == "endpoint":
                                self.endpoint = data
                            elif data.strip():
                                self.messages.append(json.loads(data))
                            self.cond.notify_all()
                    ev, lines = "message", []
                elif line.startswith("event:"):
                    ev = line[6:].strip()
                elif line.startswith("data:"):
                    lines.append(line[5:].lstrip())
        except Exception:  # noqa: BLE001 - stream closed at the end
            return

    def send(self, msg: dict) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        conn.request("POST", self.endpoint, body=json.dumps(msg), headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        conn.close()
        if resp.status not in (200, 202):
            raise RuntimeError(f"POST {self.endpoint}: HTTP {resp.status}")

    def request(self, id_: int, msg: dict) -> dict:
        self.send(msg)
        with self.cond:
            ok = self.cond.wait_for(lambda: any(m.get("id") == id_ for m in self.messages), timeout=TIMEOUT)
            if not ok:
                raise TimeoutError(f"no answer to id {id_}")
            return next(m for m in self.messages if m.get("id") == id_)

    def close(self) -> None:
        # Shut the socket down first: the reader thread holds the response's
        # buffer lock while blocked in readline(), so a plain close() waits.
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.conn.close()


def check_http(env: dict[str, str], mode: str) -> bool:
    port = free_port()
    argv = [env["MCPSCRIPT_TEST_NODE"], env["MCPSCRIPT_TEST_EVERYTHING"], mode]
    extra = {"PORT": str(port), "NODE_OPTIONS": f"--require {env['MCPSCRIPT_TEST_LOOPBACK']}"}
    t0 = time.monotonic()
    proc = subprocess.Popen(
        argv,
        env={**os.environ, **extra},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        t_port = wait_port(port, proc)
        addrs = listen_addrs(port)
        if any(not a.startswith("127.0.0.1:") for a in addrs):
            raise RuntimeError(f"listens beyond loopback: {addrs}")
        if mode == "streamableHttp":
            url = f"http://127.0.0.1:{port}/mcp"
            session: dict = {}
            init = streamable_request(port, session, initialize_msg(1))
            streamable_request(port, session, INITIALIZED)
            tools = list_tools(lambda i, m: streamable_request(port, session, m))
        else:
            url = f"http://127.0.0.1:{port}/sse"
            client = LegacySse(port)
            try:
                init = client.request(1, initialize_msg(1))
                client.send(INITIALIZED)
                tools = list_tools(client.request)
            finally:
                client.close()
        assert init is not None
        print(
            f"ok   everything  {mode:<14} {url}  listening on {', '.join(addrs)}  "
            f"port open after {t_port * 1000:.0f} ms  protocol {init['result']['protocolVersion']}  "
            f"{len(tools)} tools  total {(time.monotonic() - t0) * 1000:.0f} ms"
        )
        return True
    except Exception as e:  # noqa: BLE001
        print(f"FAIL everything  {mode}: {e}")
        return False
    finally:
        kill_pid(proc)


def main() -> int:
    repo = Path(__file__).resolve().parent.parent
    env_file = Path(
        sys.argv[1] if len(sys.argv) > 1 else os.environ.get("MCPSCRIPT_TEST_SERVERS_ENV", repo / ".test-servers/env")
    )
    env = load_env(env_file)
    node = env["MCPSCRIPT_TEST_NODE"]
    ok = True
    with tempfile.TemporaryDirectory(prefix="mcpscript-smoke-") as tmp:
        tmp_path = Path(tmp)
        fs_dir = tmp_path / "fs"
        fs_dir.mkdir()
        repo_dir = tmp_path / "repo"
        repo_dir.mkdir()
        subprocess.run(["git", "init", "-q", str(repo_dir)], check=True)
        servers = [
            ("everything", [node, env["MCPSCRIPT_TEST_EVERYTHING"]], {}),
            ("filesystem", [node, env["MCPSCRIPT_TEST_FILESYSTEM"], str(fs_dir)], {}),
            ("memory", [node, env["MCPSCRIPT_TEST_MEMORY"]], {"MEMORY_FILE_PATH": str(tmp_path / "memory.jsonl")}),
            ("git", [env["MCPSCRIPT_TEST_GIT"], "--repository", str(repo_dir)], {}),
            ("time", [env["MCPSCRIPT_TEST_TIME"], "--local-timezone", "UTC"], {}),
        ]
        for name, argv, extra in servers:
            ok &= check_stdio(name, argv, extra)
        for mode in ("sse", "streamableHttp"):
            ok &= check_http(env, mode)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
