//! The worker thread's loop: it waits for a command (or the poll interval), applies it, drains
//! the rings from the audio thread, files finished examples, starts and finishes trainings,
//! refits the map, and publishes what changed.

use super::command::{Command, Inbox};
use super::hit_log::HIT_LOG_LEN;
use super::project::Project;
use super::published::Published;
use super::take::PendingExample;
use super::training::Trained;
use super::view::WorkerView;
use super::{Meters, ToWorker};
use crate::class_names::ClassNames;
use crate::snippets::{AudioChunk, SnippetRecorder};
use crate::swap::ModelSender;
use crate::zones::{Take, TakeHit};
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};
use timbrel_learn::dataset::PALETTE;
use timbrel_learn::projection::Projection;
use timbrel_learn::{Dataset, Model, TrainConfig};

/// Name of the ignore class `Collect unknowns` makes when the dataset has none.
pub const COLLECTED_CLASS: &str = "ignored sounds";
/// How often the worker drains the rings when no command arrives.
const WORKER_POLL: Duration = Duration::from_millis(5);
/// Seconds of signal the worker keeps for cutting snippets.
const HISTORY_S: f32 = 2.0;
/// Shortest time between two refits of the map while hits are being recorded.
pub(super) const MAP_REFRESH: Duration = Duration::from_millis(250);

/// Everything the worker thread needs.
pub struct WorkerParts {
    /// Hits and training stops from the audio thread.
    pub hits: rtrb::Consumer<ToWorker>,
    /// The analysed signal from the audio thread.
    pub audio: rtrb::Consumer<AudioChunk>,
    /// Where new models go, to the audio thread.
    pub models: ModelSender<Model>,
    /// Meters, for the sample rate and counters.
    pub meters: Arc<Meters>,
    /// Commands from the editor and the host callbacks.
    pub inbox: Inbox,
    /// Where the project (dataset, model) is published.
    pub project: Arc<Published<Project>>,
    /// Where the editor's view is published.
    pub view: Arc<Published<WorkerView>>,
    /// Class names for the parameters' texts.
    pub class_names: ClassNames,
    /// Training settings.
    pub config: TrainConfig,
}

/// The worker's state; lives on the worker thread only.
pub(super) struct WorkerLoop {
    pub(super) parts: WorkerParts,
    /// The project; only this thread changes it (copy on write while a reader holds it).
    pub(super) project: Arc<Project>,
    project_dirty: bool,
    /// The editor's view; published when dirty.
    view: WorkerView,
    view_dirty: bool,
    pub(super) recorder: SnippetRecorder,
    pub(super) pending: Vec<PendingExample>,
    pub(super) retrain_requested: bool,
    pub(super) training: Option<mpsc::Receiver<Trained>>,
    /// The map's projection, refitted when the dataset changes.
    pub(super) projection: Option<Projection>,
    pub(super) map_dirty: bool,
    pub(super) last_map: Instant,
    /// Print every hit's result to stderr (`TIMBREL_LOG_HITS=1`; for tests of the standalone).
    pub(super) log_hits: bool,
    /// The unlabelled hits of free play.
    pub(super) take: Take,
    /// The take's hits as they were when the shown proposal was made.
    pub(super) proposal_hits: Vec<TakeHit>,
    /// Number of proposals made.
    pub(super) proposals: u64,
    /// The projection the shown proposal was placed with when the dataset had no map.
    pub(super) take_projection: Option<Projection>,
    /// Dataset edits applied so far (numbers their outcomes).
    edits: u64,
}

impl WorkerLoop {
    pub(super) fn new(parts: WorkerParts) -> Self {
        let capacity = (HISTORY_S * 192_000.0) as usize;
        let project = parts.project.load();
        Self {
            parts,
            project,
            project_dirty: false,
            view: WorkerView::default(),
            view_dirty: false,
            recorder: SnippetRecorder::new(capacity),
            pending: Vec::new(),
            retrain_requested: false,
            training: None,
            projection: None,
            map_dirty: true,
            last_map: Instant::now() - MAP_REFRESH,
            log_hits: std::env::var_os("TIMBREL_LOG_HITS").is_some_and(|v| v == "1"),
            take: Take::default(),
            proposal_hits: Vec::new(),
            proposals: 0,
            take_projection: None,
            edits: 0,
        }
    }

    /// Runs until [`Command::Stop`].
    pub(super) fn run(mut self) {
        loop {
            // A command wakes the thread at once; otherwise it polls the rings.
            let mut next = self.parts.inbox.recv_timeout(WORKER_POLL).ok();
            while let Some(command) = next {
                if matches!(command, Command::Stop) {
                    return;
                }
                self.apply(command);
                next = self.parts.inbox.try_recv().ok();
            }
            self.step();
            self.publish();
        }
    }

    /// The view, marked for publishing.
    pub(super) fn view_mut(&mut self) -> &mut WorkerView {
        self.view_dirty = true;
        &mut self.view
    }

    /// The view as last changed.
    pub(super) fn view(&self) -> &WorkerView {
        &self.view
    }

    /// The project, marked for publishing (copied first if a reader holds the current one).
    pub(super) fn project_mut(&mut self) -> &mut Project {
        self.project_dirty = true;
        Arc::make_mut(&mut self.project)
    }

    /// Publishes the project and the view, if they changed.
    pub(super) fn publish(&mut self) {
        if std::mem::take(&mut self.project_dirty) {
            self.parts.project.store(self.project.clone());
        }
        if std::mem::take(&mut self.view_dirty) {
            self.parts.view.store(Arc::new(self.view.clone()));
        }
    }

    pub(super) fn sample_rate(&self) -> f64 {
        self.parts.meters.sample_rate.load(Ordering::Relaxed) as f64
    }

    /// Carries out one command.
    fn apply(&mut self, command: Command) {
        match command {
            Command::Edit(edit) => {
                let result = edit(&mut self.project_mut().dataset);
                if result.is_ok() {
                    self.dataset_edited();
                }
                self.edits += 1;
                let id = self.edits;
                self.view_mut().edit_outcome = Some((id, result));
            }
            Command::Restore {
                dataset,
                model,
                problem,
            } => {
                let project = self.project_mut();
                project.kept = None;
                project.problem = problem;
                self.replace(dataset, model);
            }
            Command::KeepUnreadable { raw, problem } => {
                self.replace(Dataset::default(), None);
                let project = self.project_mut();
                project.kept = Some(raw);
                project.problem = Some(problem);
            }
            Command::Import { dataset, model } => {
                let project = self.project_mut();
                project.kept = None;
                project.problem = None;
                self.replace(dataset, Some(model));
            }
            Command::StartOver => {
                let project = self.project_mut();
                project.kept = None;
                project.problem = None;
                self.replace(Dataset::default(), None);
            }
            Command::Report(problem) => self.project_mut().problem = Some(problem),
            Command::Zones(request) => self.zone_request(request),
            Command::ClearHitLog => self.view_mut().log.clear(),
            Command::Flush(answer) => {
                self.publish();
                let _ = answer.try_send(());
            }
            Command::Stop => {}
        }
    }

    /// Replaces dataset and model (a restored state, an imported file, a start over): the
    /// model is used as it is, without retraining; without one, the dataset trains.
    fn replace(&mut self, dataset: Dataset, model: Option<Model>) {
        let project = self.project_mut();
        project.dataset = dataset;
        project.model = model.clone().map(Arc::new);
        self.sync_class_names();
        self.map_dirty = true;
        match model {
            Some(model) => self.install(model),
            None => self.retrain_requested = true,
        }
    }

    /// After an edit of the dataset (the editor's, kept zones): retrain.
    pub(super) fn dataset_edited(&mut self) {
        self.sync_class_names();
        self.map_dirty = true;
        self.retrain_requested = true;
    }

    /// The class `Collect unknowns` records into: the first ignore class, made (as
    /// [`COLLECTED_CLASS`]) when there is none. `None` while an unreadable state is kept or when
    /// every class slot is taken.
    fn collecting_class(&mut self) -> Option<u8> {
        if self.project.is_kept() {
            return None;
        }
        let classes = &self.project.dataset.classes;
        if let Some(k) = classes.iter().position(|c| c.ignore) {
            return u8::try_from(k).ok();
        }
        let color = PALETTE[classes.len() % PALETTE.len()];
        let dataset = &mut self.project_mut().dataset;
        let k = dataset.add_class(COLLECTED_CLASS, color).ok()?;
        dataset.set_ignore(k, true).ok()?;
        // The new class trains when the collecting stops, as an armed class does.
        self.sync_class_names();
        self.map_dirty = true;
        u8::try_from(k).ok()
    }

    /// Gives the parameters' texts the dataset's class names.
    fn sync_class_names(&self) {
        let names = self
            .project
            .dataset
            .classes
            .iter()
            .map(|c| c.name.clone())
            .collect();
        self.parts.class_names.set(names);
    }

    /// One round: drain both rings, file finished examples, start or finish a training.
    fn step(&mut self) {
        self.parts.models.collect_garbage();
        while let Ok(chunk) = self.parts.audio.pop() {
            self.recorder.push(&chunk);
        }
        while let Ok(message) = self.parts.hits.pop() {
            match message {
                ToWorker::Hit {
                    hit,
                    train,
                    collect,
                    prediction,
                    speed,
                } => {
                    self.log_hit(&hit, train, prediction, speed);
                    let class = match (train, collect) {
                        (None, true) => self.collecting_class(),
                        _ => train,
                    };
                    self.pending.push(PendingExample {
                        hit,
                        class,
                        predicted: prediction.and_then(|p| p.best).map(usize::from),
                        since: Instant::now(),
                    });
                }
                ToWorker::TrainingStopped => self.retrain_requested = true,
            }
        }
        self.file_pending_examples();
        if self.map_dirty && self.last_map.elapsed() >= MAP_REFRESH {
            self.refresh_map();
        }
        self.finish_training();
        if self.retrain_requested && self.training.is_some() && self.view.evaluating {
            // A stale evaluation is not worth waiting for: let it finish unheard.
            self.training = None;
            self.view_mut().evaluating = false;
        }
        let training_hits_pending = self.pending.iter().any(|p| p.class.is_some());
        if self.retrain_requested && !training_hits_pending && self.training.is_none() {
            self.retrain_requested = false;
            self.start_training();
        }
    }

    /// Adds a hit to the recent-hit log.
    pub(super) fn push_log(&mut self, summary: super::HitSummary) {
        let log = &mut self.view_mut().log;
        if log.len() == HIT_LOG_LEN {
            log.pop_front();
        }
        log.push_back(summary);
    }
}
