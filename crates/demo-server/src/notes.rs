//! The in-memory note store behind `notes_add`, `notes_list` and `notes_search`.
//!
//! Notes live as long as the server process (one store per [`crate::DemoServer`]); nothing is
//! written to disk. The store knows nothing about MCP: the tool layer turns notes into results.

use std::sync::{Mutex, PoisonError};

use serde::Serialize;

/// One note, as returned in structured tool output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Note {
    /// Sequential id, starting at 1.
    pub(crate) id: u64,
    /// Short title given by the caller.
    pub(crate) title: String,
    /// Free-form body text.
    pub(crate) body: String,
}

/// A process-local, thread-safe list of notes.
#[derive(Debug, Default)]
pub(crate) struct NoteStore {
    notes: Mutex<Vec<Note>>,
}

impl NoteStore {
    /// Stores a note and returns it with its new id.
    pub(crate) fn add(&self, title: &str, body: &str) -> Note {
        let mut notes = self.notes.lock().unwrap_or_else(PoisonError::into_inner);
        let id = notes.last().map_or(1, |note| note.id + 1);
        let note = Note {
            id,
            title: title.to_owned(),
            body: body.to_owned(),
        };
        notes.push(note.clone());
        note
    }

    /// Every note, oldest first.
    pub(crate) fn list(&self) -> Vec<Note> {
        self.notes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Notes whose title or body contains `query`, ignoring case; oldest first.
    pub(crate) fn search(&self, query: &str) -> Vec<Note> {
        let needle = query.to_lowercase();
        self.notes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|note| {
                note.title.to_lowercase().contains(&needle)
                    || note.body.to_lowercase().contains(&needle)
            })
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_sequential_and_search_ignores_case() {
        let store = NoteStore::default();
        assert_eq!(store.add("Groceries", "milk, eggs").id, 1);
        assert_eq!(store.add("Trip", "Book the TRAIN to Lyon").id, 2);
        assert_eq!(store.list().len(), 2);
        let hits = store.search("train");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].title, "Trip");
        assert_eq!(store.search("GROC")[0].id, 1);
        assert!(store.search("nothing like this").is_empty());
    }
}
