//! The one queue from the editor and the host's callbacks to the worker.
//!
//! Everything that changes the dataset, the model or the free-play take goes through here as a
//! [`Command`]; the worker applies the commands in the order they were sent and is the only
//! writer of what they change. A sender that needs to see the result before it goes on (a state
//! load, a state save, a test) waits with [`Commands::flush`].

use super::take::ZoneRequest;
use std::sync::mpsc;
use std::time::Duration;
use timbrel_learn::{Dataset, Model};

/// How long [`Commands::flush`] waits by default for the worker, e.g. while it splits a take
/// into zones.
pub const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// A change to the dataset, run by the worker: `Ok(message)` when it changed the dataset (the
/// model retrains), `Err(why not)` when it changed nothing. An empty message is not shown.
pub type DatasetEdit = Box<dyn FnOnce(&mut Dataset) -> Result<String, String> + Send>;

/// What the editor and the host callbacks ask of the worker.
pub enum Command {
    /// Edit the dataset (classes, examples, the pair); retrains when the edit succeeds. The
    /// outcome appears in the worker's view ([`super::WorkerView::edit_outcome`]).
    Edit(DatasetEdit),
    /// Take over a restored project: its dataset, its model (used as it is, without retraining;
    /// `None`: retrain), and the problem restoring it had, if any.
    Restore {
        /// The restored dataset.
        dataset: Dataset,
        /// The model saved with it, if it could be used.
        model: Option<Model>,
        /// What went wrong while restoring (the model was left out), for the editor.
        problem: Option<String>,
    },
    /// A saved state this build cannot read: work with the defaults, save this text back
    /// unchanged, record nothing, until [`Command::StartOver`] or [`Command::Import`].
    KeepUnreadable {
        /// The state exactly as the project held it.
        raw: Box<serde_json::value::RawValue>,
        /// Why it could not be read.
        problem: String,
    },
    /// Take over an imported model file's dataset and model (used as it is).
    Import {
        /// The file's dataset (or its classes without examples).
        dataset: Dataset,
        /// The file's model.
        model: Model,
    },
    /// Forget everything (a kept unreadable state included) for the defaults.
    StartOver,
    /// Record a problem for the editor to show.
    Report(String),
    /// Propose, keep or dismiss auto-zones, or clear the free-play take.
    Zones(ZoneRequest),
    /// Forget the recent-hit log.
    ClearHitLog,
    /// Publish everything now, then answer (see [`Commands::flush`]).
    Flush(mpsc::SyncSender<()>),
    /// End the worker thread.
    Stop,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Command::Edit(_) => "Edit",
            Command::Restore { .. } => "Restore",
            Command::KeepUnreadable { .. } => "KeepUnreadable",
            Command::Import { .. } => "Import",
            Command::StartOver => "StartOver",
            Command::Report(_) => "Report",
            Command::Zones(_) => "Zones",
            Command::ClearHitLog => "ClearHitLog",
            Command::Flush(_) => "Flush",
            Command::Stop => "Stop",
        };
        f.write_str(name)
    }
}

/// The sending end of the command queue; clones share the queue. Never used by the audio
/// thread (sending may allocate).
#[derive(Debug, Clone)]
pub struct Commands(mpsc::Sender<Command>);

/// The worker's end of the command queue.
pub type Inbox = mpsc::Receiver<Command>;

/// A new, empty command queue.
pub fn command_queue() -> (Commands, Inbox) {
    let (tx, rx) = mpsc::channel();
    (Commands(tx), rx)
}

impl Default for Commands {
    /// A queue nobody reads (parameters made outside a plugin instance): commands are dropped.
    fn default() -> Self {
        command_queue().0
    }
}

impl Commands {
    /// Queues `command`; returns whether a worker will see it.
    pub fn send(&self, command: Command) -> bool {
        self.0.send(command).is_ok()
    }

    /// Waits until the worker has applied every command sent before, and published what they
    /// changed, at most `timeout`; returns whether it did (false without a worker).
    pub fn flush(&self, timeout: Duration) -> bool {
        let (tx, rx) = mpsc::sync_channel(1);
        self.send(Command::Flush(tx)) && rx.recv_timeout(timeout).is_ok()
    }

    /// Sends `command` and [`Self::flush`]es with [`FLUSH_TIMEOUT`].
    pub fn send_and_wait(&self, command: Command) -> bool {
        self.send(command) && self.flush(FLUSH_TIMEOUT)
    }
}
