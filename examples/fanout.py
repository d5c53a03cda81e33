"""Parallel fan-out: many calls at once, across servers, with per-call errors handled.

    mcpscript --config examples/mcp_config.json run examples/fanout.py -- Europe/Paris Asia/Tokyo America/New_York

`asyncio.gather` puts every call in flight at the same time; mcpscript runs them in parallel on
the host (each server's `max_concurrency` bounds how many it gets at once).
"""

import asyncio
import sys
import time

from runtime import McpScriptError, call_tool, set_result

ZONES = sys.argv[1:] or ["Europe/Paris", "Asia/Tokyo", "America/New_York", "Australia/Sydney", "Not/AZone"]


async def zone_time(zone):
    try:
        now = await call_tool("time", "get_current_time", {"timezone": zone})
        return zone, now["datetime"]
    except McpScriptError as e:  # ToolError for a bad zone, ServerUnavailableError, ...
        return zone, f"error: {e}"


async def main():
    started = time.perf_counter()
    times, sums = await asyncio.gather(
        asyncio.gather(*[zone_time(z) for z in ZONES]),
        asyncio.gather(*[call_tool("everything", "get-sum", {"a": i, "b": i}) for i in range(20)]),
    )
    for zone, value in times:
        print(f"{zone:20} {value}")
    print(f"{len(times) + len(sums)} calls in {time.perf_counter() - started:.2f} s")
    set_result(dict(times))


asyncio.run(main())
