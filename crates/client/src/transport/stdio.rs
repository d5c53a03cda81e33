//! Starting a stdio server: one boundary, the child process.
//!
//! The child gets an explicit environment (a small inherited base plus the config's `env`), its
//! own process group (so shutdown reaches grandchildren such as `npx`'s node), and piped stderr
//! that is read line by line into tracing and a bounded tail for error messages. A watcher task
//! owns the child: it records the exit status and, when asked (or when the handle is dropped),
//! terminates the whole group — `SIGTERM`, a grace period, then `SIGKILL`.

use std::collections::VecDeque;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use mcpscript_config::StdioSpec;
use process_wrap::tokio::{ChildWrapper, CommandWrap, KillOnDrop, ProcessGroup};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader, ReadBuf};
use tokio::process::{ChildStdin, ChildStdout};
use tokio::sync::{oneshot, watch};

use super::RawTap;

/// Environment variables a server inherits from mcpscript's own environment. Everything else
/// must be passed through the config's `env` (`"TOKEN": "${TOKEN}"`), so secrets in the user's
/// shell do not leak into every server.
pub const INHERITED_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "TERM",
    "TMPDIR",
    "TEMP",
    "TMP",
    "LANG",
    "LANGUAGE",
    "TZ",
    "XDG_CONFIG_HOME",
    "XDG_CACHE_HOME",
    "XDG_DATA_HOME",
    "XDG_RUNTIME_DIR",
    "NODE_PATH",
    "NODE_OPTIONS",
    "NODE_EXTRA_CA_CERTS",
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "SYSTEMROOT",
];

const TAIL_LINES: usize = 40;
const TAIL_LINE_BYTES: usize = 2000;

/// The last lines a server wrote to stderr.
#[derive(Debug, Default)]
pub struct StderrTail {
    lines: Mutex<VecDeque<String>>,
}

impl StderrTail {
    fn push(&self, mut line: String) {
        if line.len() > TAIL_LINE_BYTES {
            let mut cut = TAIL_LINE_BYTES;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
            line.push('…');
        }
        if let Ok(mut lines) = self.lines.lock() {
            if lines.len() == TAIL_LINES {
                lines.pop_front();
            }
            lines.push_back(line);
        }
    }

    /// A copy of the kept lines, oldest first.
    pub fn snapshot(&self) -> Vec<String> {
        self.lines
            .lock()
            .map(|l| l.iter().cloned().collect())
            .unwrap_or_default()
    }
}

/// How a child ended, in words.
pub(crate) fn describe_exit(status: &std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(sig)) => format!("was killed by signal {sig}"),
        _ => "exited".to_owned(),
    }
}

/// A running stdio server: its pipes and the handle that ends it.
pub(crate) struct SpawnedServer {
    pub stdout: TapReader<ChildStdout>,
    pub stdin: ChildStdin,
    pub process: ProcessHandle,
}

/// Owner-side handle of the watcher task. Dropping it terminates the process group.
#[derive(Debug)]
pub struct ProcessHandle {
    pid: Option<u32>,
    kill: Mutex<Option<oneshot::Sender<Duration>>>,
    exit: watch::Receiver<Option<String>>,
    /// The server's stderr tail.
    pub stderr: Arc<StderrTail>,
    /// Becomes true when the server's stderr reached EOF (every line is in `stderr`).
    stderr_done: watch::Receiver<bool>,
}

impl ProcessHandle {
    /// The leader's PID (also the process group id).
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// The exit description once the process has ended.
    pub fn exit_status(&self) -> Option<String> {
        self.exit.borrow().clone()
    }

    /// Waits up to `limit` for the process to end; returns its exit description.
    pub async fn wait_exit(&self, limit: Duration) -> Option<String> {
        let mut rx = self.exit.clone();
        let _ = tokio::time::timeout(limit, rx.wait_for(Option::is_some)).await;
        self.exit_status()
    }

    /// The stderr tail once the stream has ended (waiting at most `limit`): a server that just
    /// died may still have lines in flight, and its last line is usually the reason.
    pub async fn settled_stderr(&self, limit: Duration) -> Vec<String> {
        let mut rx = self.stderr_done.clone();
        let _ = tokio::time::timeout(limit, rx.wait_for(|done| *done)).await;
        self.stderr.snapshot()
    }

    /// Asks the watcher to end the group: `SIGTERM`, `grace`, then `SIGKILL`; waits until reaped.
    pub async fn terminate(&self, grace: Duration) {
        if let Some(tx) = self.kill.lock().ok().and_then(|mut k| k.take()) {
            let _ = tx.send(grace);
        }
        let mut rx = self.exit.clone();
        let _ = tokio::time::timeout(grace + Duration::from_secs(5), rx.wait_for(Option::is_some))
            .await;
    }
}

/// Starts the server process.
pub(crate) fn spawn(server: &str, spec: &StdioSpec, tap: RawTap) -> std::io::Result<SpawnedServer> {
    let mut cmd = CommandWrap::with_new(&spec.command, |c| {
        c.args(&spec.args)
            .env_clear()
            .envs(
                INHERITED_ENV
                    .iter()
                    .filter_map(|k| std::env::var_os(k).map(|v| (*k, v))),
            )
            .envs(spec.env.iter().map(|(k, v)| (k.as_str(), v.expose())))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(cwd) = &spec.cwd {
            c.current_dir(cwd);
        }
    });
    cmd.wrap(ProcessGroup::leader()).wrap(KillOnDrop);
    let mut child = cmd.spawn()?;
    let pid = child.id();
    let missing = |what| std::io::Error::other(format!("child {what} was not piped"));
    let stdin = child.stdin().take().ok_or_else(|| missing("stdin"))?;
    let stdout = child.stdout().take().ok_or_else(|| missing("stdout"))?;
    let stderr = child.stderr().take().ok_or_else(|| missing("stderr"))?;

    let tail = Arc::new(StderrTail::default());
    let server_name = server.to_owned();
    let tail_w = tail.clone();
    let (stderr_done_tx, stderr_done) = watch::channel(false);
    tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).split(b'\n');
        while let Ok(Some(line)) = lines.next_segment().await {
            let line = String::from_utf8_lossy(&line).trim_end().to_owned();
            tracing::info!(target: "mcpscript::server_stderr", server = %server_name, "{line}");
            tail_w.push(line);
        }
        let _ = stderr_done_tx.send(true);
    });

    let (kill_tx, kill_rx) = oneshot::channel();
    let (exit_tx, exit_rx) = watch::channel(None);
    let server_name = server.to_owned();
    tokio::spawn(watch_child(server_name, child, kill_rx, exit_tx));

    Ok(SpawnedServer {
        stdout: TapReader::new(stdout, tap, server, MAX_MESSAGE_BYTES),
        stdin,
        process: ProcessHandle {
            pid,
            kill: Mutex::new(Some(kill_tx)),
            exit: exit_rx,
            stderr: tail,
            stderr_done,
        },
    })
}

/// Kills a server's process group if the watcher is dropped before it reaped the server (the
/// runtime shutting down mid-start): `kill_on_drop` alone reaches only the leader.
struct GroupGuard(Option<nix::unistd::Pid>);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(group) = self.0.take() {
            let _ = nix::sys::signal::killpg(group, nix::sys::signal::SIGKILL);
        }
    }
}

async fn watch_child(
    server: String,
    mut child: Box<dyn ChildWrapper>,
    mut kill_rx: oneshot::Receiver<Duration>,
    exit_tx: watch::Sender<Option<String>>,
) {
    let mut guard = GroupGuard(
        child
            .id()
            .and_then(|p| i32::try_from(p).ok())
            .map(nix::unistd::Pid::from_raw),
    );
    let early = tokio::select! {
        status = child.wait() => Some(status),
        grace = &mut kill_rx => {
            // A dropped handle also lands here: end the server promptly then.
            let grace = grace.unwrap_or(Duration::from_millis(500));
            let _ = child.signal(libc::SIGTERM);
            tokio::time::timeout(grace, child.wait()).await.ok()
        }
    };
    let status = match early {
        Some(status) => status,
        None => {
            let _ = child.start_kill();
            child.wait().await
        }
    };
    // Sweep what the leader left behind in its group (ESRCH when nothing is left).
    let _ = child.signal(libc::SIGKILL);
    guard.0 = None;
    let desc = match &status {
        Ok(status) => describe_exit(status),
        Err(e) => format!("ended (wait failed: {e})"),
    };
    tracing::debug!(server = %server, "server process {desc}");
    let _ = exit_tx.send(Some(desc));
}

/// Longest stray stdout line kept for error messages.
const GARBAGE_BYTES: usize = 300;

/// The longest message accepted from a stdio server (rmcp's default, and the bound on one
/// Streamable HTTP or SSE message too). rmcp drops a longer line; [`TapReader`] then answers the
/// request it carried with an error at once, instead of letting the caller wait for its timeout.
pub const MAX_MESSAGE_BYTES: usize = rmcp::transport::async_rw::DEFAULT_MAX_LINE_LENGTH;
/// Bytes kept from the start and the end of each line to find an oversized answer's id.
const ID_WINDOW: usize = 256;
/// Lines up to this size are checked to be JSON before rmcp reads them: rmcp drops a line that
/// is not, and the request it answered would wait for its timeout (a Python server printing
/// `NaN` is the usual cause).
const CHECK_MAX: usize = 1024 * 1024;

/// Reads the child's stdout for rmcp. It shows complete lines to the [`RawTap`] while a
/// `tools/list` is in flight, remembers a line that is not JSON at all (a server printing a
/// banner to stdout is the most common stdio misconfiguration) for error messages, and turns a
/// response longer than rmcp accepts into an error response for the same request id.
pub(crate) struct TapReader<R> {
    inner: R,
    tap: RawTap,
    server: Arc<str>,
    limit: usize,
    line: Vec<u8>,
    /// Length of the current line so far.
    len: usize,
    /// Its first and (so far) last bytes.
    head: Vec<u8>,
    tail: Vec<u8>,
    /// Bytes to hand to rmcp before reading on: an error response for an oversized or
    /// unreadable answer.
    inject: Vec<u8>,
    /// `line` holds the whole current line (it is not over [`CHECK_MAX`]).
    whole: bool,
    /// No byte of the current line has been seen yet.
    fresh: bool,
    /// The current line is being kept (tap armed at its start, or it looks like garbage).
    keeping: bool,
    /// The current line's first significant byte has been looked at.
    checked: bool,
    suspect: bool,
    garbage: Arc<Mutex<Option<String>>>,
}

impl<R> TapReader<R> {
    fn new(inner: R, tap: RawTap, server: &str, limit: usize) -> Self {
        Self {
            inner,
            tap,
            server: server.into(),
            limit,
            line: Vec::new(),
            len: 0,
            head: Vec::new(),
            tail: Vec::new(),
            inject: Vec::new(),
            whole: true,
            fresh: true,
            keeping: false,
            checked: false,
            suspect: false,
            garbage: Arc::default(),
        }
    }

    /// Shared slot holding the last non-JSON line seen on stdout.
    pub(crate) fn garbage(&self) -> Arc<Mutex<Option<String>>> {
        self.garbage.clone()
    }

    fn observe(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        loop {
            let newline = memchr::memchr(b'\n', rest);
            let seg = &rest[..newline.unwrap_or(rest.len())];
            self.segment(seg);
            match newline {
                Some(i) => {
                    self.end_line();
                    rest = &rest[i + 1..];
                }
                None => break,
            }
        }
    }

    fn segment(&mut self, seg: &[u8]) {
        if seg.is_empty() {
            return;
        }
        self.len += seg.len();
        if self.head.len() < ID_WINDOW {
            let take = (ID_WINDOW - self.head.len()).min(seg.len());
            self.head.extend_from_slice(&seg[..take]);
        }
        if seg.len() >= ID_WINDOW {
            self.tail.clear();
            self.tail.extend_from_slice(&seg[seg.len() - ID_WINDOW..]);
        } else {
            self.tail.extend_from_slice(seg);
            let excess = self.tail.len().saturating_sub(ID_WINDOW);
            self.tail.drain(..excess);
        }
        if self.fresh {
            self.fresh = false;
            self.keeping = self.tap.is_armed();
        }
        if !self.checked
            && let Some(&b) = seg.iter().find(|b| !b.is_ascii_whitespace())
        {
            self.checked = true;
            self.suspect = b != b'{' && b != b'[';
        }
        let checking = !self.suspect && self.whole && self.line.len() + seg.len() <= CHECK_MAX;
        if self.keeping || checking || (self.suspect && self.line.len() < GARBAGE_BYTES) {
            self.line.extend_from_slice(seg);
        }
        if !(self.keeping || checking) {
            self.whole = false;
        }
    }

    fn end_line(&mut self) {
        if self.len > self.limit {
            self.oversized();
        } else if !self.suspect
            && self.whole
            && !self.line.trim_ascii().is_empty()
            && let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&self.line)
            && (e.is_syntax() || e.is_eof())
        {
            self.unreadable(&e);
        }
        self.whole = true;
        self.len = 0;
        self.head.clear();
        self.tail.clear();
        if self.suspect {
            let text = String::from_utf8_lossy(&self.line[..self.line.len().min(GARBAGE_BYTES)])
                .trim()
                .to_owned();
            tracing::warn!("server wrote non-protocol output to stdout: {text}");
            if let Ok(mut g) = self.garbage.lock() {
                *g = Some(text);
            }
        } else if self.keeping {
            self.tap.observe(&self.line);
        }
        self.line.clear();
        self.fresh = true;
        self.keeping = false;
        self.checked = false;
        self.suspect = false;
    }
}

impl<R> TapReader<R> {
    /// rmcp drops the line just ended (it is over the limit). If it answered a request, queue
    /// an error response for that request, so the caller learns why at once.
    fn oversized(&mut self) {
        let mib = self.limit >> 20;
        let Some(id) = response_id(&self.head, &self.tail) else {
            tracing::error!(server = %self.server, bytes = self.len, "the server sent a message over {mib} MiB; it was dropped");
            return;
        };
        tracing::error!(server = %self.server, bytes = self.len, "the server's answer to request {id} is over {mib} MiB; it was dropped");
        self.answer_with_error(
            id,
            format!(
                "the server's answer was {} bytes, over the {mib} MiB limit on one message (ask for less, e.g. a smaller page or range)",
                self.len
            ),
        );
    }

    /// rmcp drops the line just ended (it is not JSON). If it answered a request, queue an
    /// error response for that request.
    fn unreadable(&mut self, error: &serde_json::Error) {
        let preview: String = String::from_utf8_lossy(&self.line)
            .trim()
            .chars()
            .take(GARBAGE_BYTES)
            .collect();
        let Some(id) = response_id(&self.head, &self.tail) else {
            tracing::warn!(server = %self.server, %error, "the server sent a line that is not JSON; it was dropped: {preview}");
            return;
        };
        tracing::warn!(server = %self.server, %error, "the server's answer to request {id} is not JSON; it was dropped: {preview}");
        self.answer_with_error(
            id,
            format!(
                "the server's answer is not valid JSON ({error}), so it was dropped; it began: {preview}"
            ),
        );
    }

    fn answer_with_error(&mut self, id: serde_json::Value, message: String) {
        let error = serde_json::json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32603, "message": message}});
        self.inject.extend_from_slice(error.to_string().as_bytes());
        self.inject.push(b'\n');
    }
}

/// The JSON-RPC id of a response from the first and last bytes of its line: `"id"` before any
/// `"result"`/`"error"` at the start (the usual key order), else as the last key at the end.
fn response_id(head: &[u8], tail: &[u8]) -> Option<serde_json::Value> {
    let head = String::from_utf8_lossy(head);
    let first = head.find("\"id\"");
    let body = ["\"result\"", "\"error\""]
        .iter()
        .filter_map(|k| head.find(k))
        .min();
    if let Some(at) = first.filter(|&i| body.is_none_or(|b| i < b)) {
        return id_value(&head[at + 4..]);
    }
    let tail = String::from_utf8_lossy(tail);
    let tail = tail.trim_end();
    let at = tail.rfind("\"id\"")?;
    let rest = &tail[at + 4..];
    // Only when the id is the object's last member: `"id":7}`.
    rest.trim_end().strip_suffix('}')?;
    id_value(rest)
}

/// A JSON number or string after optional whitespace and a colon.
fn id_value(rest: &str) -> Option<serde_json::Value> {
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<serde_json::Value>();
    match stream.next()? {
        Ok(v @ (serde_json::Value::Number(_) | serde_json::Value::String(_))) => Some(v),
        _ => None,
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for TapReader<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        // Only between lines: rmcp must never see our line inside one of the server's.
        if !this.inject.is_empty() && this.fresh {
            let n = this.inject.len().min(buf.remaining());
            buf.put_slice(&this.inject[..n]);
            this.inject.drain(..n);
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &poll {
            this.observe(&buf.filled()[before..]);
        }
        poll
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tap_reader_sees_only_whole_lines_after_arming() {
        let tap = RawTap::default();
        let mut r = TapReader::new(tokio::io::empty(), tap.clone(), "s", MAX_MESSAGE_BYTES);
        r.observe(br#"{"result":{"tools":[{"name":"early"}]}"#);
        tap.arm();
        r.observe(b"}\n{\"result\":{\"to");
        r.observe(b"ols\":[{\"name\":\"a\",\"x\":1}]}}\n");
        let tools = tap.take_tools();
        assert_eq!(tools.len(), 1);
        assert_eq!(tools[0]["x"], 1);
        assert!(r.garbage().lock().unwrap().is_none());
        r.observe(b"Server running on stdio\n{}\n");
        assert_eq!(
            r.garbage().lock().unwrap().as_deref(),
            Some("Server running on stdio")
        );
    }

    #[tokio::test]
    async fn an_oversized_answer_becomes_an_error_for_its_request() {
        use tokio::io::AsyncReadExt;
        let big = "x".repeat(300);
        let input = format!(
            "{{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{{\"t\":\"{big}\"}}}}\n\
             {{\"result\":{{\"t\":\"{big}\"}},\"jsonrpc\":\"2.0\",\"id\":\"s-1\"}}\n\
             {{\"jsonrpc\":\"2.0\",\"id\":8,\"result\":{{}}}}\n"
        );
        let mut r = TapReader::new(input.as_bytes(), RawTap::default(), "s", 100);
        let mut out = String::new();
        r.read_to_string(&mut out).await.unwrap();
        // Every line is passed on whole (rmcp drops the long ones); an error for each long
        // answer's id follows, between lines.
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 5, "{out}");
        let errors: Vec<&serde_json::Value> =
            lines.iter().filter(|l| l.get("error").is_some()).collect();
        assert_eq!(errors.len(), 2);
        assert_eq!(
            (&errors[0]["id"], &errors[1]["id"]),
            (&7.into(), &"s-1".into())
        );
        let message = errors[0]["error"]["message"].as_str().unwrap();
        assert!(message.contains("over the 0 MiB limit"), "{message}");
    }

    #[tokio::test]
    async fn an_answer_that_is_not_json_becomes_an_error_for_its_request() {
        use tokio::io::AsyncReadExt;
        let input = "{\"jsonrpc\":\"2.0\",\"id\":4,\"result\":{\"v\":NaN}}\n\
                     {\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{}}\n";
        let mut r = TapReader::new(input.as_bytes(), RawTap::default(), "s", MAX_MESSAGE_BYTES);
        let mut out = String::new();
        r.read_to_string(&mut out).await.unwrap();
        let error: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
        assert_eq!(error["id"], 4);
        let message = error["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("not valid JSON") && message.contains("NaN"),
            "{message}"
        );
        assert_eq!(out.lines().count(), 3);
    }

    #[test]
    fn response_ids_are_found_at_either_end_only_where_they_belong() {
        let id = |h: &str, t: &str| response_id(h.as_bytes(), t.as_bytes());
        assert_eq!(
            id(r#"{"jsonrpc":"2.0","id":3,"result":{"#, ""),
            Some(3.into())
        );
        // An "id" inside the result is not the response's.
        assert_eq!(id(r#"{"result":{"items":[{"id":9"#, r#"x"}]}}"#), None);
        assert_eq!(
            id(r#"{"result":{"items":[{"id":9"#, r#"]},"id": "a"}"#),
            Some("a".into())
        );
        assert_eq!(id("garbage", "more garbage"), None);
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        let tail = StderrTail::default();
        for i in 0..100 {
            tail.push(format!("line {i}"));
        }
        let lines = tail.snapshot();
        assert_eq!(lines.len(), TAIL_LINES);
        assert_eq!(lines.last().map(String::as_str), Some("line 99"));
    }
}
