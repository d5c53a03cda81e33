//! Bounded capture of a stream: the first and last halves of the limit are kept, the middle is
//! replaced by a marker saying how much was dropped (a traceback at the end survives).

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

/// Reads `stream` to its end, keeping at most `limit` bytes; copies everything to `tee` as it
/// arrives when one is given.
pub async fn capture<R, W>(mut stream: R, limit: usize, mut tee: Option<W>) -> Captured
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let half = limit / 2;
    let mut head: Vec<u8> = Vec::new();
    let mut tail: std::collections::VecDeque<u8> = std::collections::VecDeque::new();
    let mut total: u64 = 0;
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
        total += n as u64;
        let room = half.saturating_sub(head.len());
        let (to_head, rest) = chunk.split_at(room.min(chunk.len()));
        head.extend_from_slice(to_head);
        tail.extend(rest);
        let keep_tail = limit - half;
        if tail.len() > keep_tail {
            let excess = tail.len() - keep_tail;
            tail.drain(..excess);
        }
    }
    let kept = head.len() as u64 + tail.len() as u64;
    let truncated = total > kept;
    let mut bytes = head;
    if truncated {
        bytes.extend_from_slice(
            format!("\n[… {} bytes dropped by mcpscript …]\n", total - kept).as_bytes(),
        );
    }
    bytes.extend(tail);
    Captured {
        text: String::from_utf8_lossy(&bytes).into_owned(),
        total_bytes: total,
        truncated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keeps_head_and_tail_with_a_marker() {
        let data: Vec<u8> = (0..100u8).map(|i| b'a' + i % 26).collect();
        let c = capture(&data[..], 20, None::<tokio::io::Sink>).await;
        assert!(c.truncated);
        assert_eq!(c.total_bytes, 100);
        assert!(c.text.starts_with("abcdefghij"));
        assert!(c.text.contains("80 bytes dropped"));
        assert!(
            c.text
                .ends_with(std::str::from_utf8(&data[90..]).unwrap_or_default())
        );
        let small = capture(&b"hello"[..], 20, None::<tokio::io::Sink>).await;
        assert_eq!(small.text, "hello");
        assert!(!small.truncated);
    }
}
