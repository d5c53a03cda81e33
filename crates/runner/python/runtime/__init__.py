"""The mcpscript runtime: call MCP tools from scripts run by ``mcpscript run``.

Everything public is importable from here or from :mod:`runtime.mcp_client` (the seed's module
name)::

    from runtime import call_tool, call_tool_sync, set_result, ToolError
    from runtime.mcp_client import call_mcp_tool

Names are loaded on first use, so ``import runtime`` costs next to nothing.

Modules: :mod:`runtime.mcp_client` (the API), :mod:`runtime.errors` (exceptions),
:mod:`runtime.content` (typed content blocks).
"""

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from .content import (AudioContent, EmbeddedResource, ImageContent, ResourceLink,
                          TextContent)
    from .errors import (BridgeError, InvalidArgumentsError, McpScriptError, PolicyError,
                         ProtocolError, ServerUnavailableError, ToolError, ToolNotFoundError,
                         ToolTimeoutError)
    from .mcp_client import (call_mcp_tool, call_mcp_tool_sync, call_tool, call_tool_raw,
                             call_tool_raw_sync, call_tool_sync, list_servers,
                             list_servers_sync, list_tools, list_tools_sync, log, set_result,
                             split_identifier, unwrap_result)

_EXPORTS = {
    "call_mcp_tool": "mcp_client",
    "call_tool": "mcp_client",
    "call_tool_raw": "mcp_client",
    "list_servers": "mcp_client",
    "list_tools": "mcp_client",
    "call_mcp_tool_sync": "mcp_client",
    "call_tool_sync": "mcp_client",
    "call_tool_raw_sync": "mcp_client",
    "list_servers_sync": "mcp_client",
    "list_tools_sync": "mcp_client",
    "set_result": "mcp_client",
    "log": "mcp_client",
    "unwrap_result": "mcp_client",
    "split_identifier": "mcp_client",
    "McpScriptError": "errors",
    "ToolError": "errors",
    "ToolNotFoundError": "errors",
    "ServerUnavailableError": "errors",
    "ToolTimeoutError": "errors",
    "InvalidArgumentsError": "errors",
    "PolicyError": "errors",
    "ProtocolError": "errors",
    "BridgeError": "errors",
    "TextContent": "content",
    "ImageContent": "content",
    "AudioContent": "content",
    "ResourceLink": "content",
    "EmbeddedResource": "content",
}

__all__ = list(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import sys

    full = f"{__name__}.{module}"
    __import__(full)
    value = getattr(sys.modules[full], name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
