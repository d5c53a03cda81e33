//! Turning tool metadata and queries into search terms.
//!
//! Both sides go through the same steps, so a query word and an indexed word meet when they share
//! a stem:
//!
//! 1. **Split** on every character that is not a letter or a digit (so `snake_case`,
//!    `kebab-case`, `dotted.names`, paths and punctuation all separate), then inside each piece at
//!    camelCase humps (`entityNames` → `entity names`, `HTTPServer` → `http server`) and at
//!    letter/digit boundaries (`base64` → `base 64`).
//! 2. **Lowercase**.
//! 3. **Drop** a short list of English stopwords and single letters.
//! 4. **Stem**, lightly and predictably (no dictionary): plurals (`entities` → `entity`,
//!    `matches` → `match`, `files` → `file`; words ending in `ss`, `us` or `is` are left alone),
//!    then `-ing` and `-ed` when at least three letters remain (with a doubled final consonant
//!    undone when four or more remain: `committed` → `commit`), then a final `e` is dropped from
//!    words longer than three letters, so `stage`, `staged`, `staging` and `stages` all become
//!    `stag`. Stems are keys, not words; they are never shown.
//!
//! Queries additionally expand through a small thesaurus of general tool vocabulary
//! ([`synonyms`]): `folder` also looks for `directory`, `history` for `log`, `remove` for
//! `delete`. Expansions score less than the word typed.

/// Whether a word is too common to carry meaning in a tool search.
fn is_stopword(word: &str) -> bool {
    matches!(
        word,
        "a" | "about"
            | "all"
            | "an"
            | "and"
            | "any"
            | "are"
            | "as"
            | "at"
            | "be"
            | "been"
            | "but"
            | "by"
            | "can"
            | "could"
            | "do"
            | "does"
            | "for"
            | "from"
            | "give"
            | "has"
            | "have"
            | "how"
            | "i"
            | "if"
            | "in"
            | "into"
            | "is"
            | "it"
            | "its"
            | "me"
            | "my"
            | "of"
            | "on"
            | "or"
            | "our"
            | "please"
            | "should"
            | "so"
            | "some"
            | "such"
            | "than"
            | "that"
            | "the"
            | "their"
            | "them"
            | "then"
            | "there"
            | "these"
            | "this"
            | "those"
            | "to"
            | "us"
            | "via"
            | "want"
            | "was"
            | "we"
            | "were"
            | "what"
            | "when"
            | "where"
            | "which"
            | "while"
            | "who"
            | "will"
            | "with"
            | "would"
            | "you"
            | "your"
    )
}

/// Groups of words that mean the same thing when an agent looks for a tool. A query word in a
/// group also searches for the others, at a lower weight. General vocabulary only: nothing here
/// names a particular server's tool.
const SYNONYMS: &[&[&str]] = &[
    &["directory", "folder", "dir"],
    &["delete", "remove", "erase", "rm", "unlink"],
    &["search", "find", "lookup", "grep"],
    &["get", "fetch", "retrieve", "obtain"],
    &["edit", "modify", "update", "patch"],
    &["move", "rename", "mv"],
    &["write", "save", "store"],
    &["create", "make"],
    &["list", "enumerate", "ls"],
    &["show", "display", "view", "print"],
    &["log", "history"],
    &["timezone", "zone", "tz"],
    &["memory", "remember", "memorize", "recall"],
    &["image", "picture", "photo", "png"],
    &[
        "metadata",
        "info",
        "information",
        "stat",
        "details",
        "attributes",
    ],
    &["environment", "env"],
    &["node", "entity", "vertex"],
    &["relation", "relationship", "edge"],
    &["compress", "gzip", "zip"],
    &["sleep", "wait", "pause", "delay"],
    &["error", "fail", "failure"],
    &["note", "memo"],
    &["status", "state"],
    &["diff", "difference", "compare"],
    &["sum", "total"],
];

/// The stemmed search terms of `text`, in order, duplicates kept.
pub fn terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    terms_into(text, &mut out);
    out
}

/// Appends the stemmed search terms of `text` to `out`.
pub fn terms_into(text: &str, out: &mut Vec<String>) {
    for_each_word(text, |word| {
        if let Some(term) = normalize(word) {
            out.push(term);
        }
    });
}

/// Calls `f` with each lowercase word of `text` (step 1 and 2 above).
fn for_each_word(text: &str, mut f: impl FnMut(&str)) {
    let mut word = String::new();
    for piece in text.split(|c: char| !c.is_alphanumeric()) {
        if piece.is_empty() {
            continue;
        }
        if piece.bytes().all(|b| b.is_ascii_lowercase()) {
            // The common case: nothing to split or lowercase.
            f(piece);
            continue;
        }
        word.clear();
        let mut chars = piece.chars().peekable();
        let mut prev: Option<char> = None;
        while let Some(c) = chars.next() {
            if let Some(p) = prev
                && is_boundary(p, c, chars.peek())
            {
                f(&word);
                word.clear();
            }
            word.extend(c.to_lowercase());
            prev = Some(c);
        }
        if !word.is_empty() {
            f(&word);
        }
    }
}

/// Whether a word boundary falls between `prev` and `cur`.
fn is_boundary(prev: char, cur: char, next: Option<&char>) -> bool {
    let digit_change = prev.is_numeric() != cur.is_numeric();
    let hump = prev.is_lowercase() && cur.is_uppercase();
    // The last capital of an acronym starts the next word: `HTTPServer` → `HTTP` `Server`.
    let acronym_end =
        prev.is_uppercase() && cur.is_uppercase() && next.is_some_and(|n| n.is_lowercase());
    digit_change || hump || acronym_end
}

/// A lowercase word to its term, or `None` for a stopword or a single letter.
fn normalize(word: &str) -> Option<String> {
    let single_letter = {
        let mut chars = word.chars();
        matches!((chars.next(), chars.next()), (Some(c), None) if c.is_alphabetic())
    };
    if single_letter || is_stopword(word) {
        return None;
    }
    Some(stem(word))
}

/// The light stemmer described in the module docs. Input is one lowercase word.
pub fn stem(word: &str) -> String {
    if !word.is_ascii() || word.len() <= 3 {
        return word.to_owned();
    }
    let mut w = word.to_owned();
    // Plurals.
    if w.len() > 4 && w.ends_with("ies") {
        w.truncate(w.len() - 3);
        w.push('y');
    } else if ["sses", "ches", "shes", "xes", "zes"]
        .iter()
        .any(|s| w.ends_with(s))
    {
        w.truncate(w.len() - 2);
    } else if w.ends_with('s') && !["ss", "us", "is"].iter().any(|s| w.ends_with(s)) {
        w.truncate(w.len() - 1);
    }
    // Verb endings.
    for suffix in ["ing", "ed"] {
        if w.len() >= suffix.len() + 3 && w.ends_with(suffix) {
            w.truncate(w.len() - suffix.len());
            let b = w.as_bytes();
            let n = b.len();
            if n >= 4 && b[n - 1] == b[n - 2] && !matches!(b[n - 1], b'l' | b's' | b'z') {
                w.truncate(n - 1);
            }
            break;
        }
    }
    if w.len() > 3 && w.ends_with('e') {
        w.truncate(w.len() - 1);
    }
    w
}

/// The other stems of `term`'s thesaurus group (empty when it has none). `term` is a stem.
pub fn synonyms(term: &str) -> Vec<String> {
    let mut out = Vec::new();
    for group in SYNONYMS {
        if group.iter().any(|w| stem(w) == term) {
            out.extend(group.iter().map(|w| stem(w)).filter(|s| s != term));
        }
    }
    out.dedup();
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn splits_identifiers() {
        assert_eq!(terms("read_text_file"), ["read", "text", "fil"]);
        assert_eq!(terms("get-tiny-image"), ["get", "tiny", "imag"]);
        assert_eq!(terms("entityNames"), ["entity", "nam"]);
        assert_eq!(terms("HTTPServer.v2"), ["http", "server", "2"]);
        assert_eq!(terms("base64"), ["bas", "64"]);
        assert_eq!(terms("repo.path"), ["repo", "path"]);
    }

    #[test]
    fn drops_stopwords_and_letters() {
        assert_eq!(terms("What is the time in Tokyo?"), ["tim", "tokyo"]);
        assert!(terms("a the of to").is_empty());
        assert_eq!(terms("sum a + b"), ["sum"]);
    }

    #[test]
    fn stems_plurals_and_verb_forms() {
        for (a, b) in [
            ("files", "file"),
            ("entities", "entity"),
            ("branches", "branch"),
            ("matches", "match"),
            ("commits", "commit"),
            ("committed", "commit"),
            ("staging", "stage"),
            ("staged", "stage"),
            ("stages", "stage"),
            ("changes", "change"),
            ("created", "create"),
            ("directories", "directory"),
            ("timezones", "timezone"),
            ("logs", "log"),
            ("adding", "add"),
            ("added", "add"),
        ] {
            assert_eq!(stem(a), stem(b), "{a} vs {b}");
        }
        assert_eq!(stem("status"), "status");
        assert_eq!(stem("address"), "address");
        assert_eq!(stem("analysis"), "analysis");
        assert_eq!(stem("café"), "café");
    }

    #[test]
    fn thesaurus_is_symmetric_within_groups() {
        assert!(synonyms(&stem("folder")).contains(&stem("directory")));
        assert!(synonyms(&stem("directory")).contains(&stem("folder")));
        assert!(synonyms(&stem("history")).contains(&stem("log")));
        assert!(synonyms("zzz").is_empty());
    }
}
