//! `${VAR}` and `${VAR:-default}` expansion, as Claude Code does it.
//!
//! An unset variable without a default is an error naming the variable: a silent empty string
//! would start a server with a missing token and fail far from the cause.

use crate::error::ExpandError;

/// Expands every `${VAR}` / `${VAR:-default}` in `input` using `lookup`.
///
/// `$` not followed by `{` is kept as it is, so `$HOME` or a lone `$` in an argument is literal.
/// An empty value counts as unset for `:-` (shell semantics).
pub fn expand(input: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, ExpandError> {
    if !input.contains("${") {
        return Ok(input.to_owned());
    }
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(ExpandError::Unterminated {
                text: input.to_owned(),
            });
        };
        let body = &after[..end];
        let (name, default) = match body.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (body, None),
        };
        if !is_var_name(name) {
            return Err(ExpandError::BadName {
                name: name.to_owned(),
            });
        }
        match (
            lookup(name).filter(|v| !v.is_empty() || default.is_none()),
            default,
        ) {
            (Some(value), _) => out.push_str(&value),
            (None, Some(default)) => out.push_str(default),
            (None, None) => {
                return Err(ExpandError::Unset {
                    var: name.to_owned(),
                });
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "HOME" => Some("/home/u".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn expands_set_default_and_literal() {
        assert_eq!(expand("${HOME}/x", &env).ok(), Some("/home/u/x".into()));
        assert_eq!(expand("${NOPE:-d}", &env).ok(), Some("d".into()));
        assert_eq!(expand("${EMPTY:-d}", &env).ok(), Some("d".into()));
        assert_eq!(expand("${EMPTY}", &env).ok(), Some(String::new()));
        assert_eq!(expand("$HOME and $", &env).ok(), Some("$HOME and $".into()));
        assert_eq!(
            expand("a${HOME}b${NOPE:-}c", &env).ok(),
            Some("a/home/ubc".into())
        );
    }

    #[test]
    fn unset_is_an_error_naming_the_variable() {
        let err = expand("Bearer ${API_TOKEN}", &env).err();
        assert!(matches!(err, Some(ExpandError::Unset { ref var }) if var == "API_TOKEN"));
        assert!(matches!(
            expand("${oops", &env),
            Err(ExpandError::Unterminated { .. })
        ));
        assert!(matches!(
            expand("${1X}", &env),
            Err(ExpandError::BadName { .. })
        ));
    }
}
