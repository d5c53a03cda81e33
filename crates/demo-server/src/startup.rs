//! Serving on the process's stdin/stdout, after applying the [`StartMode`].
//!
//! The start modes misbehave before the MCP session exists (exit, garbage, delay, stderr noise),
//! so they work on the raw standard streams rather than through rmcp.

use std::{
    io,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use rmcp::{
    ServiceExt,
    service::{QuitReason, ServerInitializeError},
};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader, ReadBuf};
use tokio_util::sync::CancellationToken;

use crate::{DemoError, DemoOptions, StartMode, faults, handler, stderr_line};

/// Serves the demo server on stdin/stdout until the client closes stdin.
///
/// Applies `opts.mode` first: [`StartMode::ExitDuringInit`] exits the process with code 2 and
/// never returns; [`StartMode::MalformedInit`] returns `Ok` at stdin EOF without ever serving.
/// Stdin closing before `initialize` counts as a normal end, not an error.
///
/// Must run inside a Tokio runtime with IO and time enabled (rmcp's non-blocking pipe transport
/// is used when stdin and stdout are pipes).
///
/// # Errors
///
/// Fails when the standard streams cannot be read or written, when the `initialize` exchange
/// fails for another reason than EOF, or when the session task dies.
pub async fn serve_stdio(opts: DemoOptions) -> Result<(), DemoError> {
    match opts.mode {
        StartMode::Normal => {}
        StartMode::ExitDuringInit => exit_during_init().await,
        StartMode::MalformedInit => return malformed_init().await,
        StartMode::SlowStart { ms } => tokio::time::sleep(Duration::from_millis(ms)).await,
        StartMode::StderrSpam { lines } => {
            tokio::task::spawn_blocking(move || faults::spam(u64::from(lines)))
                .await?
                .map_err(|source| DemoError::Io {
                    action: "writing to stderr",
                    source,
                })?;
        }
    }
    tracing::debug!(name = %opts.name, faults = opts.faults, "serving MCP on stdio");
    let server = handler(&opts);
    let (stdin, stdout) = rmcp::transport::stdio_pipes();
    let stdin = SignalEof {
        inner: stdin,
        eof: server.server().input_closed().clone(),
    };
    let service = match server.serve((stdin, stdout)).await {
        Ok(service) => service,
        Err(ServerInitializeError::ConnectionClosed(context)) => {
            tracing::debug!(%context, "stdin closed before initialize");
            return Ok(());
        }
        Err(error) => return Err(DemoError::Initialize(Box::new(error))),
    };
    match service.waiting().await? {
        QuitReason::JoinError(error) => Err(error.into()),
        // Closed (stdin EOF), Cancelled, and any reason a later rmcp adds: a normal end.
        _ => Ok(()),
    }
}

/// Reads one line from stdin (or up to EOF); returns whether anything was read.
async fn read_first_line(stdin: &mut BufReader<tokio::io::Stdin>) -> Result<bool, DemoError> {
    let mut line = Vec::new();
    let read = stdin
        .read_until(b'\n', &mut line)
        .await
        .map_err(|source| DemoError::Io {
            action: "reading stdin",
            source,
        })?;
    Ok(read > 0)
}

/// [`StartMode::ExitDuringInit`]: waits for the `initialize` line, then exits with code 2.
async fn exit_during_init() -> ! {
    let mut stdin = BufReader::new(tokio::io::stdin());
    // Whether the line arrived or stdin failed, the point is to die before answering.
    let _ = read_first_line(&mut stdin).await;
    stderr_line("demo-server: exiting during initialize");
    std::process::exit(2)
}

/// [`StartMode::MalformedInit`]: answers the first line with garbage, then ignores stdin to EOF.
async fn malformed_init() -> Result<(), DemoError> {
    let mut stdin = BufReader::new(tokio::io::stdin());
    if !read_first_line(&mut stdin).await? {
        return Ok(());
    }
    let mut stdout = tokio::io::stdout();
    let write = async {
        stdout.write_all(b"this is not json\n").await?;
        stdout.flush().await
    };
    write.await.map_err(|source| DemoError::Io {
        action: "writing stdout",
        source,
    })?;
    tokio::io::copy(&mut stdin, &mut tokio::io::sink())
        .await
        .map_err(|source| DemoError::Io {
            action: "reading stdin",
            source,
        })?;
    Ok(())
}

/// A reader that cancels `eof` when `inner` reports end of input or fails.
struct SignalEof<R> {
    inner: R,
    eof: CancellationToken,
}

impl<R: AsyncRead + Unpin> AsyncRead for SignalEof<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        let ended = match &poll {
            Poll::Ready(Ok(())) => buf.filled().len() == before && buf.remaining() > 0,
            Poll::Ready(Err(_)) => true,
            Poll::Pending => false,
        };
        if ended {
            this.eof.cancel();
        }
        poll
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::time::Instant;

    use rmcp::model::CallToolRequestParams;

    use super::*;

    #[tokio::test]
    async fn eof_signal_fires_only_at_end_of_input() {
        let eof = CancellationToken::new();
        let mut reader = BufReader::new(SignalEof {
            inner: &b"one line\n"[..],
            eof: eof.clone(),
        });
        let mut line = String::new();
        reader.read_line(&mut line).await.unwrap();
        assert_eq!(line, "one line\n");
        assert!(!eof.is_cancelled());
        line.clear();
        assert_eq!(reader.read_line(&mut line).await.unwrap(), 0);
        assert!(eof.is_cancelled());
    }

    /// rmcp waits up to 5 s at EOF for in-flight handlers; a pending `hang` must not hold it.
    #[tokio::test]
    async fn hang_does_not_delay_shutdown_at_eof() {
        let server = handler(&DemoOptions {
            faults: true,
            ..DemoOptions::default()
        });
        let (server_io, client_io) = tokio::io::duplex(1 << 16);
        let (read, write) = tokio::io::split(server_io);
        let read = SignalEof {
            inner: read,
            eof: server.server().input_closed().clone(),
        };
        let serving = tokio::spawn(async move {
            let running = server.serve((read, write)).await.unwrap();
            running.waiting().await.unwrap()
        });
        let client = ().serve(client_io).await.unwrap();
        let peer = client.peer().clone();
        let hung =
            tokio::spawn(async move { peer.call_tool(CallToolRequestParams::new("hang")).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = Instant::now();
        drop(client);
        let _ = tokio::time::timeout(Duration::from_secs(4), serving)
            .await
            .expect("server stopped promptly");
        assert!(started.elapsed() < Duration::from_secs(2));
        hung.abort();
    }
}
