"""Call MCP tools from a script run by ``mcpscript run``.

The calls go over the bridge to the mcpscript host, which owns the connections to the real MCP
servers (configured in ``mcp_config.json``). Scripts never start servers themselves.

Async API (use inside ``async def main()`` / ``asyncio.run(main())``; ``asyncio.gather`` of N
calls runs N calls at once on the host)::

    from runtime.mcp_client import call_mcp_tool, call_tool
    status = await call_mcp_tool("git__git_status", {"repo_path": "."})   # the seed's API
    log = await call_tool("git", "git_log", {"repo_path": ".", "max_count": 5})

Sync API (plain scripts without an event loop; also safe inside one)::

    from runtime import call_tool_sync, set_result
    now = call_tool_sync("time", "get_current_time", {"timezone": "UTC"})
    set_result({"now": now})

Results (``call_tool``, ``call_mcp_tool``, their sync twins) are unwrapped by
:func:`unwrap_result`: ``isError`` raises :class:`ToolError`; ``structuredContent`` is returned
as is; a single text block is parsed as JSON when it is JSON, else returned as ``str``; anything
else is a list of typed blocks (:mod:`runtime.content`). ``call_tool_raw`` returns the whole
``CallToolResult`` dict instead, losslessly.

The script's structured result is what it passes to :func:`set_result`; a script that never
calls it but returns a value (other than ``None``) from the coroutine it gives to the outermost
``asyncio.run(...)`` (the seed's ``asyncio.run(main())``) has that value sent as its result.
"""

from __future__ import annotations

import os
import sys

from . import _bridge
from ._bridge import get_bridge
from .errors import (
    BridgeError,
    InvalidArgumentsError,
    McpScriptError,
    PolicyError,
    ProtocolError,
    ServerUnavailableError,
    ToolError,
    ToolNotFoundError,
    ToolTimeoutError,
    error_from_wire,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any

__all__ = [
    # async
    "call_mcp_tool",
    "call_tool",
    "call_tool_raw",
    "list_servers",
    "list_tools",
    # sync
    "call_mcp_tool_sync",
    "call_tool_sync",
    "call_tool_raw_sync",
    "list_servers_sync",
    "list_tools_sync",
    # results and helpers
    "set_result",
    "log",
    "unwrap_result",
    "split_identifier",
    # errors
    "McpScriptError",
    "ToolError",
    "ToolNotFoundError",
    "ServerUnavailableError",
    "ToolTimeoutError",
    "InvalidArgumentsError",
    "PolicyError",
    "ProtocolError",
    "BridgeError",
]

_LOG_LEVELS = ("debug", "info", "warning", "error")


# ---------------------------------------------------------------------- helpers


def split_identifier(identifier: str) -> tuple:
    """``"server__tool"`` → ``("server", "tool")``, split on the FIRST ``__``.

    Tool names may themselves contain ``__``: ``"a__b__c"`` is tool ``b__c`` of server ``a``.
    Raises ``ValueError`` when either part would be empty.
    """
    if not isinstance(identifier, str):
        raise TypeError(f"a tool identifier is a str like 'git__git_status', "
                        f"not {type(identifier).__name__}")
    server, sep, tool = identifier.partition("__")
    if not sep or not server or not tool:
        raise ValueError(f"{identifier!r} is not a 'server__tool' identifier "
                         f"(e.g. 'git__git_status': server 'git', tool 'git_status')")
    return server, tool


def _check_name(what: str, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise TypeError(f"{what} must be a non-empty str, not {value!r}")


def _call_frame(server: str, tool: str, args: Any, timeout: Any) -> dict:
    _check_name("server", server)
    _check_name("tool", tool)
    if args is not None and type(args) is not dict:
        if isinstance(args, dict) or hasattr(args, "keys"):
            args = dict(args)
        else:
            raise TypeError(f"arguments of {server}.{tool} must be a dict (or None), "
                            f"not {type(args).__name__}")
    frame = {"op": "call_tool", "server": server, "tool": tool, "arguments": args}
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, not {timeout!r}")
        # Beyond a year is no limit at all (and inf or 1e20 would not fit the host's u64).
        ms = min(timeout, 365 * 86400) * 1000
        frame["timeout_ms"] = int(ms) + (1 if ms != int(ms) else 0)
    return frame


def _encode_value(o: Any, strict: bool, warned: set | None = None) -> Any:
    """``default`` hook: turn common non-JSON values into JSON ones.

    dataclasses → dict of their fields; sets → lists; bytes → base64 text; paths → str;
    datetime/date/time → ISO 8601 text; content blocks → their wire dicts. Anything else raises
    ``TypeError`` when ``strict`` (tool arguments), or becomes ``repr(o)`` with a one-line
    warning on stderr (``set_result``).
    """
    cls = type(o)
    if getattr(cls, "_mcpscript_block", False):
        return o.to_dict()
    if hasattr(cls, "__dataclass_fields__") and not isinstance(o, type):
        fields = sys.modules["dataclasses"].fields
        return {f.name: getattr(o, f.name) for f in fields(o)}
    if isinstance(o, (set, frozenset)):
        try:
            return sorted(o)
        except TypeError:
            return list(o)
    if isinstance(o, (bytes, bytearray, memoryview)):
        import binascii

        return binascii.b2a_base64(o, newline=False).decode("ascii")
    if isinstance(o, os.PathLike):
        return os.fsdecode(os.fspath(o))
    if cls.__module__ == "datetime" and hasattr(o, "isoformat"):
        return o.isoformat()
    if strict:
        raise TypeError(f"Object of type {cls.__name__} is not JSON serializable")
    if warned is not None and cls.__name__ not in warned:
        warned.add(cls.__name__)
        _warn(f"set_result: {cls.__module__}.{cls.__qualname__} is not JSON-serializable; "
              f"sending its repr() instead")
    return repr(o)


def _args_default(o: Any) -> Any:
    return _encode_value(o, True)


def _warn(message: str) -> None:
    try:
        sys.stderr.write(f"mcpscript: warning: {message}\n")
        sys.stderr.flush()
    except Exception:  # pragma: no cover
        pass


def _unpack(msg: dict, server: str | None = None, tool: str | None = None) -> Any:
    if msg.get("ok") is True:
        return msg.get("result")
    raise error_from_wire(msg.get("error"), server, tool)


def _error_text(content: Any) -> str:
    texts = []
    if isinstance(content, list):
        for b in content:
            if isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str):
                texts.append(b["text"])
    return "\n".join(texts)


def unwrap_result(result: Any, server: str | None = None, tool: str | None = None) -> Any:
    """Unwrap a raw ``CallToolResult`` dict the way :func:`call_tool` does.

    1. ``isError: true`` → raise :class:`ToolError` (its ``message`` is the text of the error's
       text blocks; ``content`` the typed blocks; ``result`` the raw dict);
    2. ``structuredContent`` present → returned as is. Note that servers built with the Python
       MCP SDK wrap a primitive return value, so a tool returning ``5`` gives ``{"result": 5}``:
       that dict is returned unchanged;
    3. exactly one text block → its text parsed as JSON when it is valid JSON, else the ``str``;
    4. no content blocks → ``None``;
    5. otherwise → a list of typed blocks (:class:`~runtime.content.TextContent`,
       :class:`~runtime.content.ImageContent`, ...; unknown block types stay dicts).
    """
    if not isinstance(result, dict):
        return result
    content = result.get("content")
    if result.get("isError"):
        from .content import parse_content

        message = _error_text(content)
        raise ToolError(message, server=server, tool=tool, content=parse_content(content),
                        result=result)
    structured = result.get("structuredContent")
    if structured is not None:
        return structured
    if not content or not isinstance(content, list):
        return None
    if len(content) == 1:
        block = content[0]
        if isinstance(block, dict) and block.get("type") == "text":
            text = block.get("text")
            if isinstance(text, str):
                if text and text.lstrip()[:1] in _JSON_START:
                    try:
                        return _bridge._json.loads(text)
                    except ValueError:
                        pass
                return text
    from .content import parse_content

    return parse_content(content)


# Characters a JSON document can start with (after whitespace): skip the parse attempt for
# plain prose. "N"/"I" cover NaN/Infinity, which json.loads accepts too; '"' a JSON string.
_JSON_START = frozenset('{["-0123456789tfnNI\"')


# ---------------------------------------------------------------------- async API


async def call_tool_raw(server: str, tool: str, args: dict | None = None, *,
                        timeout: float | None = None) -> dict:
    """Call ``tool`` on ``server`` and return the whole MCP ``CallToolResult`` dict, exactly as
    the server sent it: ``content`` (every block), ``structuredContent``, ``isError``, ``_meta``.

    ``isError: true`` does NOT raise here (see :func:`unwrap_result`). ``timeout`` (seconds) can
    only shorten the server's configured timeout. Raises :class:`ToolNotFoundError`,
    :class:`InvalidArgumentsError`, :class:`ServerUnavailableError`, :class:`ToolTimeoutError`,
    :class:`PolicyError`, :class:`ProtocolError` or :class:`BridgeError`.
    """
    msg = await get_bridge().request(_call_frame(server, tool, args, timeout), _args_default)
    return _unpack(msg, server, tool)


async def call_tool(server: str, tool: str, args: dict | None = None, *,
                    timeout: float | None = None) -> Any:
    """Call ``tool`` on ``server`` with ``args`` and return the unwrapped result.

    See :func:`unwrap_result` for what comes back (``structuredContent``, parsed JSON text,
    the text, or typed content blocks) and :func:`call_tool_raw` for the errors; an ``isError``
    result raises :class:`ToolError`.
    """
    msg = await get_bridge().request(_call_frame(server, tool, args, timeout), _args_default)
    return unwrap_result(_unpack(msg, server, tool), server, tool)


async def call_mcp_tool(identifier: str, args: dict | None = None, *,
                        timeout: float | None = None, arguments: dict | None = None) -> Any:
    """The seed's API: ``await call_mcp_tool("git__git_status", {"repo_path": "."})``.

    ``identifier`` is ``server__tool``, split on the first ``__`` (so ``"a__b__c"`` is tool
    ``b__c`` on server ``a``). Returns the unwrapped result, like :func:`call_tool`.
    ``arguments=`` is accepted as another name for ``args``.
    """
    server, tool = split_identifier(identifier)
    if args is None:
        args = arguments
    return await call_tool(server, tool, args, timeout=timeout)


async def list_servers() -> list:
    """The configured servers: ``[{"name", "transport", "state", "error"?}, ...]``
    (``state``: ``configured``, ``disabled`` or ``invalid``). Connects to nothing."""
    return _unpack(await get_bridge().request({"op": "list_servers"}))


async def list_tools(server: str) -> list:
    """The tools of ``server``, each exactly as the server described it (``name``,
    ``description``, ``inputSchema``, ``outputSchema``, ``annotations``, ...)."""
    _check_name("server", server)
    return _unpack(await get_bridge().request({"op": "list_tools", "server": server}), server)


# ---------------------------------------------------------------------- sync API


def call_tool_raw_sync(server: str, tool: str, args: dict | None = None, *,
                       timeout: float | None = None) -> dict:
    """Blocking :func:`call_tool_raw`: the whole ``CallToolResult`` dict."""
    msg = get_bridge().request_sync(_call_frame(server, tool, args, timeout), _args_default)
    return _unpack(msg, server, tool)


def call_tool_sync(server: str, tool: str, args: dict | None = None, *,
                   timeout: float | None = None) -> Any:
    """Blocking :func:`call_tool`: the unwrapped result (see :func:`unwrap_result`).

    Works without an event loop, from threads, and inside a running loop (it blocks the loop
    while it waits, but responses to the loop's own pending calls are still delivered).
    """
    msg = get_bridge().request_sync(_call_frame(server, tool, args, timeout), _args_default)
    return unwrap_result(_unpack(msg, server, tool), server, tool)


def call_mcp_tool_sync(identifier: str, args: dict | None = None, *,
                       timeout: float | None = None, arguments: dict | None = None) -> Any:
    """Blocking :func:`call_mcp_tool` (``"server__tool"`` identifier)."""
    server, tool = split_identifier(identifier)
    if args is None:
        args = arguments
    return call_tool_sync(server, tool, args, timeout=timeout)


def list_servers_sync() -> list:
    """Blocking :func:`list_servers`."""
    return _unpack(get_bridge().request_sync({"op": "list_servers"}))


def list_tools_sync(server: str) -> list:
    """Blocking :func:`list_tools`."""
    _check_name("server", server)
    return _unpack(get_bridge().request_sync({"op": "list_tools", "server": server}), server)


# ---------------------------------------------------------------------- result and log


def _sanitize(v: Any, warned: set, active: set) -> Any:
    """Slow path of :func:`set_result`: a pure JSON copy of ``v`` (non-str keys → str,
    NaN/inf → null, cycles cut, lone surrogates replaced), each oddity warned about once."""
    if v is None or isinstance(v, (bool, int)):
        return v
    if isinstance(v, str):
        try:
            v.encode("utf-8")
            return v
        except UnicodeEncodeError:  # lone surrogates (undecodable file names, ...)
            if "surrogate" not in warned:
                warned.add("surrogate")
                _warn("set_result: a string is not valid Unicode; bad characters replaced")
            return v.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    if isinstance(v, float):
        if v - v == 0:  # finite
            return v
        if "float" not in warned:
            warned.add("float")
            _warn("set_result: NaN/Infinity are not JSON; sending null instead")
        return None
    vid = id(v)
    if vid in active:
        if "cycle" not in warned:
            warned.add("cycle")
            _warn("set_result: the value contains a reference cycle; cut there")
        return "<circular reference>"
    active.add(vid)
    try:
        if isinstance(v, dict):
            out = {}
            for k, x in v.items():
                if isinstance(k, str):
                    key = _sanitize(k, warned, active)
                elif k is None or isinstance(k, (bool, int, float)):
                    key = _bridge._json.dumps(k)
                else:
                    key = str(k)
                    if "key" not in warned:
                        warned.add("key")
                        _warn(f"set_result: dict key of type {type(k).__name__} sent as str()")
                out[key] = _sanitize(x, warned, active)
            return out
        if isinstance(v, (list, tuple)):
            return [_sanitize(x, warned, active) for x in v]
        return _sanitize(_encode_value(v, False, warned), warned, active)
    finally:
        active.discard(vid)


def _send_result(value: Any) -> None:
    warned: set = set()

    def lenient(o: Any) -> Any:
        return _encode_value(o, False, warned)

    bridge = get_bridge()
    try:
        msg = bridge.request_sync({"op": "set_result", "value": value}, lenient)
    except (TypeError, ValueError, RecursionError):
        clean = _sanitize(value, warned, set())
        msg = bridge.request_sync({"op": "set_result", "value": clean})
    _unpack(msg)


def set_result(value: Any) -> None:
    """Hand ``value`` back to the caller of ``mcpscript run`` as the run's structured result.

    The value is sent as JSON: dataclasses become dicts of their fields, tuples and sets lists,
    ``bytes`` base64 text, paths ``str``, dates ISO 8601 text; anything else JSON cannot hold is
    sent as its ``repr()`` with a one-line warning on stderr. Calling it again replaces the
    result. An explicit ``set_result`` wins over a value returned from ``main()``.
    """
    _bridge.explicit_result = True
    _send_result(value)


def log(message: str, level: str = "info") -> None:
    """Send a log line to the host (``debug``, ``info``, ``warning`` or ``error``); it shows up
    in mcpscript's logs, not in the script's output. Without a bridge it goes to stderr."""
    if level not in _LOG_LEVELS:
        raise ValueError(f"level must be one of {', '.join(_LOG_LEVELS)}, not {level!r}")
    try:
        get_bridge().notify({"op": "log", "level": level, "message": str(message)})
    except BridgeError:
        sys.stderr.write(f"[{level}] {message}\n")
