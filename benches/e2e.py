#!/usr/bin/env python3
"""End-to-end benchmarks of `mcpscript run` (whole processes, wall clock).

    cargo build --release -p mcpscript
    python3 benches/e2e.py [--bin target/release/mcpscript] [--runs 30]

Measures, against mcpscript's own demo server (the fixture: `mcpscript demo-server`):
  cold_run      `mcpscript run one_call.py`: process start to exit, one tool call
  server_start  the demo server's spawn + initialize, as `servers check --json` reports it
  empty_run     `mcpscript run empty.py`: no tool call, no server started
  python        the interpreter alone: `python3 empty.py`
  fanout        inside one run: 16 parallel calls of a tool sleeping 50 ms vs one such call
  throughput    inside one run: 2000 echo calls with 16 in flight, calls per second

Prints a Markdown table. Medians over --runs runs; the machine is whatever runs this.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ONE_CALL = "from runtime import call_tool_sync\ncall_tool_sync('demo', 'echo', {'text': 'hi'})\n"
EMPTY = "pass\n"
FANOUT = """
import asyncio, time
from runtime import call_tool, set_result
async def main():
    await call_tool("demo", "sleep", {"ms": 1})
    ones, sixteens = [], []
    for _ in range(10):
        t = time.perf_counter(); await call_tool("demo", "sleep", {"ms": 50}); ones.append(time.perf_counter() - t)
        t = time.perf_counter()
        await asyncio.gather(*[call_tool("demo", "sleep", {"ms": 50}) for _ in range(16)])
        sixteens.append(time.perf_counter() - t)
    ones.sort(); sixteens.sort()
    set_result({"one_ms": ones[5] * 1000, "sixteen_ms": sixteens[5] * 1000})
asyncio.run(main())
"""
THROUGHPUT = """
import asyncio, time
from runtime import call_tool, set_result
N = 2000
async def worker(queue):
    while True:
        try:
            i = queue.get_nowait()
        except asyncio.QueueEmpty:
            return
        await call_tool("demo", "echo", {"text": "x"})
async def main():
    await call_tool("demo", "echo", {"text": "warm"})
    queue = asyncio.Queue()
    for i in range(N):
        queue.put_nowait(i)
    t = time.perf_counter()
    await asyncio.gather(*[worker(queue) for _ in range(16)])
    set_result({"calls_per_s": N / (time.perf_counter() - t)})
asyncio.run(main())
"""
SEQUENTIAL = """
import asyncio, time
from runtime import call_tool, call_tool_sync, set_result
async def main():
    for _ in range(200):
        await call_tool("demo", "echo", {"text": "x"})
    a = []
    for _ in range(2000):
        t = time.perf_counter_ns(); await call_tool("demo", "echo", {"text": "x"}); a.append(time.perf_counter_ns() - t)
    return a
a = asyncio.run(main())
s = []
for _ in range(2000):
    t = time.perf_counter_ns(); call_tool_sync("demo", "echo", {"text": "x"}); s.append(time.perf_counter_ns() - t)
a.sort(); s.sort()
set_result({"async_us": a[len(a) // 2] / 1000, "sync_us": s[len(s) // 2] / 1000})
"""


def timed(cmd, env):
    t = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - t) * 1000


def run_json(bin_, script, env):
    out = subprocess.run([bin_, "run", script, "--json"], env=env, capture_output=True, check=True)
    return json.loads(out.stdout)["result"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default="target/release/mcpscript")
    ap.add_argument("--runs", type=int, default=30)
    opts = ap.parse_args()
    bin_ = os.path.abspath(opts.bin)
    env = dict(os.environ)
    env.pop("MCPSCRIPT_CONFIG", None)
    python = env.get("MCPSCRIPT_PYTHON") or "python3"
    with tempfile.TemporaryDirectory() as d:
        os.chdir(d)  # no mcp_config.json here: the built-in demo config
        files = {}
        for name, text in [("one_call.py", ONE_CALL), ("empty.py", EMPTY), ("fanout.py", FANOUT),
                           ("throughput.py", THROUGHPUT), ("sequential.py", SEQUENTIAL)]:
            with open(name, "w") as f:
                f.write(text)
            files[name] = os.path.join(d, name)
        # Warm the runtime cache and the page cache once.
        timed([bin_, "run", files["one_call.py"]], env)
        rows = {}
        rows["cold_run"] = statistics.median(timed([bin_, "run", files["one_call.py"]], env) for _ in range(opts.runs))
        rows["empty_run"] = statistics.median(timed([bin_, "run", files["empty.py"]], env) for _ in range(opts.runs))
        rows["python"] = statistics.median(timed([python, files["empty.py"]], env) for _ in range(opts.runs))
        starts = []
        for _ in range(opts.runs):
            out = subprocess.run([bin_, "servers", "check", "--json"], env=env, capture_output=True, check=True)
            starts.append(json.loads(out.stdout)[0]["init_ms"])
        rows["server_start"] = statistics.median(starts)
        fan = run_json(bin_, files["fanout.py"], env)
        thr = run_json(bin_, files["throughput.py"], env)
        seq = run_json(bin_, files["sequential.py"], env)

    print(f"interpreter: {python}; runs: {opts.runs}; binary: {bin_}\n")
    print("| measure | median |")
    print("|---|---|")
    print(f"| cold `mcpscript run` of a one-call script (wall) | {rows['cold_run']:.1f} ms |")
    print(f"| demo server spawn + initialize (from `servers check`) | {rows['server_start']:.1f} ms |")
    print(f"| **cold run beyond the server's start** | **{rows['cold_run'] - rows['server_start']:.1f} ms** |")
    print(f"| `mcpscript run` of an empty script (no server) | {rows['empty_run']:.1f} ms |")
    print(f"| `python3 empty.py` alone | {rows['python']:.1f} ms |")
    print(f"| one call of a 50 ms tool, inside a run | {fan['one_ms']:.1f} ms |")
    print(f"| 16 parallel calls of the 50 ms tool | {fan['sixteen_ms']:.1f} ms ({fan['sixteen_ms'] / fan['one_ms']:.2f}×) |")
    print(f"| sequential echo round trip, `await call_tool` | {seq['async_us']:.0f} µs |")
    print(f"| sequential echo round trip, `call_tool_sync` | {seq['sync_us']:.0f} µs |")
    print(f"| echo throughput, 16 in flight | {thr['calls_per_s']:.0f} calls/s |")


if __name__ == "__main__":
    sys.exit(main())
