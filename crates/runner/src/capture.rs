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
        let truncated = k.total > k.head.len() as u64 + k.tail.len() as u64;
        // The cuts fall anywhere: a character split by one is dropped whole.
        let (head, tail_skip) = if truncated {
            let partial = k.tail.iter().take(3).take_while(|&&b| is_continuation(b));
            (&k.head[..complete_prefix(&k.head)], partial.count())
        } else {
            (k.head.as_slice(), 0)
        };
        let tail = k.tail.iter().skip(tail_skip);
        let mut bytes = head.to_vec();
        if truncated {
            let kept = head.len() as u64 + tail.len() as u64;
            bytes.extend_from_slice(
                format!("\n[… {} bytes dropped by mcpscript …]\n", k.total - kept).as_bytes(),
            );
        }
        bytes.extend(tail);
        Captured {
            text: String::from_utf8_lossy(&bytes).into_owned(),
            total_bytes: k.total,
            truncated,
        }
    }
}

fn is_continuation(byte: u8) -> bool {
    byte & 0xC0 == 0x80
}

/// The length of `bytes` without a UTF-8 character cut off at its end.
fn complete_prefix(bytes: &[u8]) -> usize {
    let n = bytes.len();
    for back in 1..=n.min(4) {
        let byte = bytes[n - back];
        if !is_continuation(byte) {
            let width = match byte {
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF7 => 4,
                _ => 1,
            };
            return if width > back { n - back } else { n };
        }
    }
    n
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
        // The cuts fall inside two-byte characters: both are dropped whole, not shown as U+FFFD.
        let text = format!("x{}", "é".repeat(1000));
        let c = Capture::default();
        capture(text.as_bytes(), 101, None::<tokio::io::Sink>, c.clone()).await;
        let c = c.take();
        assert!(c.truncated && !c.text.contains('\u{FFFD}'), "{}", c.text);
        assert!(
            c.text.starts_with(&format!("x{}\n[…", "é".repeat(24))),
            "{}",
            c.text
        );
        assert!(
            c.text.ends_with(&format!("…]\n{}", "é".repeat(25))),
            "{}",
            c.text
        );
        assert!(c.text.contains("1902 bytes dropped"), "{}", c.text);
        let small = Capture::default();
        capture(&b"hello"[..], 20, None::<tokio::io::Sink>, small.clone()).await;
        assert_eq!(small.take().text, "hello");
        assert!(!small.take().truncated);
    }
}
