"""Exceptions raised by the mcpscript runtime.

Every exception derives from :class:`McpScriptError`, so ``except McpScriptError`` catches
anything a tool call can raise. Each carries ``message`` (the host's text), ``type`` (the host's
error type name, e.g. ``"ToolNotFoundError"``) and ``data`` (the whole error object the host
sent), plus the fields listed on each class.

=========================  ===============================================================
exception                  raised when
=========================  ===============================================================
:class:`ToolError`         the tool answered with ``isError: true`` (its content is kept)
:class:`ToolNotFoundError` no such server or tool (``suggestions`` holds close names)
:class:`InvalidArgumentsError` the arguments fail the tool's ``inputSchema``
:class:`ServerUnavailableError` the server did not start, died, is disabled or misconfigured
:class:`ToolTimeoutError`  no answer before the deadline
:class:`PolicyError`       the config's allow/deny lists refuse the tool
:class:`ProtocolError`     the server answered with a JSON-RPC error or something unreadable
:class:`BridgeError`       no bridge (not under ``mcpscript run``) or the run has ended
=========================  ===============================================================
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any

__all__ = [
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

#: How many of a server's last stderr lines ``str(ServerUnavailableError)`` shows.
STDERR_LINES_SHOWN = 5


def _rebuild(cls, message, state):
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


def _name(server, tool):
    if server and tool:
        return f"{server}.{tool}"
    return server or tool or "tool"


class McpScriptError(Exception):
    """Base class of every error the runtime raises.

    Attributes:
        message: the human-readable message (as sent by the host, when it came from the host).
        type: the host's error type name (``"ToolNotFoundError"``, ...), or the class name.
        data: the whole error object the host sent (empty when raised locally).
    """

    def __init__(self, message: str = "", *, type: str | None = None,
                 data: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.type = type or self.__class__.__name__
        self.data = data if data is not None else {}

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):
        return (_rebuild, (self.__class__, self.message, dict(self.__dict__)))


class ToolError(McpScriptError):
    """The tool ran and reported a failure (its result had ``isError: true``).

    Attributes:
        server, tool: which tool failed.
        content: the result's content blocks as typed objects (see :mod:`runtime.content`).
        result: the whole ``CallToolResult`` dict, exactly as received.
        message: the text of the error's text blocks, joined with newlines.
    """

    def __init__(self, message: str = "", *, server: str | None = None,
                 tool: str | None = None, content: list | None = None,
                 result: dict | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.server = server
        self.tool = tool
        self.content = content if content is not None else []
        self.result = result if result is not None else {}

    def __str__(self) -> str:
        return f"{_name(self.server, self.tool)} returned an error: {self.message or '(no text)'}"


class ToolNotFoundError(McpScriptError):
    """No such server, or the server has no such tool.

    Attributes:
        server, tool: what was asked for.
        suggestions: close names the host found (may be empty); ``str()`` says
            ``did you mean ...?`` when there are any.
    """

    def __init__(self, message: str = "", *, server: str | None = None,
                 tool: str | None = None, suggestions: list | tuple = (), **kw: Any) -> None:
        if not message:
            message = f'server "{server}" has no tool "{tool}"'
        super().__init__(message, **kw)
        self.server = server
        self.tool = tool
        self.suggestions = list(suggestions or ())

    def __str__(self) -> str:
        if self.suggestions and "did you mean" not in self.message:
            return f"{self.message} (did you mean {', '.join(self.suggestions)}?)"
        return self.message


class ServerUnavailableError(McpScriptError):
    """The server did not start, died, is disabled or is misconfigured.

    The script may catch it and go on; a crashed stdio server is restarted on the next call.

    Attributes:
        server: the server.
        stderr_tail: the server's last stderr lines (``str()`` shows the last few).
    """

    def __init__(self, message: str = "", *, server: str | None = None,
                 stderr_tail: list | tuple = (), **kw: Any) -> None:
        if not message:
            message = f'server "{server}" is unavailable'
        super().__init__(message, **kw)
        self.server = server
        self.stderr_tail = list(stderr_tail or ())

    def __str__(self) -> str:
        tail = [line for line in self.stderr_tail if line.strip()][-STDERR_LINES_SHOWN:]
        if not tail:
            return self.message
        lines = "\n".join("    " + line.rstrip() for line in tail)
        return f"{self.message}\n  last lines of the server's stderr:\n{lines}"


class ToolTimeoutError(McpScriptError):
    """The tool did not answer before its deadline.

    Attributes:
        server, tool: the call.
        timeout_ms: the deadline that passed, in milliseconds (``None`` if unknown).
    """

    def __init__(self, message: str = "", *, server: str | None = None,
                 tool: str | None = None, timeout_ms: int | None = None, **kw: Any) -> None:
        if not message:
            within = f" within {timeout_ms} ms" if timeout_ms is not None else ""
            message = f"{_name(server, tool)} did not answer{within}"
        super().__init__(message, **kw)
        self.server = server
        self.tool = tool
        self.timeout_ms = timeout_ms


class InvalidArgumentsError(McpScriptError):
    """The arguments do not match the tool's ``inputSchema`` (checked on the host).

    Attributes:
        server, tool: the call.
        errors: one ``{"path": "/a/b", "message": "..."}`` per failing place (``path`` is a JSON
            pointer into the arguments; ``""`` is the arguments object itself). ``str()`` lists
            each of them on its own line.
    """

    def __init__(self, message: str = "", *, server: str | None = None,
                 tool: str | None = None, errors: list | None = None, **kw: Any) -> None:
        if not message:
            message = f"{_name(server, tool)}: invalid arguments"
        super().__init__(message, **kw)
        self.server = server
        self.tool = tool
        self.errors = list(errors or ())

    def __str__(self) -> str:
        if not self.errors:
            return self.message
        lines = []
        for e in self.errors:
            if isinstance(e, dict):
                path, msg = e.get("path") or "", e.get("message") or ""
            else:
                path, msg = "", str(e)
            lines.append(f"  {path or '(arguments)'}: {msg}")
        return f"{_name(self.server, self.tool)}: invalid arguments:\n" + "\n".join(lines)


class PolicyError(McpScriptError):
    """The config's allow/deny lists refuse this tool.

    Attributes:
        server, tool: the refused call.
    """

    def __init__(self, message: str = "", *, server: str | None = None,
                 tool: str | None = None, **kw: Any) -> None:
        if not message:
            message = f"{_name(server, tool)} is not allowed by the config's allow/deny lists"
        super().__init__(message, **kw)
        self.server = server
        self.tool = tool


class ProtocolError(McpScriptError):
    """The server (or the host) answered with a JSON-RPC error or something unreadable.

    Attributes:
        server: the server, when known.
    """

    def __init__(self, message: str = "", *, server: str | None = None, **kw: Any) -> None:
        super().__init__(message or "protocol error", **kw)
        self.server = server


class BridgeError(McpScriptError):
    """The bridge to the host is unusable.

    Raised when the script is not running under ``mcpscript run`` (no bridge), when the run has
    ended (``"the run has ended"``: the host closed the channel), from a forked child process,
    or when the host rejected a malformed request.
    """


#: The host's error ``type`` names (docs/bridge.md) and the classes they become.
ERROR_TYPES: dict = {
    cls.__name__: cls
    for cls in (ToolNotFoundError, InvalidArgumentsError, ServerUnavailableError,
                ToolTimeoutError, PolicyError, ProtocolError, BridgeError, ToolError)
}

_FIELDS = {
    ToolNotFoundError: ("server", "tool", "suggestions"),
    InvalidArgumentsError: ("server", "tool", "errors"),
    ServerUnavailableError: ("server", "stderr_tail"),
    ToolTimeoutError: ("server", "tool", "timeout_ms"),
    PolicyError: ("server", "tool"),
    ProtocolError: ("server",),
    BridgeError: (),
    ToolError: ("server", "tool"),
}


def error_from_wire(error: Any, server: str | None = None,
                    tool: str | None = None) -> McpScriptError:
    """Build the exception for a host error object ``{"type": ..., "message": ..., ...}``.

    ``server``/``tool`` fill in the fields the host left out. An unknown ``type`` gives a plain
    :class:`McpScriptError` whose ``type`` attribute keeps the host's name.
    """
    if not isinstance(error, dict):
        return ProtocolError(f"unreadable error from the host: {error!r}", server=server)
    name = error.get("type")
    message = error.get("message")
    message = message if isinstance(message, str) else ""
    cls = ERROR_TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        return McpScriptError(message or f"{name} (no message)", type=str(name), data=error)
    fields = {}
    for key in _FIELDS[cls]:
        value = error.get(key)
        if value is None:
            value = server if key == "server" else tool if key == "tool" else None
        if value is not None:
            fields[key] = value
    return cls(message, type=name, data=error, **fields)
