//! Python names for things named by MCP servers: modules, functions, parameters, classes.
//!
//! Every name is plain ASCII, never a keyword, never shadows a builtin where that would bite,
//! and never collides with a sibling. Collisions are settled in a fixed order (names that needed
//! no change first, then by original name), so the same input always gives the same names.

use std::collections::HashSet;

/// Python's hard keywords: never usable as a name.
const HARD_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// Soft keywords and the builtin type names that appear in annotations: usable, but confusing.
const SOFT_NAMES: &[&str] = &[
    "match",
    "case",
    "type",
    "_",
    "list",
    "dict",
    "set",
    "frozenset",
    "tuple",
    "str",
    "int",
    "float",
    "bool",
    "bytes",
    "bytearray",
    "object",
    "complex",
];

fn is_keyword(name: &str) -> bool {
    HARD_KEYWORDS.contains(&name) || SOFT_NAMES.contains(&name)
}

/// Builtin functions a script would lose if `from servers.x import *` or a plain import of a
/// tool function shadowed them.
const BUILTIN_FUNCTIONS: &[&str] = &[
    "abs",
    "aiter",
    "all",
    "anext",
    "any",
    "ascii",
    "bin",
    "breakpoint",
    "callable",
    "chr",
    "classmethod",
    "compile",
    "copyright",
    "credits",
    "delattr",
    "dir",
    "divmod",
    "enumerate",
    "eval",
    "exec",
    "exit",
    "filter",
    "format",
    "getattr",
    "globals",
    "hasattr",
    "hash",
    "help",
    "hex",
    "id",
    "input",
    "isinstance",
    "issubclass",
    "iter",
    "len",
    "license",
    "locals",
    "map",
    "max",
    "memoryview",
    "min",
    "next",
    "oct",
    "open",
    "ord",
    "pow",
    "print",
    "property",
    "quit",
    "range",
    "repr",
    "reversed",
    "round",
    "setattr",
    "slice",
    "sorted",
    "staticmethod",
    "sum",
    "super",
    "vars",
    "zip",
    "Ellipsis",
    "NotImplemented",
];

/// Names every generated tool module defines or imports itself.
pub(crate) const MODULE_GLOBALS: &[&str] = &[
    "annotations",
    "Any",
    "Literal",
    "NotRequired",
    "TypedDict",
    "mcp_tool",
];

/// Module names with a meaning of their own inside a package.
const SPECIAL_MODULES: &[&str] = &["__init__", "__main__"];

/// Turns `name` into a valid, non-shadowing Python identifier for a module or function.
///
/// Hyphens, dots, spaces and other punctuation become `_` (a run of them one `_`); common
/// accented letters are transliterated (`größe` → `grosse`), other non-ASCII characters become
/// `_`; a leading digit gets a `_` prefix; keywords and builtins get a trailing `_`
/// (`class` → `class_`, `list` → `list_`), and so do the names a generated module imports
/// (`mcp_tool` → `mcp_tool_`). Case is kept. A name with no letter or digit left
/// becomes `unnamed`.
pub fn sanitize_identifier(name: &str) -> String {
    finish(ascii_identifier(name), |n| {
        is_keyword(n)
            || BUILTIN_FUNCTIONS.contains(&n)
            || SPECIAL_MODULES.contains(&n)
            || MODULE_GLOBALS.contains(&n)
    })
}

/// Whether `name` can be the top-level package of the tree (`from NAME.git import git_log`):
/// a Python identifier (letters, digits and `_`, not starting with a digit) that is not a
/// keyword. Builtin names are fine here: a package shadows no builtin function.
pub fn is_package_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
        && !HARD_KEYWORDS.contains(&name)
}

/// A package name made from a directory name that is not one (`my-servers` → `my_servers`,
/// `2fast` → `_2fast`, `class` → `class_`); see [`is_package_name`].
pub fn package_name(name: &str) -> String {
    finish(ascii_identifier(name), |n| HARD_KEYWORDS.contains(&n))
}

/// Like [`sanitize_identifier`] for a parameter: only keywords are avoided (`id`, `format`
/// and `locals` stay as they are; the wrapper has no body that could need them).
pub(crate) fn sanitize_parameter(name: &str) -> String {
    finish(ascii_identifier(name), is_keyword)
}

/// A `CamelCase` class name from `parts` (`["get-sum", "result"]` → `GetSumResult`).
pub(crate) fn class_name(parts: &[&str]) -> String {
    let mut out = String::new();
    for part in parts {
        for word in ascii_identifier(part).split('_').filter(|w| !w.is_empty()) {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                out.push(first.to_ascii_uppercase());
                out.extend(chars);
            }
        }
    }
    finish(out, |n| is_keyword(n) || MODULE_GLOBALS.contains(&n))
}

/// The singular of a plural property name for the class of its items: `entities` → `entity`,
/// `edits` → `edit`; names that do not look plural get `Item` (`content` → `contentItem`).
pub(crate) fn singular(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let keep = |n: usize| name[..name.len() - n].to_string();
    if lower.ends_with("ies") && name.len() > 4 {
        format!("{}y", keep(3))
    } else if ["sses", "xes", "ches", "shes"]
        .iter()
        .any(|s| lower.ends_with(s))
    {
        keep(2)
    } else if lower.ends_with('s')
        && !["ss", "us", "is", "os", "as"]
            .iter()
            .any(|s| lower.ends_with(s))
        && name.len() > 2
    {
        keep(1)
    } else {
        format!("{name}Item")
    }
}

/// Whether `key` can be written as a field of a class-syntax `TypedDict`: an ASCII identifier,
/// not a hard keyword, and not name-mangled (`__x`).
pub(crate) fn is_plain_field(key: &str) -> bool {
    let mut chars = key.chars();
    let start_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    start_ok
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !HARD_KEYWORDS.contains(&key)
        && (!key.starts_with("__") || key.ends_with("__"))
}

/// Hands out names from one namespace, settling collisions with numbered suffixes.
#[derive(Debug, Default)]
pub(crate) struct Namer {
    taken: HashSet<String>,
    /// File names must also differ on case-insensitive file systems.
    case_insensitive: bool,
    /// `_` for snake_case names (`get_sum_2`), empty for classes (`Entity2`).
    separator: &'static str,
    /// Every name `n` also claims `n{twin}` (the `_sync` twin of a function).
    twin: &'static str,
}

impl Namer {
    /// A namespace of snake_case names.
    pub(crate) fn snake(case_insensitive: bool, twin: &'static str) -> Self {
        Self {
            case_insensitive,
            separator: "_",
            twin,
            ..Self::default()
        }
    }

    /// A namespace of class names.
    pub(crate) fn classes() -> Self {
        Self::default()
    }

    fn key(&self, name: &str) -> String {
        if self.case_insensitive {
            name.to_ascii_lowercase()
        } else {
            name.to_string()
        }
    }

    /// Marks `name` as used without handing it out.
    pub(crate) fn reserve(&mut self, name: &str) {
        self.taken.insert(self.key(name));
    }

    /// Whether `name` (or its twin) is already used.
    pub(crate) fn is_taken(&self, name: &str) -> bool {
        !self.is_free(name)
    }

    fn is_free(&self, name: &str) -> bool {
        !self.taken.contains(&self.key(name))
            && (self.twin.is_empty()
                || !self
                    .taken
                    .contains(&self.key(&format!("{name}{}", self.twin))))
    }

    /// `base` if free, else `base_2`, `base_3`, … (or `Base2` for classes).
    pub(crate) fn claim(&mut self, base: &str) -> String {
        let mut name = base.to_string();
        let mut n = 2;
        while !self.is_free(&name) {
            name = format!("{base}{}{n}", self.separator);
            n += 1;
        }
        self.reserve(&name);
        if !self.twin.is_empty() {
            self.reserve(&format!("{name}{}", self.twin));
        }
        name
    }

    /// Names for `originals` (in their order), claimed in a fixed order: names that came
    /// through `sanitize` unchanged first (lower-case ones first), then the others by original
    /// name.
    pub(crate) fn assign(
        &mut self,
        originals: &[&str],
        sanitize: fn(&str) -> String,
    ) -> Vec<String> {
        let bases: Vec<String> = originals.iter().map(|o| sanitize(o)).collect();
        let mut order: Vec<usize> = (0..originals.len()).collect();
        // Unchanged names first, lower-case ones before others (`a_b` keeps its name when `A_B`
        // collides with it on a case-insensitive file system), then by original name.
        let rank = |i: usize| {
            (
                bases[i] != originals[i],
                originals[i].chars().any(|c| c.is_ascii_uppercase()),
                originals[i],
                i,
            )
        };
        order.sort_by(|&a, &b| rank(a).cmp(&rank(b)));
        let mut names = vec![String::new(); originals.len()];
        for i in order {
            names[i] = self.claim(&bases[i]);
        }
        names
    }
}

/// The character-level part of sanitizing: ASCII letters, digits and `_` only.
fn ascii_identifier(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut replaced = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
            replaced = false;
        } else if ('\u{300}'..='\u{36f}').contains(&c) {
            // Combining accents (decomposed input): the base letter is already there.
        } else if let Some(t) = transliterate(c) {
            out.push_str(t);
            replaced = false;
        } else if !replaced {
            out.push('_');
            replaced = true;
        }
    }
    out
}

/// Leading digit, emptiness and reserved words.
fn finish(mut name: String, reserved: impl Fn(&str) -> bool) -> String {
    if !name.chars().any(|c| c.is_ascii_alphanumeric()) {
        name = "unnamed".to_string();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    if reserved(&name) {
        name.push('_');
    }
    name
}

/// ASCII spellings of the Latin letters that have an obvious one.
fn transliterate(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'Ā' | 'Ă' | 'Ą' => "A",
        'æ' => "ae",
        'Æ' => "AE",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'Ç' | 'Ć' | 'Ĉ' | 'Ċ' | 'Č' => "C",
        'ď' | 'đ' | 'ð' => "d",
        'Ď' | 'Đ' | 'Ð' => "D",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ĕ' | 'Ė' | 'Ę' | 'Ě' => "E",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'Ĝ' | 'Ğ' | 'Ġ' | 'Ģ' => "G",
        'ĥ' | 'ħ' => "h",
        'Ĥ' | 'Ħ' => "H",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'Ì' | 'Í' | 'Î' | 'Ï' | 'Ĩ' | 'Ī' | 'Ĭ' | 'Į' | 'İ' => "I",
        'ĵ' => "j",
        'Ĵ' => "J",
        'ķ' => "k",
        'Ķ' => "K",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'Ĺ' | 'Ļ' | 'Ľ' | 'Ŀ' | 'Ł' => "L",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'Ñ' | 'Ń' | 'Ņ' | 'Ň' => "N",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ō' | 'Ŏ' | 'Ő' => "O",
        'œ' => "oe",
        'Œ' => "OE",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'Ŕ' | 'Ŗ' | 'Ř' => "R",
        'ś' | 'ŝ' | 'ş' | 'š' => "s",
        'Ś' | 'Ŝ' | 'Ş' | 'Š' => "S",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' => "t",
        'Ţ' | 'Ť' | 'Ŧ' => "T",
        'þ' => "th",
        'Þ' => "TH",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ũ' | 'Ū' | 'Ŭ' | 'Ů' | 'Ű' | 'Ų' => "U",
        'ŵ' => "w",
        'Ŵ' => "W",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'Ý' | 'Ÿ' | 'Ŷ' => "Y",
        'ź' | 'ż' | 'ž' => "z",
        'Ź' | 'Ż' | 'Ž' => "Z",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names() {
        for ok in ["servers", "my_servers", "_x", "list", "match", "données"] {
            assert!(is_package_name(ok), "{ok}");
        }
        for (bad, fixed) in [
            ("my-servers", "my_servers"),
            ("2fast", "_2fast"),
            ("class", "class_"),
            ("my servers", "my_servers"),
            ("", "unnamed"),
            (".tmp", "_tmp"),
        ] {
            assert!(!is_package_name(bad), "{bad}");
            assert_eq!(package_name(bad), fixed);
            assert!(is_package_name(&package_name(bad)), "{bad}");
        }
    }

    #[test]
    fn sanitizes_odd_names() {
        assert_eq!(sanitize_identifier("echo-tool"), "echo_tool");
        assert_eq!(sanitize_identifier("class"), "class_");
        assert_eq!(sanitize_identifier("größe"), "grosse");
        assert_eq!(sanitize_identifier("café"), "cafe");
        assert_eq!(sanitize_identifier("cafe\u{301}"), "cafe");
        assert_eq!(sanitize_identifier("3d-render"), "_3d_render");
        assert_eq!(sanitize_identifier("a . b"), "a_b");
        assert_eq!(sanitize_identifier("list"), "list_");
        assert_eq!(sanitize_identifier("print"), "print_");
        assert_eq!(sanitize_identifier("getSum"), "getSum");
        assert_eq!(sanitize_identifier("日本"), "unnamed");
        assert_eq!(sanitize_identifier("__init__"), "__init___");
        assert_eq!(sanitize_parameter("id"), "id");
        assert_eq!(sanitize_parameter("from"), "from_");
        assert_eq!(sanitize_parameter("locals"), "locals");
        assert_eq!(sanitize_identifier("mcp_tool"), "mcp_tool_");
    }

    #[test]
    fn collisions_are_settled_in_a_fixed_order() {
        let mut namer = Namer::snake(true, "_sync");
        let names = namer.assign(
            &["get-sum", "get_sum", "Get.Sum", "get_sum_sync"],
            sanitize_identifier,
        );
        assert_eq!(
            names,
            ["get_sum_2", "get_sum", "Get_Sum_3", "get_sum_sync_2"]
        );
        // Module names collide case-insensitively: the valid lower-case name keeps its name.
        let mut namer = Namer::snake(true, "_sync");
        let names = namer.assign(&["A_B", "a_b", "a-b"], sanitize_identifier);
        assert_eq!(names, ["A_B_2", "a_b", "a_b_3"]);
    }

    #[test]
    fn class_names_and_singulars() {
        assert_eq!(class_name(&["get-sum", "result"]), "GetSumResult");
        assert_eq!(class_name(&["none"]), "None_");
        assert_eq!(singular("entities"), "entity");
        assert_eq!(singular("status"), "statusItem");
        assert_eq!(singular("edits"), "edit");
        assert_eq!(singular("content"), "contentItem");
        assert!(is_plain_field("relationType"));
        assert!(is_plain_field("type"));
        assert!(!is_plain_field("from"));
        assert!(!is_plain_field("a-b"));
        assert!(!is_plain_field("__x"));
    }
}
