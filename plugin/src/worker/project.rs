//! The project: the dataset, the model in use, and what restoring it left behind. The worker
//! owns it and publishes a snapshot after every change; the editor and the state save read the
//! snapshot.

use serde_json::value::RawValue;
use std::sync::Arc;
use timbrel_learn::state::ProjectState;
use timbrel_learn::{Dataset, Model};

/// A snapshot of the project.
#[derive(Debug, Clone, Default)]
pub struct Project {
    /// The classes and examples.
    pub dataset: Dataset,
    /// The model the audio thread uses (or is about to), saved with the project so that
    /// restoring needs no retraining.
    pub model: Option<Arc<Model>>,
    /// A restored state this build could not read (written by a newer Timbrel, or damaged),
    /// exactly as the project held it. While it is here the plugin works with defaults, saves
    /// this text back unchanged instead of its own state, and records no hits.
    pub kept: Option<Box<RawValue>>,
    /// Why the last restore or import failed (or what it left out), for the editor.
    pub problem: Option<String>,
}

impl Project {
    /// Whether an unreadable restored state is being kept (see [`Self::kept`]).
    pub fn is_kept(&self) -> bool {
        self.kept.is_some()
    }

    /// The project state to save: the dataset and, if it matches the dataset's classes and
    /// pair, the model in use.
    pub fn state(&self) -> ProjectState {
        let model = self.model.as_deref().filter(|m| {
            m.pair() == self.dataset.pair
                && m.classes().iter().map(|c| &c.name).eq(self
                    .dataset
                    .classes
                    .iter()
                    .map(|c| &c.name))
        });
        ProjectState {
            dataset: self.dataset.clone(),
            model: model.cloned(),
        }
    }
}
