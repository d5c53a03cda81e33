//! Ranked tool search: BM25F over a precomputed inverted index.
//!
//! Each tool is a document with six fields, weighted by how much a match there says about what
//! the tool does: its name's words (3.0), its title (2.0), the server's name (1.5), the
//! description (1.0), parameter names (0.7) and parameter descriptions (0.4); parameters come from
//! `inputSchema.properties` and, one level down, the properties of object-valued (or
//! array-of-object-valued) parameters. Text goes through [`crate::tokenize`]. A term's weight in
//! a tool is BM25F's: the field-weighted, length-normalised term frequencies summed, saturated
//! (`k1` = 1.2) and multiplied by the term's inverse document frequency. All of that is computed
//! when the index is built, so a query only adds up postings: microseconds over 10,000 tools.
//!
//! A query term also matches its thesaurus synonyms ([`crate::tokenize::synonyms`], at 0.6 of the
//! weight) and, when the term itself never occurs, the indexed terms it is a prefix of (at 0.5;
//! `config` finds `configuration`); each query term counts once per tool, through its best
//! match. Tools whose title or description says they are deprecated score 0.6 of what they would.
//! Ties are broken by server name, then tool name, so results are deterministic.

use std::collections::HashMap;

use serde_json::Value;

use crate::tokenize;

/// What the index knows about one tool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The server's name in the config.
    pub server: String,
    /// The tool's name.
    pub tool: String,
    /// `title`, or `annotations.title`.
    pub title: Option<String>,
    /// The description (empty when none).
    pub description: String,
    /// Parameters: top-level properties of `inputSchema`, then one level of nested ones.
    pub params: Vec<Param>,
}

/// One parameter of a tool, for the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// The property name.
    pub name: String,
    /// Its description (empty when none).
    pub description: String,
}

impl Entry {
    /// Reads an entry from a tool's raw JSON (`name`, `title`, `description`, `inputSchema`);
    /// `None` when it has no name.
    pub fn from_tool(server: &str, raw: &Value) -> Option<Entry> {
        let tool = raw.get("name")?.as_str()?.to_owned();
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        let title = text(raw.get("title"))
            .or_else(|| text(raw.get("annotations").and_then(|a| a.get("title"))));
        let description = text(raw.get("description")).unwrap_or_default();
        let mut params = Vec::new();
        if let Some(schema) = raw.get("inputSchema") {
            collect_params(schema, 0, &mut params);
        }
        Some(Entry {
            server: server.to_owned(),
            tool,
            title,
            description,
            params,
        })
    }

    fn deprecated(&self) -> bool {
        let says = |s: &str| s.to_lowercase().contains("deprecated");
        says(&self.description) || self.title.as_deref().is_some_and(says)
    }
}

/// Properties of `schema` (and, at depth 0, of its object-valued properties) into `out`.
fn collect_params(schema: &Value, depth: usize, out: &mut Vec<Param>) {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (name, prop) in props {
        out.push(Param {
            name: name.clone(),
            description: prop
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        });
    }
    if depth == 0 {
        for prop in props.values() {
            let nested = match prop.get("items") {
                Some(items) if items.get("properties").is_some() => items,
                _ => prop,
            };
            collect_params(nested, depth + 1, out);
        }
    }
}

/// One search result.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The server's name.
    pub server: String,
    /// The tool's name.
    pub tool: String,
    /// The BM25F score: higher is better; only comparable within one query.
    pub score: f32,
}

/// The fields of a tool document, with their BM25F weight and length normalisation `b`.
#[derive(Clone, Copy)]
enum Field {
    Name,
    Title,
    Server,
    Description,
    ParamName,
    ParamDescription,
}

const FIELDS: [Field; 6] = [
    Field::Name,
    Field::Title,
    Field::Server,
    Field::Description,
    Field::ParamName,
    Field::ParamDescription,
];

impl Field {
    fn weight(self) -> f32 {
        match self {
            Field::Name => 3.0,
            Field::Title => 2.0,
            Field::Server => 1.5,
            Field::Description => 1.0,
            Field::ParamName => 0.7,
            Field::ParamDescription => 0.4,
        }
    }

    fn b(self) -> f32 {
        match self {
            Field::Name | Field::Title | Field::Server => 0.5,
            Field::Description | Field::ParamName | Field::ParamDescription => 0.75,
        }
    }
}

const K1: f32 = 1.2;
const SYNONYM_WEIGHT: f32 = 0.6;
const PREFIX_WEIGHT: f32 = 0.5;
const MAX_PREFIX_TERMS: usize = 16;
const MIN_PREFIX_LEN: usize = 4;
const DEPRECATED_FACTOR: f32 = 0.6;

/// An in-memory inverted index over tools.
#[derive(Debug, Clone, Default)]
pub struct SearchIndex {
    /// (server, tool) per document.
    docs: Vec<(String, String)>,
    /// Term → its id.
    vocab: HashMap<String, u32>,
    /// Every term, sorted, with its id: for prefix expansion.
    sorted_terms: Vec<(String, u32)>,
    /// Term id → (document, precomputed score contribution), by document.
    postings: Vec<Vec<(u32, f32)>>,
}

impl SearchIndex {
    /// Indexes `entries`.
    pub fn build(entries: impl IntoIterator<Item = Entry>) -> Self {
        let entries: Vec<Entry> = entries.into_iter().collect();
        // Per document: per field, its terms.
        let docs_terms: Vec<[Vec<String>; 6]> = entries.iter().map(field_terms).collect();
        let n = entries.len().max(1) as f32;
        let mut avg = [0f32; 6];
        for fields in &docs_terms {
            for (i, terms) in fields.iter().enumerate() {
                avg[i] += terms.len() as f32;
            }
        }
        for a in &mut avg {
            *a = (*a / n).max(1.0);
        }

        let mut vocab: HashMap<String, u32> = HashMap::new();
        // Term id → (document, field-weighted normalised frequency).
        let mut raw_postings: Vec<Vec<(u32, f32)>> = Vec::new();
        for (doc, fields) in docs_terms.iter().enumerate() {
            let mut tf: HashMap<&str, f32> = HashMap::new();
            for (i, terms) in fields.iter().enumerate() {
                let field = FIELDS[i];
                let norm = 1.0 - field.b() + field.b() * terms.len() as f32 / avg[i];
                for t in terms {
                    *tf.entry(t.as_str()).or_default() += field.weight() / norm;
                }
            }
            let mut tf: Vec<(&str, f32)> = tf.into_iter().collect();
            tf.sort_by(|a, b| a.0.cmp(b.0));
            for (term, weight) in tf {
                let id = match vocab.get(term) {
                    Some(&id) => id,
                    None => {
                        let id = raw_postings.len() as u32;
                        vocab.insert(term.to_owned(), id);
                        raw_postings.push(Vec::new());
                        id
                    }
                };
                raw_postings[id as usize].push((doc as u32, weight));
            }
        }

        let factors: Vec<f32> = entries
            .iter()
            .map(|e| {
                if e.deprecated() {
                    DEPRECATED_FACTOR
                } else {
                    1.0
                }
            })
            .collect();
        let postings = raw_postings
            .into_iter()
            .map(|list| {
                let df = list.len() as f32;
                let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
                list.into_iter()
                    .map(|(doc, tf)| {
                        let saturated = tf * (K1 + 1.0) / (K1 + tf);
                        (doc, idf * saturated * factors[doc as usize])
                    })
                    .collect()
            })
            .collect();
        let mut sorted_terms: Vec<(String, u32)> =
            vocab.iter().map(|(t, &id)| (t.clone(), id)).collect();
        sorted_terms.sort();
        SearchIndex {
            docs: entries.into_iter().map(|e| (e.server, e.tool)).collect(),
            vocab,
            sorted_terms,
            postings,
        }
    }

    /// Number of indexed tools.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether no tools are indexed.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// The best `limit` tools for `query`, best first. Empty when the query has no searchable
    /// words (only stopwords or punctuation) or nothing matches.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let mut terms = tokenize::terms(query);
        let mut seen = std::collections::HashSet::new();
        terms.retain(|t| seen.insert(t.clone()));
        if terms.is_empty() || limit == 0 || self.docs.is_empty() {
            return Vec::new();
        }
        let mut total = vec![0f32; self.docs.len()];
        let mut best = vec![0f32; self.docs.len()];
        let mut touched: Vec<u32> = Vec::new();
        let mut group_touched: Vec<u32> = Vec::new();
        for term in &terms {
            for (id, weight) in self.expand(term) {
                for &(doc, score) in &self.postings[id as usize] {
                    let slot = &mut best[doc as usize];
                    if *slot == 0.0 {
                        group_touched.push(doc);
                    }
                    *slot = slot.max(score * weight);
                }
            }
            for doc in group_touched.drain(..) {
                let d = doc as usize;
                if total[d] == 0.0 {
                    touched.push(doc);
                }
                total[d] += best[d];
                best[d] = 0.0;
            }
        }
        let mut hits: Vec<(u32, f32)> = touched.iter().map(|&d| (d, total[d as usize])).collect();
        let order = |a: &(u32, f32), b: &(u32, f32)| {
            b.1.total_cmp(&a.1)
                .then_with(|| self.docs[a.0 as usize].cmp(&self.docs[b.0 as usize]))
        };
        if hits.len() > limit {
            hits.select_nth_unstable_by(limit - 1, order);
            hits.truncate(limit);
        }
        hits.sort_by(order);
        hits.into_iter()
            .map(|(doc, score)| {
                let (server, tool) = &self.docs[doc as usize];
                Hit {
                    server: server.clone(),
                    tool: tool.clone(),
                    score,
                }
            })
            .collect()
    }

    /// The indexed terms a query term stands for, with their weights.
    fn expand(&self, term: &str) -> Vec<(u32, f32)> {
        let mut out = Vec::new();
        match self.vocab.get(term) {
            Some(&id) => out.push((id, 1.0)),
            None if term.chars().count() >= MIN_PREFIX_LEN => {
                let start = self
                    .sorted_terms
                    .partition_point(|(t, _)| t.as_str() < term);
                out.extend(
                    self.sorted_terms[start..]
                        .iter()
                        .take_while(|(t, _)| t.starts_with(term))
                        .take(MAX_PREFIX_TERMS)
                        .map(|&(_, id)| (id, PREFIX_WEIGHT)),
                );
            }
            None => {}
        }
        for syn in tokenize::synonyms(term) {
            if let Some(&id) = self.vocab.get(&syn) {
                out.push((id, SYNONYM_WEIGHT));
            }
        }
        out
    }
}

/// The terms of each field of an entry, in [`FIELDS`] order.
fn field_terms(e: &Entry) -> [Vec<String>; 6] {
    let mut param_names = Vec::new();
    let mut param_descriptions = Vec::new();
    for p in &e.params {
        tokenize::terms_into(&p.name, &mut param_names);
        tokenize::terms_into(&p.description, &mut param_descriptions);
    }
    [
        tokenize::terms(&e.tool),
        e.title.as_deref().map(tokenize::terms).unwrap_or_default(),
        tokenize::terms(&e.server),
        tokenize::terms(&e.description),
        param_names,
        param_descriptions,
    ]
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn index() -> SearchIndex {
        let tools = [
            (
                "git",
                json!({"name": "git_log", "description": "Shows the commit logs",
                "inputSchema": {"properties": {"repo_path": {"type": "string"}}}}),
            ),
            (
                "git",
                json!({"name": "git_status", "description": "Shows the working tree status"}),
            ),
            (
                "fs",
                json!({"name": "read_text_file", "title": "Read Text File",
                "description": "Read the complete contents of a file as text.",
                "inputSchema": {"properties": {"path": {"type": "string"}}}}),
            ),
            (
                "fs",
                json!({"name": "read_file", "description": "Read a file. DEPRECATED: use read_text_file."}),
            ),
            (
                "fs",
                json!({"name": "list_directory", "description": "List a directory."}),
            ),
            (
                "mem",
                json!({"name": "create_entities", "description": "Create entities",
                "inputSchema": {"properties": {"entities": {"type": "array", "items": {
                    "properties": {"observations": {"description": "facts about it"}}}}}}}),
            ),
        ];
        SearchIndex::build(tools.iter().filter_map(|(s, t)| Entry::from_tool(s, t)))
    }

    fn names(hits: &[Hit]) -> Vec<String> {
        hits.iter()
            .map(|h| format!("{}.{}", h.server, h.tool))
            .collect()
    }

    #[test]
    fn finds_by_description_and_name_words() {
        let idx = index();
        assert_eq!(names(&idx.search("commit history", 1)), ["git.git_log"]);
        assert_eq!(names(&idx.search("read a file", 1)), ["fs.read_text_file"]);
        assert_eq!(names(&idx.search("folder", 1)), ["fs.list_directory"]);
        assert_eq!(names(&idx.search("facts", 1)), ["mem.create_entities"]);
    }

    #[test]
    fn empty_and_stopword_queries_find_nothing() {
        let idx = index();
        assert!(idx.search("", 5).is_empty());
        assert!(idx.search("the of and", 5).is_empty());
        assert!(idx.search("?!", 5).is_empty());
        assert!(idx.search("zebra", 5).is_empty());
        assert!(idx.search("file", 0).is_empty());
        assert!(SearchIndex::build([]).search("file", 5).is_empty());
    }

    #[test]
    fn ties_break_by_server_then_tool() {
        let tools = ["b", "a", "c"].map(|s| {
            Entry::from_tool(s, &json!({"name": "same", "description": "same words"})).unwrap()
        });
        let idx = SearchIndex::build(tools);
        let hits = idx.search("same", 10);
        assert_eq!(names(&hits), ["a.same", "b.same", "c.same"]);
        assert_eq!(hits[0].score, hits[2].score);
        assert_eq!(names(&idx.search("same", 2)), ["a.same", "b.same"]);
    }

    #[test]
    fn prefix_expansion_only_for_unknown_terms() {
        let idx = SearchIndex::build([Entry::from_tool(
            "s",
            &json!({"name": "configuration_dump", "description": "Print the configuration."}),
        )
        .unwrap()]);
        assert_eq!(names(&idx.search("config", 5)), ["s.configuration_dump"]);
        assert!(idx.search("con", 5).is_empty());
    }
}
