//! Text that ends up in Python source: literals, docstrings, wrapped prose, summaries.
//!
//! Whatever a server sends (quotes, backslashes, control characters, `"""`) must come out as
//! valid Python that says the same thing.

use serde_json::Value;

/// The longest summary line, in characters.
pub(crate) const SUMMARY_MAX: usize = 120;

/// A double-quoted Python string literal for `s`.
pub(crate) fn py_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() && (c as u32) < 0x100 => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `value` as a Python literal when it is a scalar (`None`, `True`, `3`, `2.5`, `"x"`).
pub(crate) fn py_literal(value: &Value) -> Option<String> {
    match value {
        Value::Null => Some("None".into()),
        Value::Bool(true) => Some("True".into()),
        Value::Bool(false) => Some("False".into()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(py_str(s)),
        _ => None,
    }
}

/// `value` as a member of `typing.Literal[…]`: strings, integers and booleans only.
pub(crate) fn literal_member(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) if n.is_f64() => None,
        Value::Null => None,
        other => py_literal(other),
    }
}

/// Prose as it may appear in source: newlines normalized, other control characters dropped.
pub(crate) fn clean(s: &str) -> String {
    let s = s.replace("\r\n", "\n");
    s.chars()
        .filter_map(|c| match c {
            '\r' | '\u{2028}' | '\u{2029}' => Some('\n'),
            '\n' | '\t' => Some(c),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// `s` on one line: every run of whitespace one space, control characters dropped.
pub(crate) fn collapse(s: &str) -> String {
    clean(s).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Greedy word wrap of one paragraph to `width` columns; the first line starts with `first`,
/// the others with `rest`. A word longer than a line gets a line of its own.
pub(crate) fn wrap(text: &str, width: usize, first: &str, rest: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = first.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        let prefix_len = if lines.is_empty() {
            first.len()
        } else {
            rest.len()
        };
        if !empty && line.chars().count() + 1 + word.chars().count() > width.max(prefix_len + 20) {
            lines.push(std::mem::replace(&mut line, rest.to_string()));
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    lines.push(line);
    lines
}

/// A description as docstring lines: each source line wrapped at `width` (keeping its
/// indentation), runs of blank lines collapsed, blank edges trimmed.
pub(crate) fn wrap_description(text: &str, width: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in clean(text).lines() {
        let line = line.trim_end();
        if line.is_empty() {
            if out.last().is_some_and(|l| !l.is_empty()) {
                out.push(String::new());
            }
            continue;
        }
        let indent: String = line
            .chars()
            .take_while(|c| c.is_whitespace())
            .map(|_| ' ')
            .collect();
        let body = line.trim_start();
        // List items keep their continuation lines under the item's text.
        let marker = ["- ", "* ", "+ "]
            .iter()
            .find(|m| body.starts_with(**m))
            .map_or(0, |m| m.len());
        out.extend(wrap(
            body,
            width,
            &indent,
            &format!("{indent}{}", " ".repeat(marker)),
        ));
    }
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    out
}

/// The first sentence of `description`, on one line, at most 120 characters (cut at a word
/// with `…` when longer): the one-line summary used by listings and search.
pub fn summary(description: &str) -> String {
    let cleaned = clean(description);
    let first_paragraph = cleaned
        .split("\n\n")
        .map(|p| p.trim_start_matches(|c: char| c == '#' || c.is_whitespace()))
        .find(|p| !p.trim().is_empty())
        .unwrap_or("");
    let text = collapse(first_paragraph);
    let sentence = first_sentence(&text);
    if sentence.chars().count() <= SUMMARY_MAX {
        return sentence.to_string();
    }
    let cut: String = sentence.chars().take(SUMMARY_MAX - 1).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > SUMMARY_MAX / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end_matches([',', ';', ':', ' ']))
}

fn first_sentence(text: &str) -> &str {
    const ABBREVIATIONS: &[&str] = &["e.g", "i.e", "etc", "vs", "approx", "incl", "cf", "resp"];
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if matches!(b, b'.' | b'!' | b'?') && bytes.get(i + 1) == Some(&b' ') {
            let word = text[..i]
                .rsplit(' ')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            let word = word.trim_start_matches(['(', '"', '\'']);
            if b == b'.' && ABBREVIATIONS.contains(&word) {
                continue;
            }
            return &text[..=i];
        }
    }
    text
}

/// `text` as an indented triple-quoted docstring, escaped so that nothing in it can end the
/// string early; the opening quotes follow `indent`, the closing ones sit on their own line.
pub(crate) fn docstring_block(text: &str, indent: &str) -> String {
    let mut out = format!("{indent}\"\"\"");
    let mut quotes = 0;
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
            if !line.is_empty() {
                out.push_str(indent);
            }
        }
        for c in line.chars() {
            match c {
                '\\' => {
                    out.push_str("\\\\");
                    quotes = 0;
                }
                '"' => {
                    quotes += 1;
                    if quotes == 3 {
                        out.push_str("\\\"");
                        quotes = 0;
                    } else {
                        out.push('"');
                    }
                }
                c => {
                    out.push(c);
                    quotes = 0;
                }
            }
        }
        quotes = 0;
    }
    if text.contains('\n') || text.ends_with('"') {
        out.push('\n');
        out.push_str(indent);
    }
    out.push_str("\"\"\"");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries() {
        assert_eq!(summary("Shows the commit logs"), "Shows the commit logs");
        assert_eq!(summary("Read a file. Then more."), "Read a file.");
        assert_eq!(summary("Use e.g. this. Rest."), "Use e.g. this.");
        assert_eq!(summary("# Title\n\nBody text."), "Title");
        assert_eq!(
            summary("Version 1.5 is here. Next."),
            "Version 1.5 is here."
        );
        let long = "word ".repeat(60);
        let s = summary(&long);
        assert!(s.chars().count() <= SUMMARY_MAX && s.ends_with('…'), "{s}");
        assert_eq!(summary(""), "");
    }

    #[test]
    fn docstrings_cannot_escape() {
        assert_eq!(
            docstring_block("a \"\"\" b", ""),
            "\"\"\"a \"\"\\\" b\"\"\""
        );
        assert_eq!(docstring_block("ends \"", ""), "\"\"\"ends \"\n\"\"\"");
        assert_eq!(docstring_block("x\\y", ""), "\"\"\"x\\\\y\"\"\"");
        assert_eq!(
            docstring_block("a\n\nb", "    "),
            "    \"\"\"a\n\n    b\n    \"\"\""
        );
    }

    #[test]
    fn literals() {
        assert_eq!(py_str("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\x01\"");
        assert_eq!(py_literal(&Value::from(2.5)).as_deref(), Some("2.5"));
        assert_eq!(literal_member(&Value::from(2.5)), None);
        assert_eq!(literal_member(&Value::from(true)).as_deref(), Some("True"));
    }

    #[test]
    fn wraps() {
        let lines = wrap("aaa bbb ccc ddd", 30, "- ", "  ");
        assert_eq!(lines, ["- aaa bbb ccc ddd"]);
        let lines = wrap(&"word ".repeat(20), 30, "", "  ");
        assert!(lines.iter().all(|l| l.len() <= 30), "{lines:?}");
    }
}
