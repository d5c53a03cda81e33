"""A first mcpscript script, against the built-in demo server (no config needed).

    mcpscript run examples/quickstart.py
    mcpscript run examples/quickstart.py --json -- "Your own text to analyse"

It shows the shape of every mcpscript script: call tools, keep the intermediate data in the
script, print (or hand back) only what matters.
"""

import asyncio
import sys

from runtime import ToolError, call_tool, set_result

TEXT = " ".join(sys.argv[1:]) or (
    "Code mode keeps tool results out of the model's context. "
    "The model writes a short script; the script calls the tools; "
    "only the answer comes back to the model."
)


async def main() -> None:
    # One call: structured results arrive as Python values.
    stats = await call_tool("demo", "word_stats", {"text": TEXT})
    print(f"{stats['words']} words, top word: {stats['top_words'][0]['word']!r}")

    # A small pipeline: save notes, then search them. The data never leaves the script.
    for title, body in [("idea", TEXT), ("todo", "try mcpscript with my own servers")]:
        await call_tool("demo", "notes_add", {"title": title, "body": body})
    found = await call_tool("demo", "notes_search", {"query": "mcpscript"})
    print(f"notes mentioning mcpscript: {len(found['notes'])}")

    # Fan-out: these eight calls run at the same time on the host (about 0.2 s, not 1.6 s).
    slept = await asyncio.gather(*[call_tool("demo", "sleep", {"ms": 200}) for _ in range(8)])
    print(f"{len(slept)} parallel calls done")

    # A tool that fails raises ToolError with the server's message.
    try:
        await call_tool("demo", "fail", {"message": "this one fails on purpose"})
    except ToolError as e:
        print(f"caught: {e}")

    # Hand a structured result back to the caller (`mcpscript run --json` shows it).
    set_result({"words": stats["words"], "notes_found": len(found["notes"])})


asyncio.run(main())
