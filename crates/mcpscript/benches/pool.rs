#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
//! Client pool overhead against a bare rmcp client, both talking to `mcpscript demo-server`.
//!
//! `call_latency`: `echo {"text":"hi"}` on an already-connected server, one at a time and 16 in
//! flight. `spawn_initialize`: spawn + initialize + one `tools/list` + shutdown.
//!
//! `bridge`: the same `echo` from a Python script through the bridge (`mcpscript run`'s path:
//! script → pipes → host → pool → server and back), timed inside Python so interpreter start-up
//! is excluded, beside direct pool calls in the same group.
//!
//! Run with `cargo bench -p mcpscript --bench pool`; results are in docs/benchmarks.md.

use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures::future::join_all;
use mcpscript_client::{JsonObject, Pool};
use mcpscript_config::Config;
use rmcp::model::CallToolRequestParams;
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::TokioChildProcess;
use rmcp::{Peer, ServiceExt};
use tokio::runtime::Runtime;

const BIN: &str = env!("CARGO_BIN_EXE_mcpscript");
const IN_FLIGHT: usize = 16;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn pool() -> Pool {
    let json = serde_json::json!({
        "mcpServers": { "demo": { "command": BIN, "args": ["demo-server"] } }
    })
    .to_string();
    let config = Config::parse(&json, Path::new("bench.json"), &|k| std::env::var(k).ok())
        .expect("bench config parses");
    Pool::new(&config)
}

async fn bare_client() -> RunningService<RoleClient, ()> {
    let mut command = tokio::process::Command::new(BIN);
    command.arg("demo-server");
    let transport = TokioChildProcess::new(command).expect("spawn demo-server");
    ().serve(transport).await.expect("initialize demo-server")
}

fn echo_args() -> JsonObject {
    let mut args = JsonObject::new();
    args.insert("text".into(), "hi".into());
    args
}

async fn pool_echo(pool: &Pool, args: &JsonObject) {
    let result = pool
        .call_tool("demo", "echo", Some(args.clone()), None)
        .await
        .expect("pool echo");
    assert_ne!(result.is_error, Some(true));
}

async fn bare_echo(peer: &Peer<RoleClient>, args: &JsonObject) {
    let params = CallToolRequestParams::new("echo").with_arguments(args.clone());
    let result = peer.call_tool(params).await.expect("bare echo");
    assert_ne!(result.is_error, Some(true));
}

fn call_latency(c: &mut Criterion) {
    let rt = runtime();
    let args = echo_args();

    let pool = pool();
    rt.block_on(pool.connect("demo")).expect("pool connects");
    let bare = rt.block_on(bare_client());
    let peer = bare.peer().clone();

    let mut group = c.benchmark_group("call_latency");
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(5));

    group.throughput(Throughput::Elements(1));
    group.bench_function("pool/sequential", |b| {
        b.to_async(&rt).iter(|| pool_echo(&pool, &args));
    });
    group.bench_function("bare_rmcp/sequential", |b| {
        b.to_async(&rt).iter(|| bare_echo(&peer, &args));
    });

    group.throughput(Throughput::Elements(IN_FLIGHT as u64));
    group.bench_function("pool/16_in_flight", |b| {
        b.to_async(&rt).iter(|| async {
            join_all((0..IN_FLIGHT).map(|_| pool_echo(&pool, &args))).await;
        });
    });
    group.bench_function("bare_rmcp/16_in_flight", |b| {
        b.to_async(&rt).iter(|| async {
            join_all((0..IN_FLIGHT).map(|_| bare_echo(&peer, &args))).await;
        });
    });
    group.finish();

    rt.block_on(async {
        pool.shutdown().await;
        bare.cancel().await.expect("bare client shuts down");
    });
}

fn spawn_initialize(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("spawn_initialize");
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(8));

    group.bench_function("pool", |b| {
        b.to_async(&rt).iter(|| async {
            let pool = pool();
            let tools = pool.list_tools("demo").await.expect("pool lists tools");
            assert!(!tools.tools.is_empty());
            pool.shutdown().await;
        });
    });
    group.bench_function("bare_rmcp", |b| {
        b.to_async(&rt).iter(|| async {
            let client = bare_client().await;
            let tools = client.list_all_tools().await.expect("bare lists tools");
            assert!(!tools.is_empty());
            client.cancel().await.expect("bare client shuts down");
        });
    });
    group.finish();
}

/// Times `argv[2]` echo calls (or batches of 16) inside Python and hands the nanoseconds back.
const BRIDGE_SCRIPT: &str = r#"
import asyncio, sys, time
from runtime import call_tool, call_tool_sync, set_result
mode, n = sys.argv[1], int(sys.argv[2])
ARGS = {"text": "hi"}
async def sequential():
    for _ in range(50):
        await call_tool("demo", "echo", ARGS)
    t = time.perf_counter_ns()
    for _ in range(n):
        await call_tool("demo", "echo", ARGS)
    return time.perf_counter_ns() - t
async def in_flight():
    for _ in range(50):
        await call_tool("demo", "echo", ARGS)
    t = time.perf_counter_ns()
    for _ in range(n):
        await asyncio.gather(*[call_tool("demo", "echo", ARGS) for _ in range(16)])
    return time.perf_counter_ns() - t
async def workers():
    # 16 calls in flight all the time: 16 workers, each issuing its next call when one returns.
    async def worker(k):
        for _ in range(k):
            await call_tool("demo", "echo", ARGS)
    for _ in range(50):
        await call_tool("demo", "echo", ARGS)
    t = time.perf_counter_ns()
    await asyncio.gather(*[worker(n // 16 + (i < n % 16)) for i in range(16)])
    return time.perf_counter_ns() - t
def blocking():
    for _ in range(50):
        call_tool_sync("demo", "echo", ARGS)
    t = time.perf_counter_ns()
    for _ in range(n):
        call_tool_sync("demo", "echo", ARGS)
    return time.perf_counter_ns() - t
ns = blocking() if mode == "sync" else asyncio.run(
    {"async": sequential, "gather": in_flight, "workers": workers}[mode]())
set_result(ns)
"#;

fn script_time(
    rt: &Runtime,
    host: &std::sync::Arc<mcpscript_runner::PoolHost>,
    script: &Path,
    mode: &str,
    iters: u64,
) -> Duration {
    let mut spec = mcpscript_runner::RunSpec::new(script, vec![mode.to_owned(), iters.to_string()]);
    spec.capture = true;
    let outcome = rt
        .block_on(mcpscript_runner::run(host.clone(), &spec))
        .expect("bench script runs");
    let ns = outcome
        .result
        .as_ref()
        .and_then(serde_json::Value::as_u64)
        .unwrap_or_else(|| panic!("bench script failed: {:?}", outcome.stderr));
    Duration::from_nanos(ns)
}

fn bridge(c: &mut Criterion) {
    // The binary runs on a current-thread runtime (see main.rs); so does this group.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let args = echo_args();
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("bridge_bench.py");
    std::fs::write(&script, BRIDGE_SCRIPT).expect("write bench script");
    let json =
        serde_json::json!({"mcpServers": {"demo": {"command": BIN, "args": ["demo-server"]}}});
    let config = Config::parse(&json.to_string(), Path::new("bench.json"), &|_| None)
        .expect("bench config parses");
    let pool = Pool::new(&config);
    rt.block_on(pool.connect("demo")).expect("pool connects");
    let host = std::sync::Arc::new(mcpscript_runner::PoolHost::new(pool.clone(), &config));

    let mut group = c.benchmark_group("bridge");
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(6));
    group.throughput(Throughput::Elements(1));
    group.bench_function("pool/sequential", |b| {
        b.to_async(&rt).iter(|| pool_echo(&pool, &args));
    });
    group.bench_function("script_async/sequential", |b| {
        b.iter_custom(|iters| script_time(&rt, &host, &script, "async", iters));
    });
    group.bench_function("script_sync/sequential", |b| {
        b.iter_custom(|iters| script_time(&rt, &host, &script, "sync", iters));
    });
    group.throughput(Throughput::Elements(IN_FLIGHT as u64));
    group.bench_function("pool/16_in_flight", |b| {
        b.to_async(&rt).iter(|| async {
            join_all((0..IN_FLIGHT).map(|_| pool_echo(&pool, &args))).await;
        });
    });
    group.bench_function("script_async/16_in_flight", |b| {
        b.iter_custom(|iters| script_time(&rt, &host, &script, "gather", iters));
    });
    // The same 16 in flight, kept full: each of 16 workers starts its next call as soon as its
    // last one returns (no batch barrier). Time per call.
    group.throughput(Throughput::Elements(1));
    group.bench_function("pool/16_workers", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let started = std::time::Instant::now();
                join_all((0..IN_FLIGHT as u64).map(|i| {
                    let (pool, args) = (&pool, &args);
                    let n = iters / IN_FLIGHT as u64 + u64::from(i < iters % IN_FLIGHT as u64);
                    async move {
                        for _ in 0..n {
                            pool_echo(pool, args).await;
                        }
                    }
                }))
                .await;
                started.elapsed()
            })
        });
    });
    group.bench_function("script_async/16_workers", |b| {
        b.iter_custom(|iters| script_time(&rt, &host, &script, "workers", iters));
    });
    group.finish();
    rt.block_on(pool.shutdown());
}

fn criterion() -> Criterion {
    // Keep reports under the workspace's target/ whatever the working directory.
    Criterion::default().output_directory(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../target/criterion"
    )))
}

criterion_group! {
    name = benches;
    config = criterion();
    targets = call_latency, spawn_initialize, bridge
}
criterion_main!(benches);
