"""Tests of the mcpscript Python runtime and bootstrap against a fake host.

    cd crates/runner/python && python3 -m unittest discover -s tests -v
"""

import asyncio
import base64
import contextlib
import dataclasses
import io
import json
import os
import pickle
import random
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

import runtime  # noqa: E402
from fakehost import BIG, FakeHost  # noqa: E402
from runtime import _bridge  # noqa: E402
from runtime import mcp_client as mc  # noqa: E402
from runtime.content import (AudioContent, EmbeddedResource, ImageContent,  # noqa: E402
                             ResourceLink, TextContent)
from runtime.errors import (BridgeError, InvalidArgumentsError, McpScriptError,  # noqa: E402
                            PolicyError, ProtocolError, ServerUnavailableError, ToolError,
                            ToolNotFoundError, ToolTimeoutError)

BOOTSTRAP = os.path.join(ROOT, "bootstrap.py")


class HostCase(unittest.TestCase):
    """A fake host and a bridge over its pipes, installed as the process's bridge."""

    def setUp(self):
        self.host = FakeHost()
        self.bridge = _bridge.Bridge(*self.host.child_fds)
        _bridge._reset_for_tests(self.bridge)

    def tearDown(self):
        self.host.close()
        self.host.close_child_ends()
        self.host.join()
        _bridge._reset_for_tests(None)

    def calls(self, tool=None):
        return [r for r in self.host.requests
                if r.get("op") == "call_tool" and (tool is None or r["tool"] == tool)]


# -------------------------------------------------------------------------- unwrapping


class UnwrapTests(unittest.TestCase):
    def test_structured_content_as_is(self):
        r = {"content": [{"type": "text", "text": "5"}], "structuredContent": {"result": 5}}
        self.assertEqual(mc.unwrap_result(r), {"result": 5})
        self.assertEqual(mc.unwrap_result({"content": [], "structuredContent": [1, 2]}), [1, 2])

    def test_single_text_json_or_str(self):
        t = lambda s: {"content": [{"type": "text", "text": s}]}  # noqa: E731
        self.assertEqual(mc.unwrap_result(t('{"a": [1, 2]}')), {"a": [1, 2]})
        self.assertEqual(mc.unwrap_result(t(" 42 ")), 42)
        self.assertEqual(mc.unwrap_result(t("true")), True)
        self.assertEqual(mc.unwrap_result(t('"quoted"')), "quoted")
        self.assertEqual(mc.unwrap_result(t("hello world")), "hello world")
        self.assertEqual(mc.unwrap_result(t("[1, 2")), "[1, 2")
        self.assertEqual(mc.unwrap_result(t('{"a": 1} trailing')), '{"a": 1} trailing')
        self.assertEqual(mc.unwrap_result(t("")), "")

    def test_no_content_is_none(self):
        self.assertIsNone(mc.unwrap_result({"content": []}))
        self.assertIsNone(mc.unwrap_result({}))

    def test_blocks_are_typed(self):
        blocks = [
            {"type": "text", "text": "a", "annotations": {"audience": ["user"]}, "_meta": {"k": 1}},
            {"type": "image", "data": base64.b64encode(b"PNG").decode(), "mimeType": "image/png"},
            {"type": "audio", "data": base64.b64encode(b"WAV").decode(), "mimeType": "audio/wav"},
            {"type": "resource_link", "uri": "file:///x", "name": "x", "title": "X",
             "description": "d", "mimeType": "text/plain", "size": 3},
            {"type": "resource", "resource": {"uri": "file:///t", "mimeType": "text/plain",
                                              "text": "hi"}},
            {"type": "resource", "resource": {"uri": "file:///b",
                                              "blob": base64.b64encode(b"\x00\x01").decode()}},
            {"type": "future_kind", "x": 1},
        ]
        out = mc.unwrap_result({"content": blocks})
        self.assertEqual(len(out), 7)
        self.assertEqual(out[0], TextContent("a", {"audience": ["user"]}, {"k": 1}))
        self.assertIsInstance(out[1], ImageContent)
        self.assertEqual((out[1].bytes(), out[1].mime_type), (b"PNG", "image/png"))
        self.assertIsInstance(out[2], AudioContent)
        self.assertNotIsInstance(out[2], ImageContent)
        self.assertEqual(out[2].bytes(), b"WAV")
        self.assertEqual(out[3], ResourceLink("file:///x", "x", "X", "d", "text/plain", 3))
        self.assertEqual(out[4], EmbeddedResource("file:///t", "text/plain", "hi"))
        self.assertEqual(out[4].bytes(), b"hi")
        self.assertEqual(out[5].bytes(), b"\x00\x01")
        self.assertEqual(out[6], {"type": "future_kind", "x": 1})
        for b, raw in zip(out[:6], blocks):
            self.assertEqual(b.to_dict(), raw)
        self.assertTrue(dataclasses.is_dataclass(out[0]))

    def test_single_non_text_block_is_a_list(self):
        out = mc.unwrap_result({"content": [{"type": "image", "data": "", "mimeType": "x"}]})
        self.assertIsInstance(out, list)
        self.assertIsInstance(out[0], ImageContent)

    def test_is_error_raises_tool_error(self):
        raw = {"content": [{"type": "text", "text": "boom"}, {"type": "text", "text": "more"}],
               "isError": True, "structuredContent": {"ignored": True}}
        with self.assertRaises(ToolError) as cm:
            mc.unwrap_result(raw, "srv", "t")
        e = cm.exception
        self.assertEqual((e.server, e.tool, e.message), ("srv", "t", "boom\nmore"))
        self.assertEqual(e.content, [TextContent("boom"), TextContent("more")])
        self.assertIs(e.result, raw)
        self.assertIn("srv.t", str(e))
        self.assertIn("boom", str(e))
        self.assertIsInstance(e, McpScriptError)

    def test_split_identifier(self):
        self.assertEqual(mc.split_identifier("git__git_status"), ("git", "git_status"))
        self.assertEqual(mc.split_identifier("a__b__c"), ("a", "b__c"))
        for bad in ("git_status", "__x", "x__", ""):
            with self.assertRaises(ValueError):
                mc.split_identifier(bad)

    def test_reexports(self):
        for name in runtime.__all__:
            self.assertIs(getattr(runtime, name), getattr(sys.modules[
                "runtime." + runtime._EXPORTS[name]], name))
        for name in ("ToolError", "ToolNotFoundError", "ServerUnavailableError",
                     "ToolTimeoutError", "InvalidArgumentsError", "PolicyError",
                     "ProtocolError", "BridgeError", "McpScriptError"):
            self.assertIs(getattr(mc, name), getattr(runtime.errors, name))

    def test_import_is_light(self):
        code = ("import sys; sys.path.insert(0, %r); import runtime.mcp_client, runtime._boot;"
                "heavy = {'asyncio', 'json', 're', 'dataclasses', 'typing', 'threading'};"
                "print(sorted(heavy & set(sys.modules)))" % ROOT)
        out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True,
                             text=True, check=True).stdout
        self.assertEqual(out.strip(), "[]")


# -------------------------------------------------------------------------- calls


class CallTests(HostCase):
    def test_sync_call_and_request_shape(self):
        r = mc.call_tool_sync("fx", "echo", {"a": 1}, timeout=1.5)
        self.assertEqual(r, {"arguments": {"a": 1}, "server": "fx", "tool": "echo",
                             "timeout_ms": 1500})
        req = self.calls("echo")[0]
        self.assertEqual(set(req), {"id", "op", "server", "tool", "arguments", "timeout_ms"})
        self.assertIsInstance(req["id"], int)
        self.assertIsNone(mc.call_tool_sync("fx", "echo")["arguments"])

    def test_ids_increase(self):
        for _ in range(3):
            mc.call_tool_sync("fx", "echo", {})
        ids = [r["id"] for r in self.host.requests]
        self.assertEqual(ids, sorted(set(ids)))

    def test_async_call(self):
        async def main():
            return await mc.call_tool("fx", "text", {"text": "[1, 2]"})
        self.assertEqual(asyncio.run(main()), [1, 2])

    def test_seed_api(self):
        async def main():
            return await mc.call_mcp_tool("fx__echo", {"x": 1})
        self.assertEqual(asyncio.run(main())["arguments"], {"x": 1})
        self.assertEqual(mc.call_mcp_tool_sync("fx__echo", arguments={"y": 2})["arguments"],
                         {"y": 2})
        with self.assertRaises(ServerUnavailableError):
            mc.call_mcp_tool_sync("a__b__c", {})
        req = self.calls("b__c")[0]
        self.assertEqual((req["server"], req["tool"]), ("a", "b__c"))

    def test_raw_is_lossless_and_does_not_raise(self):
        raw = {"content": [{"type": "text", "text": "x", "_meta": {"m": 1}},
                           {"type": "image", "data": "AAAA", "mimeType": "image/png"}],
               "structuredContent": {"s": 1}, "isError": True, "_meta": {"trace": "t"}}
        self.assertEqual(mc.call_tool_raw_sync("fx", "raw", {"result": raw}), raw)

        async def main():
            return await mc.call_tool_raw("fx", "raw", {"result": raw})
        self.assertEqual(asyncio.run(main()), raw)

    def test_tool_error(self):
        with self.assertRaises(ToolError) as cm:
            mc.call_tool_sync("fx", "fail")
        self.assertEqual(cm.exception.message, "boom\nsecond line")
        self.assertEqual((cm.exception.server, cm.exception.tool), ("fx", "fail"))

        async def main():
            await mc.call_mcp_tool("fx__fail", {})
        with self.assertRaises(ToolError):
            asyncio.run(main())

    def test_lists(self):
        self.assertEqual(mc.list_servers_sync()[0]["name"], "fx")
        self.assertEqual(mc.list_tools_sync("fx")[0]["name"], "echo")
        with self.assertRaises(ToolNotFoundError) as cm:
            mc.list_tools_sync("nope")
        self.assertIn("did you mean fx?", str(cm.exception))

        async def main():
            return await mc.list_servers(), await mc.list_tools("fx")
        servers, tools = asyncio.run(main())
        self.assertEqual((servers[0]["state"], tools[0]["name"]), ("configured", "echo"))

    def test_argument_conversion_and_errors(self):
        import pathlib
        r = mc.call_tool_sync("fx", "echo", {"p": pathlib.Path("/tmp/x"), "t": (1, 2),
                                             "b": b"\x00"})
        self.assertEqual(r["arguments"], {"p": "/tmp/x", "t": [1, 2], "b": "AA=="})
        with self.assertRaises(TypeError) as cm:
            mc.call_tool_sync("fx", "echo", {"o": object()})
        self.assertIn("fx.echo", str(cm.exception))
        with self.assertRaises(ValueError):
            mc.call_tool_sync("fx", "echo", {"n": float("nan")})
        with self.assertRaises(ValueError):  # not valid Unicode: never sent
            mc.call_tool_sync("fx", "echo", {"name": "bad\udcff"})
        self.assertEqual(mc.call_tool_sync("fx", "echo", {"s": "é ✓ 😀\n"})["arguments"],
                         {"s": "é ✓ 😀\n"})
        with self.assertRaises(TypeError):
            mc.call_tool_sync("fx", "echo", [1, 2])
        with self.assertRaises(ValueError):
            mc.call_tool_sync("fx", "echo", {}, timeout=0)
        # nothing half-sent: the next call works
        self.assertEqual(mc.call_tool_sync("fx", "echo", {"ok": 1})["arguments"], {"ok": 1})

    def test_log_notification(self):
        mc.log("hello", "warning")
        mc.call_tool_sync("fx", "echo")  # the log frame was written before this one
        self.assertEqual(self.host.logs, [("warning", "hello")])
        self.assertNotIn("id", [r for r in self.host.requests if r["op"] == "log"][0])
        with self.assertRaises(ValueError):
            mc.log("x", "loud")


# -------------------------------------------------------------------------- errors


class WrapperTests(HostCase):
    """runtime.wrappers.mcp_tool, as generated wrapper modules use it."""

    def declare(self):
        from runtime.wrappers import mcp_tool

        @mcp_tool("fx", "echo", {"from_": "from"})
        async def echo(*, text: str, from_: str | None = None, n: int = 3) -> dict:
            """Echo the arguments."""

        return echo

    def test_arguments_are_mapped(self):
        echo = self.declare()

        async def main():
            return await echo(text="hi", from_="me", n=None)
        # renamed; None for an optional argument is not sent; defaults are the server's
        self.assertEqual(asyncio.run(main())["arguments"], {"text": "hi", "from": "me"})
        self.assertEqual(echo.sync(text="x")["arguments"], {"text": "x"})
        # a required argument given as None is sent (the host's validation names it)
        self.assertEqual(echo.sync(text=None)["arguments"], {"text": None})

    def test_bad_calls_raise_type_error_at_the_call(self):
        echo = self.declare()
        with self.assertRaisesRegex(TypeError, r"echo\(\) takes keyword arguments only"):
            echo("hi")
        with self.assertRaisesRegex(TypeError, r"unexpected keyword argument 'txt' "
                                               r"\(it takes: text, from_, n\)"):
            echo(txt="hi")
        with self.assertRaisesRegex(TypeError, r"missing required keyword argument: 'text'"):
            echo.sync(n=1)
        self.assertEqual(self.calls(), [])

    def test_metadata_and_passthrough(self):
        import inspect

        from runtime.wrappers import mcp_tool
        echo = self.declare()
        self.assertEqual(echo.__name__, "echo")
        self.assertEqual(echo.__doc__, "Echo the arguments.")
        self.assertEqual(echo.sync.__name__, "echo_sync")
        self.assertEqual(list(inspect.signature(echo).parameters), ["text", "from_", "n"])
        self.assertEqual((echo.server, echo.tool), ("fx", "echo"))

        @mcp_tool("fx", "echo")
        async def anything(**arguments):
            """Open schema."""
        self.assertEqual(anything.sync(**{"odd-key": None})["arguments"], {"odd-key": None})


class ErrorTests(HostCase):
    def host_error(self, **err):
        with self.assertRaises(McpScriptError) as cm:
            mc.call_tool_sync("fx", "error", err)
        return cm.exception

    def test_tool_not_found(self):
        e = self.host_error(type="ToolNotFoundError", server="fx", tool="ecko",
                            message='server "fx" has no tool "ecko"', suggestions=["echo"])
        self.assertIsInstance(e, ToolNotFoundError)
        self.assertEqual((e.server, e.tool, e.suggestions), ("fx", "ecko", ["echo"]))
        self.assertEqual(str(e), 'server "fx" has no tool "ecko" (did you mean echo?)')
        self.assertEqual(e.type, "ToolNotFoundError")

    def test_invalid_arguments(self):
        e = self.host_error(type="InvalidArgumentsError", server="fx", tool="echo",
                            message="fx.echo: invalid arguments",
                            errors=[{"path": "/a/b", "message": "is not a string"},
                                    {"path": "", "message": "\"c\" is required"}])
        self.assertIsInstance(e, InvalidArgumentsError)
        self.assertEqual(len(e.errors), 2)
        s = str(e)
        self.assertIn("/a/b: is not a string", s)
        self.assertIn('(arguments): "c" is required', s)

    def test_server_unavailable(self):
        with self.assertRaises(ServerUnavailableError) as cm:
            mc.call_tool_sync("gone", "x")
        e = cm.exception
        self.assertEqual(e.server, "gone")
        self.assertEqual(e.stderr_tail, ["boot", "Traceback:", "ImportError: x"])
        self.assertIn("exited with status 1", str(e))
        self.assertIn("ImportError: x", str(e))

    def test_timeout(self):
        e = self.host_error(type="ToolTimeoutError", message="fx.error did not answer within 2s",
                            timeout_ms=2000)
        self.assertIsInstance(e, ToolTimeoutError)
        self.assertEqual(e.timeout_ms, 2000)
        # server and tool filled in from the request when the host leaves them out
        self.assertEqual((e.server, e.tool), ("fx", "error"))

    def test_policy_protocol_bridge_unknown(self):
        self.assertIsInstance(self.host_error(type="PolicyError", message="denied"), PolicyError)
        e = self.host_error(type="ProtocolError", server="fx", message="JSON-RPC error -32603")
        self.assertIsInstance(e, ProtocolError)
        self.assertEqual(e.server, "fx")
        self.assertIsInstance(self.host_error(type="BridgeError", message="bad"), BridgeError)
        e = self.host_error(type="SomethingNew", message="new")
        self.assertEqual((type(e), e.type, str(e)), (McpScriptError, "SomethingNew", "new"))

    def test_async_errors(self):
        async def main():
            with self.assertRaises(ToolTimeoutError):
                await mc.call_tool("fx", "error", {"type": "ToolTimeoutError", "message": "t"})
            with self.assertRaises(ToolNotFoundError):
                await mc.call_tool("fx", "nope")
        asyncio.run(main())

    def test_pickle(self):
        e = ToolNotFoundError("m", server="s", tool="t", suggestions=["u"])
        e2 = pickle.loads(pickle.dumps(e))
        self.assertEqual((type(e2), str(e2), e2.suggestions), (ToolNotFoundError, str(e), ["u"]))


# -------------------------------------------------------------------------- concurrency


class ConcurrencyTests(HostCase):
    def test_gather_twenty_out_of_order(self):
        async def main():
            holds = [mc.call_tool("fx", "hold", {"v": i}) for i in range(20)]
            return await asyncio.gather(*holds, mc.call_tool("fx", "release"))
        out = asyncio.run(main())
        self.assertEqual(out[:20], [{"v": i} for i in range(20)])
        self.assertEqual(out[20], {"released": 20})  # all 20 were in flight at once

    def test_gather_with_random_delays(self):
        delays = [random.randint(1, 30) for _ in range(20)]

        async def main():
            return await asyncio.gather(*(mc.call_tool("fx", "slow", {"ms": d, "v": i})
                                          for i, d in enumerate(delays)))
        t = time.monotonic()
        out = asyncio.run(main())
        self.assertEqual(out, [{"v": i} for i in range(20)])
        self.assertLess(time.monotonic() - t, 1.0)

    def test_sync_call_inside_running_loop_delivers_pending_async(self):
        async def main():
            tasks = [asyncio.ensure_future(mc.call_tool("fx", "hold", {"v": i}))
                     for i in range(5)]
            await asyncio.sleep(0)  # let them send
            released = mc.call_tool_sync("fx", "release")  # reads the 5 responses first
            self.assertEqual(self.bridge._pending, {})  # ... and delivered them
            return released, await asyncio.gather(*tasks)
        released, vals = asyncio.run(asyncio.wait_for(main(), 5))
        self.assertEqual(released, {"released": 5})
        self.assertEqual(vals, [{"v": i} for i in range(5)])

    def test_sequential_asyncio_runs(self):
        async def main(k):
            return await asyncio.gather(*(mc.call_tool("fx", "slow", {"ms": 1, "v": k * 10 + i})
                                          for i in range(3)))
        for k in range(4):
            self.assertEqual(asyncio.run(main(k)), [{"v": k * 10 + i} for i in range(3)])
        # and a sync call after the loops are gone
        self.assertEqual(mc.call_tool_sync("fx", "slow", {"ms": 1, "v": 7}), {"v": 7})

    def test_threads_and_a_loop_at_once(self):
        results = {}

        def worker(i):
            results[i] = mc.call_tool_sync("fx", "slow", {"ms": random.randint(1, 20), "v": i})

        async def main():
            return await asyncio.gather(*(mc.call_tool("fx", "slow", {"ms": 5, "v": 100 + i})
                                          for i in range(10)))
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        out = asyncio.run(main())
        for t in threads:
            t.join(5)
        self.assertEqual(out, [{"v": 100 + i} for i in range(10)])
        self.assertEqual(results, {i: {"v": i} for i in range(8)})

    def test_loop_in_another_thread_while_this_thread_reads(self):
        box = {}

        def loop_thread():
            async def main():
                return await asyncio.gather(*(mc.call_tool("fx", "hold", {"v": i})
                                              for i in range(3)))
            box["out"] = asyncio.run(main())
        t = threading.Thread(target=loop_thread)
        t.start()
        deadline = time.monotonic() + 5
        while len(self.calls("hold")) < 3 and time.monotonic() < deadline:
            time.sleep(0.005)
        self.assertEqual(mc.call_tool_sync("fx", "release"), {"released": 3})
        t.join(5)
        self.assertEqual(box["out"], [{"v": i} for i in range(3)])

    def test_big_result(self):
        self.assertEqual(len(mc.call_tool_sync("fx", "big")["data"]), BIG)

        async def main():
            return await asyncio.gather(mc.call_tool("fx", "big"),
                                        mc.call_tool("fx", "big", {"n": 1000, "chunk": 100}))
        a, b = asyncio.run(main())
        self.assertEqual((len(a["data"]), b["data"]), (BIG, "x" * 1000))

    def test_split_and_burst_frames(self):
        self.assertEqual(mc.call_tool_sync("fx", "split"), "split ok")

        async def main():
            return await asyncio.gather(mc.call_tool("fx", "split"), mc.call_tool("fx", "split"))
        self.assertEqual(asyncio.run(main()), ["split ok", "split ok"])

        async def burst():
            held = [asyncio.ensure_future(mc.call_tool("fx", "hold", {"v": i})) for i in range(3)]
            await asyncio.sleep(0.01)
            last = await mc.call_tool("fx", "burst")
            return [await h for h in held], last
        held, last = asyncio.run(burst())
        self.assertEqual(len({h["id"] for h in held}), 3)
        self.assertIn("id", last)


class EndOfRunTests(HostCase):
    def test_pending_async_fails_on_eof_and_later_calls_too(self):
        async def main():
            threading.Timer(0.05, self.host.close).start()
            with self.assertRaises(BridgeError) as cm:
                await mc.call_tool("fx", "never")
            self.assertIn("the run has ended", str(cm.exception))
            with self.assertRaises(BridgeError):
                await mc.call_tool("fx", "echo")
        asyncio.run(asyncio.wait_for(main(), 5))
        with self.assertRaises(BridgeError):
            mc.call_tool_sync("fx", "echo")

    def test_pending_sync_fails_on_eof(self):
        threading.Timer(0.05, self.host.close).start()
        with self.assertRaises(BridgeError) as cm:
            mc.call_tool_sync("fx", "never")
        self.assertEqual(str(cm.exception), "the run has ended")

    def test_epipe(self):
        self.host.close()
        with self.assertRaises(BridgeError) as cm:
            mc.list_servers_sync()
        self.assertIn("the run has ended", str(cm.exception))
        with self.assertRaises(BridgeError):
            mc.set_result(1)


class NoBridgeTests(unittest.TestCase):
    def setUp(self):
        _bridge._reset_for_tests(None)
        self.saved = (_bridge._configured, os.environ.pop(_bridge.ENV, None))
        _bridge.configure(None)

    def tearDown(self):
        _bridge.configure(self.saved[0])
        if self.saved[1] is not None:
            os.environ[_bridge.ENV] = self.saved[1]
        _bridge._reset_for_tests(None)

    def test_not_under_mcpscript(self):
        with self.assertRaises(BridgeError) as cm:
            mc.call_tool_sync("fx", "echo")
        self.assertIn("not running under `mcpscript run`", str(cm.exception))
        self.assertIn("hint:", str(cm.exception))

        async def main():
            await mc.call_mcp_tool("fx__echo", {})
        with self.assertRaises(BridgeError):
            asyncio.run(main())

    def test_descriptor_not_open(self):
        os.environ[_bridge.ENV] = "1000,1001"
        with self.assertRaises(BridgeError) as cm:
            mc.list_servers_sync()
        self.assertIn("not open in this process", str(cm.exception))
        os.environ[_bridge.ENV] = "garbage"
        with self.assertRaises(BridgeError):
            mc.list_servers_sync()
        del os.environ[_bridge.ENV]

    def test_log_without_bridge_goes_to_stderr(self):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            mc.log("note")
        self.assertEqual(err.getvalue(), "[info] note\n")


# -------------------------------------------------------------------------- set_result


@dataclasses.dataclass
class Point:
    x: int
    y: int
    tag: bytes = b""


class Opaque:
    def __repr__(self):
        return "<Opaque 1>"


class SetResultTests(HostCase):
    def send(self, value):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            mc.set_result(value)
        return self.host.results[-1], err.getvalue()

    def test_plain(self):
        self.assertEqual(self.send({"a": [1, 2.5, None, True, "é"]}),
                         ({"a": [1, 2.5, None, True, "é"]}, ""))
        self.assertTrue(_bridge.explicit_result)
        self.assertEqual(self.send(None), (None, ""))

    def test_conversions(self):
        value = {"p": Point(1, 2, b"hi"), "b": b"\x00\xff", "s": {3, 1, 2}, "t": (1, (2, 3)),
                 "f": frozenset(["a"]), "nested": [Point(0, 0)]}
        got, err = self.send(value)
        self.assertEqual(got, {"p": {"x": 1, "y": 2, "tag": "aGk="}, "b": "AP8=", "s": [1, 2, 3],
                               "t": [1, [2, 3]], "f": ["a"],
                               "nested": [{"x": 0, "y": 0, "tag": ""}]})
        self.assertEqual(err, "")
        self.assertEqual(self.send(TextContent("t"))[0], {"type": "text", "text": "t"})

    def test_unserializable_becomes_repr_with_one_warning(self):
        got, err = self.send({"o": Opaque(), "more": [Opaque()]})
        self.assertEqual(got, {"o": "<Opaque 1>", "more": ["<Opaque 1>"]})
        self.assertEqual(err.count("\n"), 1)
        self.assertIn("Opaque", err)
        self.assertIn("repr()", err)

    def test_invalid_unicode_is_replaced(self):
        got, err = self.send({"f\udcff": "name\udcff", "ok": "é"})
        self.assertEqual(got, {"f\ufffd": "name\ufffd", "ok": "é"})
        self.assertEqual(err.count("\n"), 1)

    def test_slow_path_nan_keys_cycles(self):
        cyc = [1]
        cyc.append(cyc)
        got, err = self.send({"n": float("nan"), (1, 2): "k", 3: "int key", "c": cyc,
                              "o": Opaque()})
        self.assertEqual(got, {"n": None, "(1, 2)": "k", "3": "int key",
                               "c": [1, "<circular reference>"], "o": "<Opaque 1>"})
        self.assertEqual(err.count("\n"), 4)


# -------------------------------------------------------------------------- bootstrap


class BootstrapTests(unittest.TestCase):
    def run_script(self, source, args=(), cwd=None, files=None, host=True, name="script.py",
                   timeout=10):
        tmp = tempfile.mkdtemp(prefix="mcpscript-test-")
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", tmp]))
        for rel, text in (files or {}).items():
            path = os.path.join(tmp, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(textwrap.dedent(text))
        script = os.path.join(tmp, name)
        if source is not None:
            with open(script, "w") as f:
                f.write(textwrap.dedent(source))
        env = dict(os.environ)
        env.pop(_bridge.ENV, None)
        env.pop("PYTHONPATH", None)
        fake = None
        pass_fds = ()
        if host:
            fake = FakeHost()
            env[_bridge.ENV] = fake.env_spec
            pass_fds = fake.child_fds
        proc = subprocess.Popen([sys.executable, BOOTSTRAP, script, *args], cwd=cwd or tmp,
                                env=env, pass_fds=pass_fds, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        if fake:
            fake.close_child_ends()
        try:
            out, err = proc.communicate(timeout=timeout)
        finally:
            if fake:
                fake.close()
                fake.join()
        return proc.returncode, out, err, fake, script

    def test_argv_and_path(self):
        rc, out, err, _, script = self.run_script("""
            import json, os, sys
            print(json.dumps({"argv": sys.argv, "path": sys.path[:3], "name": __name__,
                              "file": __file__, "env": os.environ.get("MCPSCRIPT_BRIDGE")}))
        """, args=["--flag", "x", "other.py", "--", "-v", ""])
        self.assertEqual(rc, 0, err)
        got = json.loads(out)
        self.assertEqual(got["argv"], [script, "--flag", "x", "other.py", "--", "-v", ""])
        self.assertEqual(got["path"][:2], [ROOT, os.path.dirname(script)])
        self.assertEqual((got["name"], got["file"], got["env"]), ("__main__", script, None))

    def test_seed_style_script_result_from_main(self):
        rc, out, err, host, _ = self.run_script("""
            '''SCRIPT: seed style'''
            import sys
            print("asyncio preloaded:", "asyncio" in sys.modules and "before" or "no")

            import argparse
            import asyncio

            def parse_args():
                parser = argparse.ArgumentParser()
                parser.add_argument("--repo-path", required=True)
                parser.add_argument("--max-commits", type=int, default=10)
                args_to_parse = [arg for arg in sys.argv[1:] if not arg.endswith(".py")]
                return parser.parse_args(args_to_parse)

            async def main():
                from runtime.mcp_client import call_mcp_tool
                args = parse_args()
                result = await call_mcp_tool("fx__echo", {"repo_path": args.repo_path,
                                                          "max_count": args.max_commits})
                print(f"Fetched {len(result)} keys")
                return {"echo": result["arguments"]}

            if __name__ == "__main__":
                asyncio.run(main())
        """, args=["--repo-path", ".", "--max-commits", "5"])
        self.assertEqual(rc, 0, err)
        self.assertIn("asyncio preloaded: no", out)
        self.assertIn("Fetched 4 keys", out)
        self.assertEqual(host.results, [{"echo": {"repo_path": ".", "max_count": 5}}])

    def test_explicit_set_result_wins(self):
        rc, out, err, host, _ = self.run_script("""
            import asyncio
            from runtime import set_result

            async def main():
                set_result({"explicit": True})
                return {"implicit": True}

            asyncio.run(main())
            asyncio.run(main())
        """)
        self.assertEqual(rc, 0, err)
        self.assertEqual(host.results, [{"explicit": True}, {"explicit": True}])

    def test_none_return_is_not_a_result_and_nested_runs_are_not_outermost(self):
        rc, out, err, host, _ = self.run_script("""
            import asyncio

            async def inner():
                return "inner"

            async def main():
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(None, asyncio.run, inner())  # not the outermost

            asyncio.run(main())
        """)
        self.assertEqual(rc, 0, err)
        self.assertEqual(host.results, [])

    def test_sync_script_and_dataclass_result(self):
        rc, out, err, host, _ = self.run_script("""
            from dataclasses import dataclass
            from runtime import call_tool_sync, set_result, list_servers_sync

            @dataclass
            class Report:
                servers: list
                echo: dict

            set_result(Report([s["name"] for s in list_servers_sync()],
                              call_tool_sync("fx", "echo", {"k": 1})["arguments"]))
        """)
        self.assertEqual(rc, 0, err)
        self.assertEqual(host.results, [{"servers": ["fx"], "echo": {"k": 1}}])

    def test_syntax_error(self):
        rc, out, err, host, script = self.run_script("x = 1\nif x\n    pass\n")
        self.assertEqual(rc, 2)
        self.assertIn(f"mcpscript: syntax error in {script}, line 2:", err)
        self.assertIn("    if x\n", err)
        self.assertIn("^", err)
        self.assertIn("SyntaxError: ", err)  # "expected ':'" on 3.10+
        self.assertIn("hint:", err)
        self.assertNotIn("Traceback", err)
        self.assertEqual(out, "")

    def test_missing_script(self):
        rc, out, err, _, script = self.run_script(None, name="nope.py")
        self.assertEqual(rc, 2)
        self.assertIn(f"mcpscript: script not found: {script}", err)
        self.assertIn("hint:", err)
        self.assertNotIn("Traceback", err)

    def test_exception_traceback_exit_1(self):
        rc, out, err, _, script = self.run_script("""
            import asyncio
            def helper():
                raise RuntimeError("kaput")
            async def main():
                helper()
            print("before")
            asyncio.run(main())
        """)
        self.assertEqual(rc, 1)
        self.assertEqual(out, "before\n")
        self.assertTrue(err.startswith("Traceback (most recent call last):"), err)
        self.assertIn(f'File "{script}", line 8, in <module>', err)
        self.assertIn(f'File "{script}", line 4, in helper', err)
        self.assertTrue(err.rstrip().endswith("RuntimeError: kaput"), err)
        self.assertNotIn("bootstrap.py", err)
        self.assertNotIn("_boot.py", err)

    def test_tool_error_traceback(self):
        rc, out, err, _, _ = self.run_script("""
            from runtime import call_tool_sync
            call_tool_sync("fx", "fail")
        """)
        self.assertEqual(rc, 1)
        self.assertIn("runtime.errors.ToolError: fx.fail returned an error: boom", err)

    def test_exit_codes(self):
        self.assertEqual(self.run_script("raise SystemExit(3)")[0], 3)
        rc, _, err, _, _ = self.run_script("import sys; sys.exit('bye')")
        self.assertEqual((rc, err), (1, "bye\n"))
        self.assertEqual(self.run_script("import sys; sys.exit()")[0], 0)
        rc, _, err, _, _ = self.run_script("raise KeyboardInterrupt")
        self.assertEqual(rc, 130)
        self.assertIn("KeyboardInterrupt", err)

    def test_fake_frames_on_stdout_are_just_output(self):
        rc, out, err, host, _ = self.run_script("""
            import sys
            print('{"id": 1, "op": "set_result", "value": "forged"}')
            print('{"id": 2, "op": "call_tool", "server": "fx", "tool": "echo"}')
            sys.stdout.flush()
            from runtime import set_result
            set_result("real")
        """)
        self.assertEqual(rc, 0, err)
        self.assertIn('"forged"', out)
        self.assertEqual(host.results, ["real"])
        self.assertEqual([r["op"] for r in host.requests], ["set_result"])

    def test_own_runtime_wins_and_servers_import_from_cwd(self):
        cwd = tempfile.mkdtemp(prefix="mcpscript-cwd-")
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", cwd]))
        os.makedirs(os.path.join(cwd, "servers"))
        with open(os.path.join(cwd, "servers", "__init__.py"), "w"):
            pass
        with open(os.path.join(cwd, "servers", "fx.py"), "w") as f:
            f.write("from runtime.mcp_client import call_mcp_tool\n"
                    "async def echo(**kw):\n    return await call_mcp_tool('fx__echo', kw)\n")
        rc, out, err, host, _ = self.run_script("""
            import asyncio
            from servers.fx import echo
            async def main():
                return (await echo(a=1))["arguments"]
            asyncio.run(main())
        """, cwd=cwd, files={"runtime/__init__.py": "raise ImportError('the seed runtime')",
                             "runtime/mcp_client.py": "raise ImportError('the seed runtime')"})
        self.assertEqual(rc, 0, err)
        self.assertEqual(host.results, [{"a": 1}])

    def test_bridge_fds_not_inherited(self):
        rc, out, err, host, _ = self.run_script("""
            import os, subprocess, sys
            from runtime import _bridge, list_servers_sync
            list_servers_sync()
            b = _bridge.get_bridge()
            print(os.get_inheritable(b.rfd), os.get_inheritable(b.wfd))
            code = "from runtime import list_servers_sync; list_servers_sync()"
            r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               env=dict(os.environ, PYTHONPATH=sys.path[0]))
            print("child:", r.returncode, "not running under" in r.stderr)
        """)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.splitlines(), ["False False", "child: 1 True"])

    def test_forked_child_cannot_use_the_bridge(self):
        rc, out, err, host, _ = self.run_script("""
            import os
            from runtime import list_servers_sync, BridgeError
            list_servers_sync()
            pid = os.fork()
            if pid == 0:
                try:
                    list_servers_sync()
                    os._exit(9)
                except BridgeError as e:
                    os._exit(7 if "forked" in str(e) else 8)
            _, status = os.waitpid(pid, 0)
            print(os.WEXITSTATUS(status), len(list_servers_sync()))
        """)
        self.assertEqual(rc, 0, err)
        self.assertEqual(out.strip(), "7 1")

    def test_no_bridge_run(self):
        rc, out, err, _, _ = self.run_script("""
            import asyncio
            async def main():
                return 1
            print(asyncio.run(main()))
        """, host=False)
        self.assertEqual((rc, out, err), (0, "1\n", ""))


if __name__ == "__main__":
    unittest.main()
