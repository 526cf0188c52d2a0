//! The worker: everything between the audio thread and the editor that may take time.
//!
//! # Threads, and what each may touch
//!
//! - **Audio thread** (`process()` in `lib.rs`): reads the parameters, takes new models from
//!   [`crate::swap`] (and hands the replaced ones back), pushes every finished hit
//!   ([`ToWorker::Hit`]) and every end of an arming ([`ToWorker::TrainingStopped`]) into the
//!   hit ring, and the analysed signal in [`AudioChunk`](crate::snippets::AudioChunk)s into the audio ring (both `rtrb`
//!   SPSC rings), stores the [`Meters`] (atomics), and posts main-thread tasks
//!   ([`crate::publish`]). It never touches the command queue, the published snapshots or any
//!   lock, and never allocates or waits.
//! - **Worker thread** (this module; `thread`): the only writer of the project (dataset, model,
//!   kept unreadable state, problem; [`Project`]), the free-play take and the editor's view
//!   ([`WorkerView`]). It waits for a [`Command`] or `thread`'s poll interval, applies the
//!   commands in order, drains both rings, files the recorded hits (after their snippets:
//!   `take`), refits the map (`map_view`), starts and finishes trainings (`training`),
//!   sends new models to the audio thread, keeps the parameters' [`ClassNames`](crate::class_names::ClassNames) in step, and
//!   publishes new snapshots of the project and the view.
//! - **Training and evaluation threads** (`training`): short-lived; each owns a copy of the
//!   dataset and reports to the worker through its own channel.
//! - **Editor (GUI) thread** (`crate::editor`): reads the meters and the latest snapshots, sends
//!   [`Command`]s (dataset edits, zones, import, start over), sets parameters through the host
//!   (`GuiContext`), and sends snippets to hear through the audition ring.
//! - **Host main thread**: a state load ([`crate::persist`]) decodes the state and sends
//!   [`Command::Restore`] or [`Command::KeepUnreadable`], then waits until the worker has applied
//!   it ([`Commands::flush`]), so that the model plays from the next block and a save right after
//!   sees it; a state save flushes likewise and encodes the published project. It also runs the
//!   main-thread tasks (output parameters, the train-count limit's disarm) and activates.
//!
//! The worker thread is started with the plugin instance and stopped when it is dropped.
//!
//! # Locks
//!
//! The mutexes of [`Published`] are held only to clone or swap an `Arc`; [`ClassNames`](crate::class_names::ClassNames) only to
//! copy or replace the names. No thread holds two locks at once, so there is no lock order, and
//! the audio thread takes none.

mod command;
mod hit_log;
mod map_view;
mod meters;
mod project;
mod published;
mod take;
mod thread;
mod training;
mod view;

pub use command::{command_queue, Command, Commands, DatasetEdit, Inbox, FLUSH_TIMEOUT};
pub use hit_log::{HitSummary, HIT_LOG_LEN};
pub use map_view::{ExampleKey, MapPoint, MapView};
pub use meters::Meters;
pub use project::Project;
pub use published::Published;
pub use take::ZoneRequest;
pub use thread::WorkerParts;
pub use training::{Quality, TrainStatus};
pub use view::WorkerView;

use std::thread::JoinHandle;
use timbrel_core::analysis::HitRecord;
use timbrel_learn::Prediction;

/// Capacity of the audio-to-worker hit ring, in messages. At one hit per 20 ms the worker could
/// stall for five seconds before a hit is lost.
pub const HIT_QUEUE_CAPACITY: usize = 256;
/// Capacity of the audio-to-worker signal ring, in chunks (about 5.5 s at 48 kHz).
pub const AUDIO_QUEUE_CAPACITY: usize = 1024;

/// What the audio thread tells the worker, in order, through the hit ring.
// NOTE: messages are plain fixed-size records so that sending one never allocates; boxing the
// large hit variant, as clippy suggests, would allocate on the audio thread.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Copy)]
pub enum ToWorker {
    /// A hit's descriptor is complete.
    Hit {
        /// The hit.
        hit: HitRecord,
        /// The armed class (index into the dataset's classes) when the hit arrived.
        train: Option<u8>,
        /// The model called it unknown while `Collect unknowns` was on: record it into the
        /// ignore class.
        collect: bool,
        /// What the current model made of it, if a model is loaded.
        prediction: Option<Prediction>,
        /// The speed after it, unless it sounded like an ignore class (then it sent nothing).
        speed: Option<crate::signals::SpeedReading>,
    },
    /// The armed class was disarmed (or reached the train-count limit): retrain.
    TrainingStopped,
}

/// The running worker thread; stopping it joins it.
pub struct Worker {
    commands: Commands,
    handle: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts the worker thread. `commands` must be the sending end of `parts.inbox`.
    pub fn spawn(parts: WorkerParts, commands: Commands) -> std::io::Result<Self> {
        let worker = thread::WorkerLoop::new(parts);
        let handle = std::thread::Builder::new()
            .name("timbrel-worker".into())
            .spawn(move || worker.run())?;
        Ok(Self {
            commands,
            handle: Some(handle),
        })
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.commands.send(Command::Stop);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}
