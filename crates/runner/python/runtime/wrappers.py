"""What generated wrappers (``mcpscript generate``) are made of.

A wrapper module declares its tool as a documented, typed function with no body, and
:func:`mcp_tool` turns it into the call::

    @mcp_tool("everything", "get-sum", {"from_": "from"})
    async def get_sum(*, a: float, from_: float | None = None) -> Any:
        \"\"\"Returns the sum of two numbers.\"\"\"

    get_sum_sync = get_sum.sync

Calling ``get_sum(a=1)`` checks the keyword arguments the way Python checks a call
(unknown and missing names raise ``TypeError``), leaves out optional arguments that are
``None`` or not given (the server applies its own defaults), renames the ones whose Python name
differs from the tool's argument name, and returns the awaitable of
:func:`runtime.mcp_client.call_tool`.
``.sync`` is the blocking twin (:func:`runtime.mcp_client.call_tool_sync`). A function with
``**arguments`` passes its keyword arguments through as given.
"""

from __future__ import annotations

from .mcp_client import call_tool, call_tool_sync

try:
    from typing import NotRequired
except ImportError:  # Python < 3.11: wrappers still import; the key just counts as required
    class _NotRequired:
        """``NotRequired[T]`` is ``T`` on interpreters whose ``typing`` lacks it."""

        def __getitem__(self, item):
            return item

    NotRequired = _NotRequired()

__all__ = ["mcp_tool", "NotRequired"]

_CO_VARKEYWORDS = 0x08


def mcp_tool(server: str, tool: str, rename: dict | None = None):
    """Decorator: the declared function becomes an async call of ``tool`` on ``server``;
    ``rename`` maps Python parameter names to the tool's argument names where they differ."""

    def declare(fn):
        code = fn.__code__
        start = code.co_argcount
        names = code.co_varnames[start:start + code.co_kwonlyargcount]
        optional = frozenset(fn.__kwdefaults__ or ())
        required = tuple(n for n in names if n not in optional)
        keys = {n: (rename or {}).get(n, n) for n in names}
        passthrough = bool(code.co_flags & _CO_VARKEYWORDS)
        label = f"{fn.__name__}()"

        def arguments(args: tuple, kwargs: dict) -> dict:
            if args:
                raise TypeError(f"{label} takes keyword arguments only "
                                f"({len(args)} positional given)")
            if passthrough:
                return kwargs
            out = {}
            for name, value in kwargs.items():
                key = keys.get(name)
                if key is None:
                    raise TypeError(f"{label} got an unexpected keyword argument {name!r}"
                                    f" (it takes: {', '.join(names) or 'no arguments'})")
                if value is not None or name not in optional:
                    out[key] = value
            for n in required:
                if n not in kwargs:
                    missing = [n for n in required if n not in kwargs]
                    raise TypeError(f"{label} missing required keyword argument"
                                    f"{'s' if len(missing) > 1 else ''}: "
                                    f"{', '.join(repr(n) for n in missing)}")
            return out

        def call(*args, **kwargs):
            # Arguments are checked when the call is made, as for any function; the awaitable
            # is call_tool's coroutine itself.
            return call_tool(server, tool, arguments(args, kwargs))

        def call_sync(*args, **kwargs):
            return call_tool_sync(server, tool, arguments(args, kwargs))

        for f, name, doc in (
            (call, fn.__name__, fn.__doc__),
            (call_sync, f"{fn.__name__}_sync",
             f"Blocking `{fn.__name__}`, for code without an event loop: same arguments, "
             "same result."),
        ):
            f.__name__ = name
            f.__qualname__ = name
            f.__module__ = fn.__module__
            f.__doc__ = doc
            f.__annotations__ = fn.__annotations__
            f.__wrapped__ = fn  # inspect.signature() and help() show the declared signature
            f.server, f.tool = server, tool
        call.sync = call_sync
        return call

    return declare
