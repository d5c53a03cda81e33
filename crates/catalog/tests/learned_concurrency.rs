//! Learned types saved by many stores at once (threads and processes) keep every observation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use mcpscript_catalog::LearnedTypes;
use serde_json::json;

/// Each store observes its own tool; all save at once.
#[test]
fn parallel_saves_keep_every_tool() {
    const N: usize = 16;
    for round in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".mcpscript/schemas.json");
        let barrier = Arc::new(Barrier::new(N));
        let threads: Vec<_> = (0..N)
            .map(|i| {
                let (path, barrier) = (path.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let mut store = LearnedTypes::load(&path);
                    store.observe("s", &format!("tool{i}"), &json!({"n": i}));
                    barrier.wait();
                    store.save().unwrap();
                    assert!(!store.is_dirty());
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let store = LearnedTypes::load(&path);
        assert_eq!(store.iter().count(), N, "round {round}");
        for i in 0..N {
            assert!(store.get("s", &format!("tool{i}")).is_some(), "tool{i}");
        }
    }
}

/// Where a child process of [`parallel_processes_keep_every_tool`] saves, and which tool.
const CHILD_ENV: &str = "MCPSCRIPT_LEARNED_CHILD";

/// Not a test of its own: the body of each child process. Waits for the parent's `go` file, so
/// all children save at once.
#[test]
fn child_saves_one_tool() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (tool, path) = spec.split_once('=').unwrap();
    let path = Path::new(path);
    let go = path.with_file_name("go");
    let mut store = LearnedTypes::load(path);
    store.observe("s", tool, &json!({"tool": tool}));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !go.exists() {
        assert!(Instant::now() < deadline, "no go file");
        std::thread::sleep(Duration::from_millis(1));
    }
    store.save().unwrap();
    assert!(!store.is_dirty());
}

#[test]
fn parallel_processes_keep_every_tool() {
    const N: usize = 10;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schemas.json");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..N)
        .map(|i| {
            Command::new(&exe)
                .args(["--exact", "child_saves_one_tool", "--test-threads=1"])
                .env(CHILD_ENV, format!("tool{i}={}", path.display()))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    // Let the children start and load before they all save.
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(path.with_file_name("go"), "").unwrap();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let store = LearnedTypes::load(&path);
    let tools: Vec<_> = store.iter().map(|(_, t, _)| t.to_owned()).collect();
    assert_eq!(tools.len(), N, "{tools:?}");
}

#[test]
fn a_held_lock_skips_the_save_without_hanging() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schemas.json");
    let held = std::fs::File::create(dir.path().join("schemas.json.lock")).unwrap();
    held.lock().unwrap();

    let mut store = LearnedTypes::load(&path).with_lock_timeout(Duration::from_millis(200));
    store.observe("s", "t", &json!(1));
    let started = Instant::now();
    store.save().unwrap();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(!path.exists(), "saved without the lock");
    assert!(store.is_dirty(), "the observation stays pending");

    held.unlock().unwrap();
    store.save().unwrap();
    assert!(!store.is_dirty());
    assert_eq!(
        LearnedTypes::load(&path).get("s", "t"),
        Some(&json!({"type": "integer"}))
    );
}
