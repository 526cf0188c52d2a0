//! Threads and shared state.
//!
//! The audio thread publishes meters through atomics and sends every completed hit, labelled
//! when a class is armed and with its prediction when a model is loaded, through a lock-free
//! SPSC ring ([`ToWorker`]); the analysed signal follows through a second ring in positioned
//! chunks. The [`Worker`] thread keeps the recent-hit log the editor shows, cuts each training
//! hit's snippet, adds it to the dataset, retrains on a training thread when a class is disarmed
//! (or the dataset changes), and hands new models to the audio thread through
//! [`crate::swap`]. Nothing here makes the audio thread wait.

use crate::params::{ClassNames, PersistedDataset};
use crate::snippets::{AudioChunk, SnippetRecorder, SNIPPET_S};
use crate::swap::ModelSender;
use crate::zones::{self, Take, TakeHit, TakeSummary, ZoneChoice, ZoneProposal};
use atomic_float::AtomicF32;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use timbrel_core::analysis::HitRecord;
use timbrel_learn::projection::Projection;
use timbrel_learn::{Dataset, Evaluation, Example, Model, Prediction, TrainConfig};
use timbrel_map::ClusterCount;

/// Capacity of the audio-to-worker hit ring, in messages. At one hit per 20 ms the worker could
/// stall for five seconds before a hit is lost.
pub const HIT_QUEUE_CAPACITY: usize = 256;
/// Capacity of the audio-to-worker signal ring, in chunks (about 5.5 s at 48 kHz).
pub const AUDIO_QUEUE_CAPACITY: usize = 1024;
/// How many recent hits the log keeps for the editor.
pub const HIT_LOG_LEN: usize = 64;
/// How often the worker drains the rings.
const WORKER_POLL: Duration = Duration::from_millis(5);
/// How long a training hit may wait for its snippet's audio before it joins without one.
const SNIPPET_WAIT: Duration = Duration::from_millis(500);
/// Seconds of signal the worker keeps for cutting snippets.
const HISTORY_S: f32 = 2.0;
/// Shortest time between two refits of the map while hits are being recorded.
const MAP_REFRESH: Duration = Duration::from_millis(250);

/// What the audio thread tells the worker, in order.
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
        /// What the current model made of it, if a model is loaded.
        prediction: Option<Prediction>,
    },
    /// The `Train` parameter returned to off: retrain.
    TrainingStopped,
}

/// Values the audio thread publishes for the editor. All plain atomics.
#[derive(Debug)]
pub struct Meters {
    /// Peak input level of the last block, in dBFS (`-inf` for silence).
    pub input_peak_dbfs: AtomicF32,
    /// Onsets detected since the plugin was activated.
    pub onsets: AtomicU64,
    /// Hits whose descriptor completed since the plugin was activated.
    pub hits: AtomicU64,
    /// Hits dropped because the worker ring was full.
    pub queue_overflows: AtomicU64,
    /// Hit-to-result latency at the current settings, in milliseconds.
    pub latency_ms: AtomicF32,
    /// Current sample rate, in Hz.
    pub sample_rate: AtomicF32,
    /// Largest detection-function value since the editor last took it (units depend on the
    /// detector; see the core's docs).
    pub detection_value: AtomicF32,
    /// Current detection threshold, in the same units as `detection_value`.
    pub detection_threshold: AtomicF32,
    /// Largest retrigger mask since the editor last took it, in the same units as
    /// `detection_value` (negative infinity for a detector without a mask).
    pub detection_mask: AtomicF32,
    /// Models trained since the plugin was created.
    pub models_trained: AtomicU64,
    /// Whether the audio thread currently holds a model.
    pub model_loaded: AtomicBool,
    /// Hits recorded into the armed class since it was armed.
    pub armed_hits: AtomicU64,
    /// MIDI note-ons and CCs dropped since activation (the block's events did not fit, or the
    /// host refused them); note-offs are never dropped.
    pub midi_dropped: AtomicU64,
    /// Note-offs the host refused and that were sent again in a later block.
    pub late_note_offs: AtomicU64,
}

impl Default for Meters {
    fn default() -> Self {
        Self {
            input_peak_dbfs: AtomicF32::new(f32::NEG_INFINITY),
            onsets: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            queue_overflows: AtomicU64::new(0),
            latency_ms: AtomicF32::new(0.0),
            sample_rate: AtomicF32::new(44_100.0),
            detection_value: AtomicF32::new(0.0),
            detection_threshold: AtomicF32::new(0.0),
            detection_mask: AtomicF32::new(f32::NEG_INFINITY),
            models_trained: AtomicU64::new(0),
            model_loaded: AtomicBool::new(false),
            armed_hits: AtomicU64::new(0),
            midi_dropped: AtomicU64::new(0),
            late_note_offs: AtomicU64::new(0),
        }
    }
}

/// A completed hit as the editor lists it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HitSummary {
    /// Onset time since activation, in seconds.
    pub onset_s: f64,
    /// Time from onset to result, in milliseconds.
    pub latency_ms: f32,
    /// Peak level in the analysis window, in dBFS.
    pub peak_dbfs: f32,
    /// Sample (since activation) at which its result was ready and its MIDI was sent.
    pub ready_sample: u64,
    /// The class it was recorded into, when a class was armed.
    pub trained_as: Option<u8>,
    /// The model's prediction, when a model was loaded.
    pub prediction: Option<Prediction>,
    /// Where it lands on the editor's map, when there is one.
    pub map_xy: Option<[f32; 2]>,
}

/// Identifies an example across edits of the dataset (indices shift when examples are removed).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExampleKey {
    /// Recording time of the example, in seconds.
    pub time_s: f64,
    /// Its class when the key was taken.
    pub class: usize,
    /// Its first descriptor value, to tell apart examples recorded at the same time.
    pub first_value: f32,
}

impl ExampleKey {
    /// The key of `example`.
    pub fn of(example: &Example) -> Self {
        Self {
            time_s: example.time_s,
            class: example.class,
            first_value: example.descriptor.first().copied().unwrap_or(0.0),
        }
    }

    /// The current index of the example this key names in `data`, if it is still there.
    pub fn find(&self, data: &Dataset) -> Option<usize> {
        data.examples.iter().rposition(|e| {
            e.time_s == self.time_s
                && e.descriptor.first().copied().unwrap_or(0.0) == self.first_value
        })
    }
}

/// One example on the editor's map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapPoint {
    /// Position on the map (the examples lie mostly within the unit circle).
    pub xy: [f32; 2],
    /// Which example.
    pub key: ExampleKey,
    /// Its class.
    pub class: usize,
    /// Its level, in dBFS.
    pub level_dbfs: f32,
    /// Its snippet's length, in seconds (0 without snippet).
    pub snippet_s: f32,
}

/// The map of the dataset: a 2-D projection of every example.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MapView {
    /// Every example.
    pub points: Vec<MapPoint>,
    /// Mean position of each class with examples: (class, position).
    pub centres: Vec<(usize, [f32; 2])>,
}

/// The held-out evaluation of the current dataset, with the outliers as example keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Quality {
    /// Accuracy, confusion matrix, advice (indices as in the dataset when evaluated).
    pub evaluation: Evaluation,
    /// The outlier examples, with the class they were predicted as when held out.
    pub outliers: Vec<(ExampleKey, usize)>,
    /// Class names at evaluation time, indexed like the confusion matrix.
    pub class_names: Vec<String>,
    /// Examples training finds doubtful (retrigger, grace note, unlike or like another class),
    /// with the reason as a sentence and whether training leaves them out.
    pub doubts: Vec<(ExampleKey, String, bool)>,
}

/// The state of training, for the editor.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum TrainStatus {
    /// No model yet, and no attempt.
    #[default]
    Untrained,
    /// A training thread is running.
    Training,
    /// The last training produced the loaded model.
    Trained {
        /// Which classifier `auto` (or the user) chose, e.g. "Lda".
        kind: String,
        /// Cross-validated accuracy of that classifier (0..1).
        cv_accuracy: f64,
        /// Examples it was trained on.
        examples: usize,
        /// Wall time of the training, in milliseconds.
        millis: f64,
    },
    /// The last training failed; the previous model (if any) stays in use.
    Failed(String),
}

/// State shared between the worker and the editor (never the audio thread).
#[derive(Debug, Default)]
pub struct WorkerState {
    /// Recent hits, newest last.
    pub log: VecDeque<HitSummary>,
    /// The training state.
    pub status: TrainStatus,
    /// The class names and colours of the loaded model, indexed like its predictions.
    pub model_classes: Vec<timbrel_learn::ClassInfo>,
    /// The loaded model's interpolation pair (A, B), as class indices.
    pub model_pair: (usize, usize),
    /// The map of the dataset, when it has enough examples.
    pub map: Option<MapView>,
    /// The held-out evaluation of the latest training, when it finished.
    pub quality: Option<Quality>,
    /// Whether an evaluation is running.
    pub evaluating: bool,
    /// The free-play take (unlabelled hits) auto-zones work on.
    pub take: TakeSummary,
    /// The latest auto-zones proposal, until it is kept or dismissed.
    pub zones: Option<ZoneProposal>,
    /// What the editor asks of auto-zones; the worker takes it.
    pub zone_request: Option<ZoneRequest>,
    /// The outcome of the last auto-zones request: `Ok(what happened)` or `Err(why not)`.
    pub zone_status: Option<Result<String, String>>,
}

/// What the editor asks the worker to do with the free-play take.
#[derive(Debug, Clone, PartialEq)]
pub enum ZoneRequest {
    /// Split the take into zones.
    Propose(ClusterCount),
    /// Keep the zones of proposal `id` as the choices say (one per zone).
    Keep {
        /// The proposal the choices were made for.
        id: u64,
        /// One choice per zone.
        choices: Vec<ZoneChoice>,
    },
    /// Drop the proposal.
    Dismiss,
    /// Forget the take's hits (and the proposal).
    ClearTake,
}

/// The worker's shared state, locked only by the worker and the editor.
pub type SharedWorkerState = Arc<Mutex<WorkerState>>;

/// Everything the worker thread needs.
pub struct WorkerParts {
    /// Hits and training commands from the audio thread.
    pub hits: rtrb::Consumer<ToWorker>,
    /// The analysed signal from the audio thread.
    pub audio: rtrb::Consumer<AudioChunk>,
    /// Where new models go.
    pub models: ModelSender<Model>,
    /// Meters, for the sample rate and counters.
    pub meters: Arc<Meters>,
    /// The persisted dataset.
    pub dataset: PersistedDataset,
    /// Class names for the `Train` parameter's display.
    pub class_names: ClassNames,
    /// State for the editor.
    pub state: SharedWorkerState,
    /// Training settings.
    pub config: TrainConfig,
}

/// The background worker thread.
pub struct Worker {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts the worker thread.
    ///
    /// A dataset restored before the start (a project's state, loaded before the first
    /// activation) is taken over here, on the calling thread: a model saved with it is handed to
    /// the audio thread before this returns, so that the very first block already uses it, even
    /// in a host that renders faster than real time right after loading.
    pub fn spawn(parts: WorkerParts) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let thread_stop = stop.clone();
        let dataset = parts.dataset.clone();
        let mut worker = WorkerLoop::new(parts);
        worker.adopt_dataset_changes();
        let handle = std::thread::Builder::new()
            .name("timbrel-worker".into())
            .spawn(move || worker.run(&thread_stop))?;
        *dataset.worker.lock().unwrap_or_else(|e| e.into_inner()) = Some(handle.thread().clone());
        Ok(Self {
            stop,
            handle: Some(handle),
        })
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            handle.thread().unpark();
            let _ = handle.join();
        }
    }
}

/// A hit waiting for the end of its snippet: a training hit (with its class) or a free-play hit
/// for the take.
struct PendingExample {
    hit: HitRecord,
    class: Option<u8>,
    /// The class the model gave it (free-play hits).
    predicted: Option<usize>,
    since: Instant,
}

struct WorkerLoop {
    parts: WorkerParts,
    recorder: SnippetRecorder,
    pending: Vec<PendingExample>,
    retrain_requested: bool,
    seen_generation: u64,
    training: Option<mpsc::Receiver<Trained>>,
    /// The map's projection, refitted when the dataset changes.
    projection: Option<Projection>,
    map_dirty: bool,
    last_map: Instant,
    /// Print every hit's result to stderr (`TIMBREL_LOG_HITS=1`; for tests of the standalone).
    log_hits: bool,
    /// The unlabelled hits of free play.
    take: Take,
    /// The take's hits as they were when the shown proposal was made.
    proposal_hits: Vec<TakeHit>,
    /// Number of proposals made.
    proposals: u64,
    /// The projection the shown proposal was placed with when the dataset had no map.
    take_projection: Option<Projection>,
}

/// What the training thread reports, in order.
#[allow(clippy::large_enum_variant)] // two messages per training; boxing buys nothing
enum Trained {
    /// The model (or why there is none), and the wall time in milliseconds.
    Model(Result<Model, String>, f64),
    /// The held-out evaluation that follows a successful training.
    Quality(Result<Quality, String>),
}

impl WorkerLoop {
    fn new(parts: WorkerParts) -> Self {
        let capacity = (HISTORY_S * 192_000.0) as usize;
        // A restored project brings its dataset before the worker starts: train on it.
        let seen_generation = u64::MAX;
        Self {
            parts,
            recorder: SnippetRecorder::new(capacity),
            pending: Vec::new(),
            retrain_requested: false,
            seen_generation,
            training: None,
            projection: None,
            map_dirty: true,
            last_map: Instant::now() - MAP_REFRESH,
            log_hits: std::env::var_os("TIMBREL_LOG_HITS").is_some_and(|v| v == "1"),
            take: Take::default(),
            proposal_hits: Vec::new(),
            proposals: 0,
            take_projection: None,
        }
    }

    fn run(mut self, stop: &AtomicBool) {
        while !stop.load(Ordering::Relaxed) {
            self.step();
            // A dataset change (a restored state, an edit) unparks the thread at once.
            std::thread::park_timeout(WORKER_POLL);
        }
    }

    fn sample_rate(&self) -> f64 {
        self.parts.meters.sample_rate.load(Ordering::Relaxed) as f64
    }

    fn state(&self) -> std::sync::MutexGuard<'_, WorkerState> {
        self.parts.state.lock().unwrap_or_else(|e| e.into_inner())
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
                    prediction,
                } => {
                    self.log_hit(&hit, train, prediction);
                    self.pending.push(PendingExample {
                        hit,
                        class: train,
                        predicted: prediction.and_then(|p| p.best).map(usize::from),
                        since: Instant::now(),
                    });
                }
                ToWorker::TrainingStopped => self.retrain_requested = true,
            }
        }
        self.file_pending_examples();
        let request = self.state().zone_request.take();
        if let Some(request) = request {
            self.zone_request(request);
        }

        self.adopt_dataset_changes();
        if self.map_dirty && self.last_map.elapsed() >= MAP_REFRESH {
            self.refresh_map();
        }
        self.finish_training();
        if self.retrain_requested && self.training.is_some() && self.state().evaluating {
            // A stale evaluation is not worth waiting for: let it finish unheard.
            self.training = None;
            self.state().evaluating = false;
        }
        let training_hits_pending = self.pending.iter().any(|p| p.class.is_some());
        if self.retrain_requested && !training_hits_pending && self.training.is_none() {
            self.retrain_requested = false;
            self.start_training();
        }
    }

    /// Reacts to a changed dataset (a restore, an import, an edit): updates the class names,
    /// then installs the model that came with it, or asks for a retraining.
    fn adopt_dataset_changes(&mut self) {
        let generation = self.parts.dataset.generation.load(Ordering::Acquire);
        if generation == self.seen_generation {
            return;
        }
        self.seen_generation = generation;
        self.sync_class_names();
        self.map_dirty = true;
        let incoming = self
            .parts
            .dataset
            .incoming_model
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        match incoming {
            Some(model) => self.install(model),
            None => self.retrain_requested = true,
        }
    }

    fn log_hit(&mut self, hit: &HitRecord, train: Option<u8>, prediction: Option<Prediction>) {
        let sample_rate = self.sample_rate();
        let summary = HitSummary {
            onset_s: hit.onset_sample as f64 / sample_rate,
            latency_ms: ((hit.ready_sample - hit.onset_sample) as f64 * 1000.0 / sample_rate)
                as f32,
            peak_dbfs: hit.peak_dbfs,
            ready_sample: hit.ready_sample,
            trained_as: train,
            prediction,
            map_xy: self.projection.as_ref().map(|p| p.project(&hit.descriptor)),
        };
        if self.log_hits {
            self.print_hit(&summary);
        }
        let mut state = self.state();
        if state.log.len() == HIT_LOG_LEN {
            state.log.pop_front();
        }
        state.log.push_back(summary);
    }

    /// Adds every pending training hit whose snippet is complete (or that waited too long).
    fn file_pending_examples(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let sample_rate = self.sample_rate();
        let snippet_len = (SNIPPET_S as f64 * sample_rate) as usize;
        let (mut added, mut took) = (false, false);
        let mut i = 0;
        while i < self.pending.len() {
            let p = &self.pending[i];
            let snippet = self.recorder.snippet(p.hit.onset_sample, snippet_len);
            if snippet.is_none() && p.since.elapsed() < SNIPPET_WAIT {
                i += 1;
                continue;
            }
            let p = self.pending.remove(i);
            let snippet = snippet.map_or_else(timbrel_learn::Snippet::default, |s| {
                timbrel_learn::Snippet::encode(&s, sample_rate as f32)
            });
            let time_s = p.hit.onset_sample as f64 / sample_rate;
            let Some(class) = p.class else {
                self.take.push(TakeHit {
                    descriptor: p.hit.descriptor.to_vec(),
                    level_dbfs: p.hit.rms_dbfs,
                    time_s,
                    snippet,
                    predicted: p.predicted,
                });
                took = true;
                continue;
            };
            let mut example =
                Example::new(&p.hit.descriptor, class as usize, p.hit.rms_dbfs, time_s);
            example.snippet = snippet;
            // NOTE: while an unreadable saved state is kept, the project saves that state, not
            // these hits: recording them would lose them silently (the editor says Start over).
            if self.parts.dataset.is_kept() {
                continue;
            }
            let mut data = self.parts.dataset.lock();
            if (class as usize) < data.classes.len() && data.add_example(example).is_ok() {
                added = true;
            }
        }
        if took {
            let summary = self.take.summary();
            self.state().take = summary;
        }
        if added {
            // The dataset changed, but only a disarm retrains: don't count this as an edit.
            self.seen_generation = self.parts.dataset.generation.fetch_add(1, Ordering::AcqRel) + 1;
            self.map_dirty = true;
        }
    }

    /// Carries out what the editor asked of auto-zones, and reports the outcome.
    fn zone_request(&mut self, request: ZoneRequest) {
        let outcome = match request {
            ZoneRequest::Propose(count) => self.propose_zones(count),
            ZoneRequest::Keep { id, choices } => self.keep_zones(id, &choices),
            ZoneRequest::Dismiss => {
                self.drop_proposal();
                Ok("Proposal dismissed.".to_owned())
            }
            ZoneRequest::ClearTake => {
                self.take.clear();
                self.drop_proposal();
                self.state().take = self.take.summary();
                Ok("Free-play take cleared.".to_owned())
            }
        };
        self.state().zone_status = Some(outcome);
    }

    fn drop_proposal(&mut self) {
        self.proposal_hits.clear();
        self.take_projection = None;
        self.state().zones = None;
    }

    /// Splits the take into zones, placed on the dataset's map (or, without one, on a map of
    /// the take itself).
    fn propose_zones(&mut self, count: ClusterCount) -> Result<String, String> {
        let hits: Vec<TakeHit> = self.take.hits().cloned().collect();
        self.take_projection = None;
        if self.projection.is_none() {
            let rows: Vec<&[f32]> = hits.iter().map(|h| h.descriptor.as_slice()).collect();
            self.take_projection = Projection::fit_descriptors(&rows);
        }
        let projection = self.projection.as_ref().or(self.take_projection.as_ref());
        self.proposals += 1;
        let proposal = zones::propose(&hits, count, self.proposals, |d| {
            projection.map_or([0.0; 2], |p| p.project(d))
        })
        .map_err(|e| e.to_string())?;
        let message = format!(
            "{} hits in {} zones{}{}.",
            hits.len(),
            proposal.zones.len(),
            if proposal.auto { " (best split)" } else { "" },
            proposal
                .silhouette
                .map_or(String::new(), |s| format!(", silhouette {s:.2}")),
        );
        if self.log_hits {
            let sizes: Vec<String> = proposal.zones.iter().map(|z| z.hits.to_string()).collect();
            eprintln!(
                "timbrel-zones hits={} zones={} sizes={} silhouette={:.3}",
                hits.len(),
                proposal.zones.len(),
                sizes.join(","),
                proposal.silhouette.unwrap_or(f32::NAN)
            );
        }
        self.proposal_hits = hits;
        self.state().zones = Some(proposal);
        Ok(message)
    }

    /// Adds the kept zones to the dataset (which retrains), and takes their hits out of the take.
    fn keep_zones(&mut self, id: u64, choices: &[ZoneChoice]) -> Result<String, String> {
        let proposal = self
            .state()
            .zones
            .clone()
            .filter(|p| p.id == id)
            .ok_or("the proposal changed; look again and keep")?;
        let report = {
            let mut data = self.parts.dataset.lock();
            zones::keep(&mut data, &self.proposal_hits, &proposal, choices)
                .map_err(|e| e.to_string())?
        };
        self.parts.dataset.touch();
        self.take.remove_times(&report.times);
        self.drop_proposal();
        self.state().take = self.take.summary();
        let mut message = format!("Kept {} hits", report.examples);
        if !report.new_classes.is_empty() {
            message += &format!("; new classes: {}", report.new_classes.join(", "));
        }
        if let Some((a, b)) = report.pair {
            message += &format!("; interpolation now {a} to {b}");
        }
        Ok(message + ". Training…")
    }

    /// Uses a restored or imported model as it is (no retraining, so the outputs are the saved
    /// ones), and evaluates it in the background for the quality panel.
    fn install(&mut self, model: Model) {
        self.retrain_requested = false;
        self.training = None;
        let status = self.hand_over(model, " (restored)", 0.0);
        let handed_over = matches!(status, TrainStatus::Trained { .. });
        {
            let mut state = self.state();
            state.status = status;
            if handed_over {
                state.quality = None;
            }
        }
        if !handed_over {
            return;
        }
        let data: Dataset = self.parts.dataset.lock().clone();
        let config = self.parts.config;
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("timbrel-evaluate".into())
            .spawn(move || {
                let _ = tx.send(Trained::Quality(quality_of(&data, &config)));
            });
        match spawned {
            Ok(_) => self.training = Some(rx),
            Err(_) => self.state().evaluating = false,
        }
    }

    /// Sends `model` to the audio thread and shows it in the editor's state (an evaluation
    /// follows); returns the status to show (`kind_suffix` after the classifier's name).
    fn hand_over(&mut self, model: Model, kind_suffix: &str, millis: f64) -> TrainStatus {
        let classes = model.classes().to_vec();
        let pair = model.pair();
        let chosen = *model.report().chosen();
        let examples = model.report().examples;
        if self.parts.models.send(Box::new(model)).is_err() {
            return TrainStatus::Failed("the audio thread is not taking models".to_owned());
        }
        self.parts
            .meters
            .models_trained
            .fetch_add(1, Ordering::Relaxed);
        let mut state = self.state();
        state.model_classes = classes;
        state.model_pair = pair;
        state.evaluating = true;
        TrainStatus::Trained {
            kind: format!("{:?}{kind_suffix}", chosen.kind),
            cv_accuracy: chosen.accuracy,
            examples,
            millis,
        }
    }

    /// One line per hit on stderr: time, armed class, result, position on the map.
    fn print_hit(&self, hit: &HitSummary) {
        let classes = &self.state().model_classes;
        let name = |c: u8| {
            classes
                .get(c as usize)
                .map_or_else(|| format!("class{}", c + 1), |k| k.name.clone())
        };
        let result = match hit.prediction {
            Some(p) => match p.best {
                Some(c) => format!(
                    "class={} p={:.3} position={:.3}",
                    name(c),
                    p.probabilities[c as usize],
                    p.interpolation
                ),
                None => format!(
                    "class=unknown nearest={} novelty={:.2}",
                    name(p.best_class),
                    p.novelty
                ),
            },
            None => "class=none".to_owned(),
        };
        let armed = hit
            .trained_as
            .map_or("-".to_owned(), |c| (c + 1).to_string());
        let map = hit
            .map_xy
            .map_or("-".to_owned(), |[x, y]| format!("{x:.3},{y:.3}"));
        eprintln!(
            "timbrel-hit t={:.3} armed={armed} {result} map={map} level={:.1}",
            hit.onset_s, hit.peak_dbfs
        );
    }

    /// Refits the map on the current dataset.
    fn refresh_map(&mut self) {
        self.map_dirty = false;
        self.last_map = Instant::now();
        let data = self.parts.dataset.lock();
        self.projection = Projection::fit(&data);
        let map = self.projection.as_ref().map(|projection| {
            let points: Vec<MapPoint> = data
                .examples
                .iter()
                .map(|e| MapPoint {
                    xy: projection.project(&e.descriptor),
                    key: ExampleKey::of(e),
                    class: e.class,
                    level_dbfs: e.level_dbfs,
                    snippet_s: e.snippet.duration_s(),
                })
                .collect();
            let xy: Vec<[f32; 2]> = points.iter().map(|p| p.xy).collect();
            let classes: Vec<usize> = points.iter().map(|p| p.class).collect();
            let centres = (0..data.classes.len())
                .filter_map(|c| zones::mean_xy(&xy, &classes, c).map(|centre| (c, centre)))
                .collect();
            MapView { points, centres }
        });
        drop(data);
        let mut state = self.state();
        state.map = map;
        if let (Some(projection), Some(zones)) = (&self.projection, state.zones.as_mut()) {
            zones.reproject(&self.proposal_hits, |d| projection.project(d));
        }
    }

    fn sync_class_names(&self) {
        let names: Vec<String> = self
            .parts
            .dataset
            .lock()
            .classes
            .iter()
            .map(|c| c.name.clone())
            .collect();
        *self
            .parts
            .class_names
            .write()
            .unwrap_or_else(|e| e.into_inner()) = names;
    }

    fn start_training(&mut self) {
        let data: Dataset = self.parts.dataset.lock().clone();
        if data.examples.is_empty() {
            return;
        }
        let config = self.parts.config;
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("timbrel-train".into())
            .spawn(move || {
                let started = Instant::now();
                let result = timbrel_learn::train(&data, &config).map_err(|e| e.to_string());
                let ok = result.is_ok();
                if tx
                    .send(Trained::Model(
                        result,
                        started.elapsed().as_secs_f64() * 1000.0,
                    ))
                    .is_err()
                    || !ok
                {
                    return;
                }
                let _ = tx.send(Trained::Quality(quality_of(&data, &config)));
            });
        match spawned {
            Ok(_) => {
                self.training = Some(rx);
                self.state().status = TrainStatus::Training;
            }
            Err(e) => {
                self.state().status = TrainStatus::Failed(format!("could not start training: {e}"))
            }
        }
    }

    fn finish_training(&mut self) {
        let Some(rx) = &self.training else { return };
        let (result, millis) = match rx.try_recv() {
            Ok(Trained::Model(result, millis)) => (result, millis),
            Ok(Trained::Quality(quality)) => {
                self.training = None;
                let mut state = self.state();
                state.evaluating = false;
                state.quality = quality.ok();
                return;
            }
            Err(mpsc::TryRecvError::Empty) => return,
            Err(mpsc::TryRecvError::Disconnected) => {
                self.training = None;
                let mut state = self.state();
                if state.evaluating {
                    state.evaluating = false;
                    return;
                }
                drop(state);
                (Err("the training thread stopped".to_owned()), 0.0)
            }
        };
        // The thread goes on to evaluate the model: keep listening (a new training waits).
        if result.is_err() {
            self.training = None;
        }
        let status = match result {
            Ok(model) => {
                *self
                    .parts
                    .dataset
                    .model
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) = Some(model.clone());
                self.hand_over(model, "", millis)
            }
            Err(message) => TrainStatus::Failed(message),
        };
        self.state().status = status;
    }
}

/// Evaluates `data` held out, with the outliers as example keys.
fn quality_of(data: &Dataset, config: &TrainConfig) -> Result<Quality, String> {
    let evaluation = timbrel_learn::evaluate(data, config).map_err(|e| e.to_string())?;
    let outliers = evaluation
        .examples
        .iter()
        .filter(|r| r.outlier)
        .filter_map(|r| {
            data.examples
                .get(r.index)
                .map(|e| (ExampleKey::of(e), r.predicted))
        })
        .collect();
    let class_names: Vec<String> = data.classes.iter().map(|c| c.name.clone()).collect();
    let model = timbrel_learn::train(data, config).map_err(|e| e.to_string())?;
    let doubts = model
        .doubtful()
        .iter()
        .filter_map(|d| {
            let e = data.examples.get(d.index)?;
            let why = match &d.reason {
                timbrel_learn::doubt::Reason::LikeOther { class } => format!(
                    "sounds like {}: wrong label?",
                    class_names.get(*class).map_or("?", |n| n.as_str())
                ),
                r => r.to_string(),
            };
            Some((ExampleKey::of(e), why, d.left_out))
        })
        .collect();
    Ok(Quality {
        evaluation,
        outliers,
        class_names,
        doubts,
    })
}
