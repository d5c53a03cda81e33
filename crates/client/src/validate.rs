//! Checking a call's arguments against the tool's `inputSchema` before it leaves the host, so a
//! script gets every failing path at once instead of a server's first complaint.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;

/// One failing place in the arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgumentError {
    /// JSON pointer into the arguments (`""` for the whole object).
    pub path: String,
    /// What is wrong there.
    pub message: String,
}

/// Compiled validators by tool name; rebuilt when the tool list is refreshed.
#[derive(Default)]
pub(crate) struct Validators {
    compiled: Mutex<HashMap<String, Option<Arc<jsonschema::Validator>>>>,
}

impl Validators {
    /// Forgets every compiled validator (the tool list changed).
    pub fn clear(&self) {
        if let Ok(mut c) = self.compiled.lock() {
            c.clear();
        }
    }

    /// Validates `arguments` against `schema`. A schema that does not compile is not held
    /// against the caller: the server stays the judge then.
    pub fn check(
        &self,
        tool: &str,
        schema: impl FnOnce() -> Value,
        arguments: &Value,
    ) -> Vec<ArgumentError> {
        let validator = {
            let Ok(mut compiled) = self.compiled.lock() else {
                return Vec::new();
            };
            compiled
                .entry(tool.to_owned())
                .or_insert_with(|| match jsonschema::validator_for(&schema()) {
                    Ok(v) => Some(Arc::new(v)),
                    Err(e) => {
                        tracing::debug!(tool, "inputSchema does not compile; not checking: {e}");
                        None
                    }
                })
                .clone()
        };
        let Some(validator) = validator else {
            return Vec::new();
        };
        validator
            .iter_errors(arguments)
            .map(|e| ArgumentError {
                path: e.instance_path().to_string(),
                message: e.to_string(),
            })
            .collect()
    }
}

impl std::fmt::Debug for Validators {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Validators")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_every_failing_path() {
        let v = Validators::default();
        let schema = json!({"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "string"}}, "required": ["a", "b"]});
        let errors = v.check("t", || schema.clone(), &json!({"a": "x"}));
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors.iter().any(|e| e.path == "/a"));
        assert!(
            errors
                .iter()
                .any(|e| e.path.is_empty() && e.message.contains("\"b\""))
        );
        assert!(
            v.check("t", || schema.clone(), &json!({"a": 1, "b": "y"}))
                .is_empty()
        );
        // A broken schema never blocks a call.
        assert!(v.check("u", || json!({"type": 12}), &json!({})).is_empty());
    }
}
