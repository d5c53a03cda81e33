//! Typed access to a `tools/call` request's `arguments` object.
//!
//! A wrong or missing argument is the caller's mistake, not a protocol failure, so it becomes an
//! [`ArgError`] that the dispatcher turns into an `isError: true` tool result (as the MCP
//! 2025-11-25 spec asks for input validation errors, so that a model can correct itself).
//! Unknown extra arguments are ignored.

use rmcp::model::{CallToolResult, ContentBlock, JsonObject};
use serde_json::Value;

/// A tool argument that is missing or has the wrong type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArgError {
    /// The argument's name.
    pub(crate) name: &'static str,
    /// What was wrong, e.g. "must be a string, got number".
    pub(crate) problem: String,
}

impl ArgError {
    /// The `isError` result shown to the caller of `tool`.
    pub(crate) fn into_result(self, tool: &str) -> CallToolResult {
        CallToolResult::error(vec![ContentBlock::text(format!(
            "invalid arguments for tool `{tool}`: `{}` {}",
            self.name, self.problem
        ))])
    }
}

/// The arguments of one call; `None` (no `arguments` field) behaves like `{}`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Args<'a> {
    map: Option<&'a JsonObject>,
}

/// The JSON type name of a value, for error messages.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

impl<'a> Args<'a> {
    /// Wraps a request's arguments.
    pub(crate) fn new(map: Option<&'a JsonObject>) -> Self {
        Self { map }
    }

    /// The value of `name`, treating an explicit `null` as absent.
    fn get(&self, name: &str) -> Option<&'a Value> {
        self.map
            .and_then(|map| map.get(name))
            .filter(|value| !value.is_null())
    }

    fn missing(name: &'static str, kind: &str) -> ArgError {
        ArgError {
            name,
            problem: format!("is required ({kind})"),
        }
    }

    fn wrong(name: &'static str, kind: &str, value: &Value) -> ArgError {
        ArgError {
            name,
            problem: format!("must be {kind}, got {}", type_name(value)),
        }
    }

    /// A required string.
    pub(crate) fn string(&self, name: &'static str) -> Result<&'a str, ArgError> {
        match self.get(name) {
            None => Err(Self::missing(name, "a string")),
            Some(value) => value
                .as_str()
                .ok_or_else(|| Self::wrong(name, "a string", value)),
        }
    }

    /// An optional string.
    pub(crate) fn opt_string(&self, name: &'static str) -> Result<Option<&'a str>, ArgError> {
        match self.get(name) {
            None => Ok(None),
            Some(value) => value
                .as_str()
                .map(Some)
                .ok_or_else(|| Self::wrong(name, "a string", value)),
        }
    }

    /// A required JSON number, kept as a [`serde_json::Number`] so integers stay integers.
    pub(crate) fn number(&self, name: &'static str) -> Result<&'a serde_json::Number, ArgError> {
        match self.get(name) {
            None => Err(Self::missing(name, "a number")),
            Some(Value::Number(number)) => Ok(number),
            Some(value) => Err(Self::wrong(name, "a number", value)),
        }
    }

    /// An optional non-negative integer no larger than `max`, or `default` when absent.
    ///
    /// A float with no fractional part (`5.0`) is accepted, since some clients send every
    /// number as a double.
    pub(crate) fn count(
        &self,
        name: &'static str,
        default: u64,
        max: u64,
    ) -> Result<u64, ArgError> {
        let Some(value) = self.get(name) else {
            return Ok(default);
        };
        let kind = "a non-negative integer";
        let number = match value {
            Value::Number(number) => number,
            other => return Err(Self::wrong(name, kind, other)),
        };
        let parsed = number.as_u64().or_else(|| {
            number
                .as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= u64::MAX as f64)
                .map(|f| f as u64)
        });
        match parsed {
            None => Err(ArgError {
                name,
                problem: format!("must be {kind}, got {number}"),
            }),
            Some(n) if n > max => Err(ArgError {
                name,
                problem: format!("must be at most {max}, got {n}"),
            }),
            Some(n) => Ok(n),
        }
    }

    /// An optional integer in `i32` range, or `default` when absent.
    pub(crate) fn int32(&self, name: &'static str, default: i32) -> Result<i32, ArgError> {
        let Some(value) = self.get(name) else {
            return Ok(default);
        };
        value
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| ArgError {
                name,
                problem: format!(
                    "must be an integer between {} and {}, got {value}",
                    i32::MIN,
                    i32::MAX
                ),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(value: Value) -> JsonObject {
        match value {
            Value::Object(map) => map,
            _ => JsonObject::new(),
        }
    }

    #[test]
    fn strings_and_numbers() {
        let map = obj(json!({"text": "hi", "n": 3, "f": 2.0, "bad": "x", "neg": -1, "nul": null}));
        let args = Args::new(Some(&map));
        assert_eq!(args.string("text"), Ok("hi"));
        assert_eq!(
            args.string("n").map_err(|e| e.problem),
            Err("must be a string, got number".to_owned())
        );
        assert_eq!(
            args.string("missing").map_err(|e| e.problem),
            Err("is required (a string)".to_owned())
        );
        assert_eq!(args.opt_string("nul"), Ok(None));
        assert_eq!(args.count("n", 7, 10), Ok(3));
        assert_eq!(args.count("f", 7, 10), Ok(2));
        assert_eq!(args.count("absent", 7, 10), Ok(7));
        assert!(args.count("neg", 7, 10).is_err());
        assert!(args.count("bad", 7, 10).is_err());
        assert!(args.count("n", 7, 2).is_err());
        assert_eq!(args.int32("neg", 3), Ok(-1));
        assert_eq!(Args::new(None).int32("code", 3), Ok(3));
    }

    #[test]
    fn error_result_names_tool_and_argument() {
        let result = ArgError {
            name: "a",
            problem: "must be a number, got string".to_owned(),
        }
        .into_result("add");
        assert_eq!(result.is_error, Some(true));
        let text = result.content[0].as_text().map(|t| t.text.clone());
        assert_eq!(
            text.as_deref(),
            Some("invalid arguments for tool `add`: `a` must be a number, got string")
        );
    }
}
