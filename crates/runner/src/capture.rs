//! Bounded capture of a stream: the first and last halves of the limit are kept, the middle is
//! replaced by a marker saying how much was dropped (a traceback at the end survives). What was
//! captured can be taken at any time, so a process that keeps the pipe open after the script
//! exits costs the tail of the output, not all of it.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// What was kept of a stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Captured {
    /// The kept text (lossy UTF-8), with a marker where bytes were dropped.
    pub text: String,
    /// Total bytes the stream carried.
    pub total_bytes: u64,
    /// Whether anything was dropped.
    pub truncated: bool,
}

#[derive(Default)]
struct Kept {
    head: Vec<u8>,
    tail: VecDeque<u8>,
    total: u64,
}

/// A capture in progress; [`Capture::take`] reads what it holds so far.
#[derive(Clone, Default)]
pub struct Capture {
    kept: Arc<Mutex<Kept>>,
}

impl Capture {
    /// What has been captured so far.
    pub fn take(&self) -> Captured {
        let Ok(k) = self.kept.lock() else {
            return Captured::default();
        };
        let kept = k.head.len() as u64 + k.tail.len() as u64;
        let truncated = k.total > kept;
        let mut bytes = k.head.clone();
        if truncated {
            bytes.extend_from_slice(
                format!("\n[… {} bytes dropped by mcpscript …]\n", k.total - kept).as_bytes(),
            );
        }
        bytes.extend(k.tail.iter());
        Captured {
            text: String::from_utf8_lossy(&bytes).into_owned(),
            total_bytes: k.total,
            truncated,
        }
    }
}

/// Reads `stream` to its end into `capture`, keeping at most `limit` bytes; copies everything to
/// `tee` as it arrives when one is given.
pub async fn capture<R, W>(mut stream: R, limit: usize, mut tee: Option<W>, capture: Capture)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let half = limit / 2;
    let keep_tail = limit - half;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let chunk = &buf[..n];
        if let Some(t) = tee.as_mut()
            && (t.write_all(chunk).await.is_err() || t.flush().await.is_err())
        {
            tee = None;
        }
        let Ok(mut k) = capture.kept.lock() else {
            break;
        };
        k.total += n as u64;
        let room = half.saturating_sub(k.head.len());
        let (to_head, rest) = chunk.split_at(room.min(chunk.len()));
        k.head.extend_from_slice(to_head);
        k.tail.extend(rest);
        if k.tail.len() > keep_tail {
            let excess = k.tail.len() - keep_tail;
            k.tail.drain(..excess);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keeps_head_and_tail_with_a_marker() {
        let data: Vec<u8> = (0..100u8).map(|i| b'a' + i % 26).collect();
        let c = Capture::default();
        capture(&data[..], 20, None::<tokio::io::Sink>, c.clone()).await;
        let c = c.take();
        assert!(c.truncated);
        assert_eq!(c.total_bytes, 100);
        assert!(c.text.starts_with("abcdefghij"));
        assert!(c.text.contains("80 bytes dropped"));
        assert!(
            c.text
                .ends_with(std::str::from_utf8(&data[90..]).unwrap_or_default())
        );
        let small = Capture::default();
        capture(&b"hello"[..], 20, None::<tokio::io::Sink>, small.clone()).await;
        assert_eq!(small.take().text, "hello");
        assert!(!small.take().truncated);
    }
}
