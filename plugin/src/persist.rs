//! Persistence: the Timbrel state the host saves with the project (the `dataset` field of the
//! parameters): the dataset and the model in use, as one compact versioned string (see
//! `timbrel_learn::state`); older projects hold the dataset as a JSON object, which restoring
//! migrates. The field is handled as raw JSON text so that a state this build cannot read is
//! saved back byte for byte.
//!
//! Both directions run on the host's thread and go through the worker, the only writer of the
//! project: a load sends the decoded state as a [`Command`] and waits until the worker has
//! applied it; a save waits for the commands sent before it, then encodes the published
//! [`Project`].

use crate::worker::{Command, Commands, Project, Published, FLUSH_TIMEOUT};
use serde_json::value::RawValue;
use std::sync::Arc;

/// The project as the host stores it; the worker owns it, this is the parameters' handle on it.
#[derive(Debug, Clone, Default)]
pub struct PersistedDataset {
    commands: Commands,
    project: Arc<Published<Project>>,
}

impl PersistedDataset {
    /// A handle on the project the worker publishes in `project` and takes commands for
    /// through `commands`.
    pub fn new(commands: Commands, project: Arc<Published<Project>>) -> Self {
        Self { commands, project }
    }

    /// The latest snapshot of the project.
    pub fn project(&self) -> Arc<Project> {
        self.project.load()
    }

    /// The queue to the worker.
    pub fn commands(&self) -> &Commands {
        &self.commands
    }

    /// Drops a kept unreadable state, and everything else, for the defaults (the user's
    /// explicit "Start over"), and waits until the worker did.
    pub fn start_over(&self) {
        self.commands.send_and_wait(Command::StartOver);
    }

    /// Logs a problem and has the worker keep it for the editor.
    fn report(&self, message: String) {
        nice_plug::nice_error!("{message}");
        self.commands.send(Command::Report(message));
    }
}

impl<'a> nice_plug::params::persist::PersistentField<'a, Box<RawValue>> for PersistedDataset {
    fn set(&self, value: Box<RawValue>) {
        let command = match timbrel_learn::state::restore_str(value.get()) {
            Ok(restored) => {
                let state = restored.state;
                let hits = state.dataset.examples.len();
                let problem = restored.model_left_out.map(|e| {
                    format!(
                        "the saved model could not be used ({e}); kept its {hits} hits and retrained"
                    )
                });
                if let Some(problem) = &problem {
                    nice_plug::nice_error!("{problem}");
                }
                Command::Restore {
                    dataset: state.dataset,
                    model: state.model,
                    problem,
                }
            }
            Err(e) => {
                let what = if e.written_by_newer() {
                    "the saved Timbrel state was saved by a newer Timbrel"
                } else {
                    "the saved Timbrel state could not be read"
                };
                let problem = format!("{what}; kept unchanged; Start over to replace it ({e})");
                nice_plug::nice_error!("{problem}");
                Command::KeepUnreadable {
                    raw: value,
                    problem,
                }
            }
        };
        // NOTE: waiting here hands a restored model to the audio thread before the host's next
        // block, even in a host that renders faster than real time right after loading.
        self.commands.send_and_wait(command);
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&Box<RawValue>) -> R,
    {
        self.commands.flush(FLUSH_TIMEOUT);
        let project = self.project();
        if let Some(kept) = project.kept.as_ref() {
            return f(kept);
        }
        let state = project.state();
        let encoded = timbrel_learn::state::encode(&state).or_else(|_| {
            timbrel_learn::state::encode(&timbrel_learn::state::ProjectState {
                model: None,
                ..state
            })
        });
        let raw = encoded
            .map_err(|e| e.to_string())
            .and_then(|text| serde_json::value::to_raw_value(&text).map_err(|e| e.to_string()));
        match raw {
            Ok(raw) => f(&raw),
            Err(e) => {
                self.report(format!("could not save Timbrel's state: {e}"));
                f(&RawValue::NULL.to_owned())
            }
        }
    }
}
