//! Keeps the raw JSON of `tools/list` results as they arrive on the wire.
//!
//! rmcp deserializes results into typed structs and drops fields it does not know (a tool's
//! `execution`, vendor extensions). Transports we own hand every incoming frame to a [`RawTap`]
//! before rmcp sees it; the tap keeps the `tools` array of any result that has one, so the pool
//! can store each tool exactly as the server described it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;

/// A cheap, cloneable observer of raw incoming JSON-RPC frames.
#[derive(Clone, Default, Debug)]
pub struct RawTap {
    tools: Arc<Mutex<Vec<Value>>>,
    armed: Arc<AtomicBool>,
}

impl RawTap {
    /// Tells byte-stream transports to start looking at frames (a `tools/list` is about to be
    /// sent). Message transports may observe every frame regardless.
    pub fn arm(&self) {
        self.clear();
        self.armed.store(true, Ordering::Release);
    }

    /// Whether a `tools/list` is in flight.
    pub fn is_armed(&self) -> bool {
        self.armed.load(Ordering::Acquire)
    }

    /// Looks at one raw frame; keeps the `result.tools` array when the frame carries one.
    ///
    /// Most frames are rejected by a substring scan, so the cost on the hot path is a `memmem`.
    pub fn observe(&self, frame: &[u8]) {
        if memchr::memmem::find(frame, b"\"tools\"").is_none() {
            return;
        }
        let Ok(Value::Object(mut msg)) = serde_json::from_slice::<Value>(frame) else {
            return;
        };
        let Some(Value::Object(mut result)) = msg.remove("result") else {
            return;
        };
        if let Some(Value::Array(tools)) = result.remove("tools")
            && let Ok(mut kept) = self.tools.lock()
        {
            kept.extend(tools);
        }
    }

    /// Observes a frame given as text.
    pub fn observe_str(&self, frame: &str) {
        self.observe(frame.as_bytes());
    }

    /// Forgets what was kept; call before a fresh `tools/list`.
    pub fn clear(&self) {
        if let Ok(mut kept) = self.tools.lock() {
            kept.clear();
        }
    }

    /// Takes every tool object seen since the last [`clear`](Self::clear) or `take`, and
    /// disarms the tap.
    pub fn take_tools(&self) -> Vec<Value> {
        self.armed.store(false, Ordering::Release);
        self.tools
            .lock()
            .map(|mut kept| std::mem::take(&mut *kept))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_unknown_fields_of_tools() {
        let tap = RawTap::default();
        tap.observe_str(r#"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"a","inputSchema":{},"execution":{"taskSupport":"optional"}}]}}"#);
        tap.observe_str(
            r#"{"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"tools"}]}}"#,
        );
        let tools = tap.take_tools();
        assert_eq!(tools.len(), 1);
        assert_eq!(tools[0]["execution"]["taskSupport"], "optional");
        assert!(tap.take_tools().is_empty());
    }
}
