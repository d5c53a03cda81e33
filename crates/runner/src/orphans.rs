//! Processes a script started that left its process group: `setsid`, `start_new_session=True`,
//! a daemon's double fork. Killing the script's group does not reach them, so mcpscript makes
//! itself their *subreaper* (they are reparented to it, not to init, when their parent exits),
//! gives the script an environment variable naming the run, and at the end of the run ends
//! every child of its own that carries it (with its process group), round after round, since
//! killing one reparents its children to us in turn. A process that cleared its environment
//! before `exec` is not recognised; server processes never carry the variable.

use std::time::Duration;

use nix::sys::signal::{Signal, kill, killpg};
use nix::sys::wait::{WaitPidFlag, waitpid};
use nix::unistd::{Pid, getpgid};

/// The variable naming the run, inherited by everything the script starts.
pub(crate) const RUN_ENV: &str = "MCPSCRIPT_RUN";

/// Makes this process the subreaper of its descendants (idempotent; best effort).
pub(crate) fn adopt() {
    if let Err(e) = nix::sys::prctl::set_child_subreaper(true) {
        tracing::debug!("cannot become a child subreaper: {e}");
    }
}

/// A value for [`RUN_ENV`] unique to this run.
pub(crate) fn token() -> String {
    static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{}-{n}-{nanos}", std::process::id())
}

/// Ends the run's leftover processes (see the module docs); gives up after half a second.
pub(crate) async fn end(token: &str) {
    let needle = format!("{RUN_ENV}={token}");
    for _ in 0..50 {
        let left: Vec<Pid> = children()
            .into_iter()
            .filter(|pid| carries(*pid, &needle))
            .collect();
        if left.is_empty() {
            return;
        }
        for &pid in &left {
            tracing::debug!(
                pid = pid.as_raw(),
                "ending a process the script left behind"
            );
            if getpgid(Some(pid)) == Ok(pid) {
                let _ = killpg(pid, Signal::SIGKILL);
            }
            let _ = kill(pid, Signal::SIGKILL);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        for &pid in &left {
            let _ = waitpid(pid, Some(WaitPidFlag::WNOHANG));
        }
    }
}

/// This process's children, from `/proc`: each thread's `children` list where the kernel has
/// them, else every process whose parent is us (a scan of `/proc/*/stat`).
fn children() -> Vec<Pid> {
    let mut pids = Vec::new();
    let mut listed = false;
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            if let Ok(list) = std::fs::read_to_string(task.path().join("children")) {
                listed = true;
                pids.extend(
                    list.split_whitespace()
                        .filter_map(|p| p.parse().ok())
                        .map(Pid::from_raw),
                );
            }
        }
    }
    if listed {
        return pids;
    }
    let me = std::process::id().to_string();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return pids;
    };
    for entry in procs.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so split after the
        // last ')'.
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1));
        if ppid == Some(me.as_str()) {
            pids.push(Pid::from_raw(pid));
        }
    }
    pids
}

/// Whether `pid`'s environment (as it was at `exec`) holds `needle` (`NAME=value`).
fn carries(pid: Pid, needle: &str) -> bool {
    std::fs::read(format!("/proc/{pid}/environ"))
        .is_ok_and(|env| env.split(|&b| b == 0).any(|var| var == needle.as_bytes()))
}
