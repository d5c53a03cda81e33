//! Running a script: starts `python3` with the embedded runtime package and the bridge on two
//! inherited pipes, serves its tool calls through a [`ToolHost`], bounds its time and output, and
//! returns a [`RunOutcome`]. A failing script is data (an exit code, a traceback on stderr), not an
//! `Err`; `Err` means the run could not start.

mod bridge;
mod capture;
mod host;
mod orphans;
mod python;

use std::io::IsTerminal;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use command_fds::{CommandFdExt, FdMapping};
use serde_json::Value;
use tokio::net::unix::pipe;

pub use bridge::{CallRecord, Observation, SAMPLES_PER_TOOL, observed_value};
pub use capture::{Capture, Captured};
pub use host::{PoolHost, ToolHost};
pub use python::{PYTHON_ENV, embedded_files, interpreter, runtime_dir};

/// Default whole-run timeout.
pub const DEFAULT_RUN_TIMEOUT: Duration = Duration::from_secs(300);
/// Default bound on captured stdout and stderr, each.
pub const DEFAULT_OUTPUT_LIMIT: usize = 1024 * 1024;
/// Exit code of a run that hit its timeout (as `timeout(1)` uses).
pub const TIMEOUT_EXIT_CODE: i32 = 124;

/// What to run and how.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// The script.
    pub script: PathBuf,
    /// Arguments, passed verbatim as `sys.argv[1:]`.
    pub args: Vec<String>,
    /// Whole-run timeout; the script's process group is killed when it passes.
    pub timeout: Duration,
    /// Capture stdout and stderr (bounded) instead of letting them through; stderr is still
    /// copied to ours live.
    pub capture: bool,
    /// Bound on each captured stream.
    pub output_limit: usize,
    /// Append one JSON line per tool call to this file.
    pub audit: Option<PathBuf>,
}

impl RunSpec {
    /// A spec with the defaults: 5 minutes, output passed through, no audit.
    pub fn new(script: impl Into<PathBuf>, args: Vec<String>) -> Self {
        Self {
            script: script.into(),
            args,
            timeout: DEFAULT_RUN_TIMEOUT,
            capture: false,
            output_limit: DEFAULT_OUTPUT_LIMIT,
            audit: None,
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// The script's exit code; 128+N when killed by signal N; 124 on timeout.
    pub exit_code: i32,
    /// What the script handed back (`set_result`, or the return value of `asyncio.run(main())`).
    pub result: Option<Value>,
    /// Captured stdout, when capturing.
    pub stdout: Option<Captured>,
    /// Captured stderr, when capturing.
    pub stderr: Option<Captured>,
    /// Every tool call, in completion order.
    pub tool_calls: Vec<CallRecord>,
    /// Result samples (at most [`SAMPLES_PER_TOOL`] per tool) for learning result types.
    pub observations: Vec<Observation>,
    /// The run hit its timeout.
    pub timed_out: bool,
    /// mcpscript got SIGINT, SIGTERM or SIGHUP and passed it to the script.
    pub signal: Option<i32>,
    /// Wall time of the run.
    pub duration: Duration,
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The script does not exist.
    #[error("script not found: {}", path.display())]
    ScriptNotFound {
        /// The path given.
        path: PathBuf,
    },
    /// The script path names something that is not a script (a directory), or `-` while
    /// standard input is a terminal.
    #[error("not a script: {}: {why}", path.display())]
    NotAScript {
        /// The path given.
        path: PathBuf,
        /// What it is instead.
        why: &'static str,
    },
    /// No Python interpreter.
    #[error("no Python interpreter found (tried {tried})")]
    PythonNotFound {
        /// What was tried.
        tried: String,
    },
    /// The runtime package could not be written.
    #[error("cannot write the Python runtime package to {}: {source}", path.display())]
    Runtime {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The audit file could not be opened.
    #[error("cannot open audit file {}: {source}", path.display())]
    Audit {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Starting Python failed.
    #[error("cannot start {}: {source}", python.display())]
    Spawn {
        /// The interpreter.
        python: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl RunError {
    /// A fix, when there is an obvious one.
    pub fn hint(&self) -> Option<String> {
        match self {
            RunError::ScriptNotFound { .. } => Some(
                "give the path to a Python file, e.g. `mcpscript run examples/quickstart.py`"
                    .into(),
            ),
            RunError::NotAScript { path, .. } if path.as_os_str() == "-" => Some(
                "pipe the script in, e.g. `mcpscript run - <<'EOF'` … `EOF`, or give its path"
                    .into(),
            ),
            RunError::NotAScript { .. } => Some("give the path of a .py file".into()),
            RunError::PythonNotFound { .. } => Some(format!(
                "install Python 3 (`apt-get install python3`) or point {PYTHON_ENV} at an interpreter"
            )),
            _ => None,
        }
    }
}

/// How the wait for the script ended.
enum End {
    Exited(std::io::Result<std::process::ExitStatus>),
    TimedOut,
    Signalled(nix::sys::signal::Signal),
}

pub mod signals {
    //! SIGINT, SIGTERM and SIGHUP: the signals that end a run (or any command) early.
    use nix::sys::signal::Signal;
    use tokio::signal::unix::{SignalKind, signal};

    /// The next of those signals; pends forever if they cannot be watched.
    pub async fn next() -> Signal {
        let (Ok(mut int), Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = int.recv() => Signal::SIGINT,
            _ = term.recv() => Signal::SIGTERM,
            _ = hup.recv() => Signal::SIGHUP,
        }
    }
}

/// `-` (the script on standard input) needs piped input; a path must exist and not be a
/// directory. Anything else that can be read is fine: a file, `/dev/stdin`, a pipe (`<(…)`).
fn check_script(script: &Path) -> Result<(), RunError> {
    let not_a_script = |why| RunError::NotAScript {
        path: script.to_owned(),
        why,
    };
    if script.as_os_str() == "-" {
        return if std::io::stdin().is_terminal() {
            Err(not_a_script(
                "`-` reads the script from standard input, which is a terminal",
            ))
        } else {
            Ok(())
        };
    }
    match std::fs::metadata(script) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(RunError::ScriptNotFound {
            path: script.to_owned(),
        }),
        Ok(meta) if meta.is_dir() => Err(not_a_script("it is a directory")),
        // Unreadable files and other oddities are reported by the bootstrap, with the reason.
        _ => Ok(()),
    }
}

/// Runs `spec` with `host` serving its tool calls.
pub async fn run<H: ToolHost>(host: Arc<H>, spec: &RunSpec) -> Result<RunOutcome, RunError> {
    let started = Instant::now();
    check_script(&spec.script)?;
    let python = interpreter()?;
    let runtime = runtime_dir()?;
    python::precompile(&runtime, &python);
    let audit = match &spec.audit {
        None => None,
        Some(path) => Some(Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|source| RunError::Audit {
                    path: path.clone(),
                    source,
                })?,
        )),
    };
    let spawn_err = |source| RunError::Spawn {
        python: python.clone(),
        source,
    };
    // Both ends are close-on-exec: only the script gets its two, at fds 3 and 4.
    let (child_reads, host_writes) = std::io::pipe().map_err(spawn_err)?;
    let (host_reads, child_writes) = std::io::pipe().map_err(spawn_err)?;

    // Processes the script starts outside its process group are ended with the run too.
    orphans::adopt();
    let run_token = orphans::token();
    let mut cmd = tokio::process::Command::new(&python);
    cmd.arg(runtime.join("bootstrap.py"))
        .arg(&spec.script)
        .args(&spec.args)
        .env("MCPSCRIPT_BRIDGE", "3,4")
        .env(orphans::RUN_ENV, &run_token)
        // In its own process group the script cannot read a terminal (it would be stopped by
        // SIGTTIN): it gets /dev/null then; piped input passes through.
        .stdin(if std::io::stdin().is_terminal() {
            Stdio::null()
        } else {
            Stdio::inherit()
        })
        .process_group(0)
        .kill_on_drop(true);
    if spec.capture {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    }
    cmd.fd_mappings(vec![
        FdMapping {
            parent_fd: OwnedFd::from(child_reads),
            child_fd: 3,
        },
        FdMapping {
            parent_fd: OwnedFd::from(child_writes),
            child_fd: 4,
        },
    ])
    .map_err(|e| spawn_err(std::io::Error::other(e)))?;
    let mut child = cmd.spawn().map_err(spawn_err)?;
    // The command holds our copies of the script's ends; dropping it lets EOF reach us.
    drop(cmd);
    let pid = child.id();

    let state = Arc::new(bridge::RunState {
        result: Mutex::new(None),
        calls: Mutex::new(Vec::new()),
        observations: Mutex::new(Vec::new()),
        audit,
        script: spec.script.display().to_string(),
        // A timeout too large to add is no timeout at all.
        ends_at: started
            .checked_add(spec.timeout)
            .unwrap_or_else(|| started + Duration::from_secs(100 * 365 * 86_400)),
    });
    let to_child = pipe::Sender::from_owned_fd(OwnedFd::from(host_writes)).map_err(spawn_err)?;
    let from_child = pipe::Receiver::from_owned_fd(OwnedFd::from(host_reads)).map_err(spawn_err)?;
    let bridge = tokio::spawn(bridge::serve(host, state.clone(), from_child, to_child));

    let start_capture = |stream: Option<Box<dyn tokio::io::AsyncRead + Unpin + Send>>,
                         tee: bool| {
        stream.map(|s| {
            let kept = Capture::default();
            let task = if tee {
                tokio::spawn(capture::capture(
                    s,
                    spec.output_limit,
                    Some(tokio::io::stderr()),
                    kept.clone(),
                ))
            } else {
                tokio::spawn(capture::capture(
                    s,
                    spec.output_limit,
                    None::<tokio::io::Stderr>,
                    kept.clone(),
                ))
            };
            (kept, task)
        })
    };
    let stdout = start_capture(child.stdout.take().map(|s| Box::new(s) as _), false);
    let stderr = start_capture(child.stderr.take().map(|s| Box::new(s) as _), true);

    let ended = tokio::select! {
        status = child.wait() => End::Exited(status),
        () = tokio::time::sleep(spec.timeout) => End::TimedOut,
        signal = signals::next() => End::Signalled(signal),
    };
    let group = pid
        .and_then(|p| i32::try_from(p).ok())
        .map(nix::unistd::Pid::from_raw);
    let (status, timed_out, signalled) = match ended {
        End::Exited(status) => (status, false, None),
        End::TimedOut => {
            if let Some(g) = group {
                let _ = nix::sys::signal::killpg(g, nix::sys::signal::SIGKILL);
            }
            (child.wait().await, true, None)
        }
        End::Signalled(signal) => {
            // Ctrl-C and friends reach mcpscript, not the script (it has its own process group):
            // pass them on, give it a moment to exit by itself, then end it.
            if let Some(g) = group {
                let _ = nix::sys::signal::killpg(g, signal);
            }
            let status = match tokio::time::timeout(Duration::from_secs(2), child.wait()).await {
                Ok(status) => status,
                Err(_) => {
                    if let Some(g) = group {
                        let _ = nix::sys::signal::killpg(g, nix::sys::signal::SIGKILL);
                    }
                    child.wait().await
                }
            };
            (status, false, Some(signal))
        }
    };
    // Whatever the script left behind in its group goes with it (ESRCH when nothing is left),
    // and so does what it started outside the group.
    if let Some(g) = group {
        let _ = nix::sys::signal::killpg(g, nix::sys::signal::SIGKILL);
    }
    orphans::end(&run_token).await;
    // Calls still in flight are cancelled; a late request from a leftover process sees EOF.
    bridge.abort();
    let _ = bridge.await;

    let exit_code = if timed_out {
        TIMEOUT_EXIT_CODE
    } else if let Some(signal) = signalled {
        128 + signal as i32
    } else {
        match status {
            Ok(s) => {
                use std::os::unix::process::ExitStatusExt;
                s.code()
                    .or_else(|| s.signal().map(|sig| 128 + sig))
                    .unwrap_or(1)
            }
            Err(_) => 1,
        }
    };
    // A process that escaped the group may hold the pipes open: wait a little, then keep what
    // was captured.
    let finish = |c: Option<(Capture, tokio::task::JoinHandle<()>)>| async move {
        let (kept, task) = c?;
        let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
        Some(kept.take())
    };
    let stdout = finish(stdout).await;
    let stderr = finish(stderr).await;
    let result = state.result.lock().ok().and_then(|mut r| r.take());
    let tool_calls = state.calls.lock().map(|c| c.clone()).unwrap_or_default();
    let observations = state
        .observations
        .lock()
        .map(|mut o| std::mem::take(&mut *o))
        .unwrap_or_default();
    Ok(RunOutcome {
        exit_code,
        result,
        stdout,
        stderr,
        tool_calls,
        observations,
        timed_out,
        signal: signalled.map(|s| s as i32),
        duration: started.elapsed(),
    })
}
