"""A multi-tool pipeline: git → filesystem → memory, written the seed's way.

    mcpscript --config examples/mcp_config.json run examples/pipeline.py -- --repo-path . --max-commits 5

Reads recent commits with the git server, writes a summary file with the filesystem server,
and records the summary in the memory server's knowledge graph. Only the summary is printed;
the raw log never reaches the caller.
"""

import argparse
import asyncio
import sys


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo-path", default=".")
    parser.add_argument("--max-commits", type=int, default=5)
    parser.add_argument("--out", default="commit-summary.md", help="file to write (relative to the filesystem root)")
    # The seed's idiom: drop the script path if a harness passed it along.
    return parser.parse_args([a for a in sys.argv[1:] if not a.endswith(".py")])


async def main():
    from runtime.mcp_client import call_mcp_tool

    args = parse_args()
    log = await call_mcp_tool("git__git_log", {"repo_path": args.repo_path, "max_count": args.max_commits})
    commits = [line.split(":", 1)[1].strip() for line in str(log).splitlines() if line.startswith("Message:")]

    # The filesystem server declares an outputSchema, so its results arrive as structured
    # content: {"content": "Allowed directories:\n/path"}.
    roots = await call_mcp_tool("filesystem__list_allowed_directories", {})
    root = roots["content"].splitlines()[-1].strip()
    summary = "# Recent commits\n\n" + "".join(f"- {c}\n" for c in commits)
    await call_mcp_tool("filesystem__write_file", {"path": f"{root}/{args.out}", "content": summary})

    await call_mcp_tool("memory__create_entities", {"entities": [
        {"name": f"repo:{args.repo_path}", "entityType": "repository",
         "observations": [f"latest commit: {commits[0]}" if commits else "no commits"]},
    ]})
    print(f"{len(commits)} commits summarised into {args.out}")
    return {"commits": commits, "file": f"{root}/{args.out}"}


if __name__ == "__main__":
    asyncio.run(main())
