//! Timbrel's host-visible parameters. Parameter ids are short and must never change: hosts store
//! automation and presets by id.

use crate::param_text::ClassSelector;
use nice_plug::prelude::*;
use nice_plug_egui::EguiEditorState;
use serde_json::value::RawValue;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use timbrel_core::analysis::settings::RETRIGGER_DECAY_RANGE_MS;
use timbrel_core::analysis::{AnalysisSettings, DetectorKind, DetectorSettings};

/// Default editor size, in logical pixels.
pub const EDITOR_SIZE: (u32, u32) = (900, 600);

/// The onset detector, as a host-visible choice.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetectorChoice {
    /// Fast/slow envelope difference: lowest latency, for close mics and triggers.
    #[id = "envelope"]
    #[name = "Envelope"]
    Envelope,
    /// Spectral flux with adaptive whitening: robust to bleed.
    #[id = "flux"]
    #[name = "Flux"]
    Flux,
}

impl From<DetectorChoice> for DetectorKind {
    fn from(choice: DetectorChoice) -> Self {
        match choice {
            DetectorChoice::Envelope => DetectorKind::Envelope,
            DetectorChoice::Flux => DetectorKind::Flux,
        }
    }
}

/// Most classes, and so the top of the `Train` parameter's range.
pub const MAX_CLASSES: usize = timbrel_learn::MAX_CLASSES;

/// Class names for parameter display, updated by the worker whenever the dataset changes.
pub type ClassNames = Arc<RwLock<Vec<String>>>;

/// The dataset as the host project stores it, shared with the worker and the editor. Restoring
/// state bumps the generation, which tells the worker to retrain.
#[derive(Debug, Clone, Default)]
pub struct PersistedDataset(Arc<DatasetCell>);

/// The shared dataset behind [`PersistedDataset`], with the model in use, so that a project
/// saves both and restoring needs no retraining.
#[derive(Debug, Default)]
pub struct DatasetCell {
    /// The classes and examples. Locked by the worker and the editor, never the audio thread.
    pub data: Mutex<timbrel_learn::Dataset>,
    /// Bumped on every change (restore, recorded hits, edits).
    pub generation: AtomicU64,
    /// A copy of the model the audio thread uses, saved with the project.
    pub model: Mutex<Option<timbrel_learn::Model>>,
    /// A model that arrived with a restored state or an imported file: the worker installs it
    /// as it is instead of retraining, so the outputs are those of the saved project.
    pub incoming_model: Mutex<Option<timbrel_learn::Model>>,
    /// Why the last restore or import failed, for the editor; the plugin then works with
    /// defaults (restore) or keeps its model (import).
    pub problem: Mutex<Option<String>>,
    /// A restored state this build could not read (written by a newer Timbrel, or damaged),
    /// exactly as the project held it. While it is here the plugin works with defaults, saves
    /// this text back unchanged instead of its own state, and records no hits; [`Self::start_over`]
    /// or an import replaces it.
    pub kept: Mutex<Option<Box<RawValue>>>,
    /// The worker thread, woken by every change so that a restored model is handed to the
    /// audio thread at once rather than at the worker's next poll.
    pub worker: Mutex<Option<std::thread::Thread>>,
}

impl std::ops::Deref for PersistedDataset {
    type Target = DatasetCell;
    fn deref(&self) -> &DatasetCell {
        &self.0
    }
}

impl DatasetCell {
    /// Locks the dataset, recovering from a poisoned lock.
    pub fn lock(&self) -> std::sync::MutexGuard<'_, timbrel_learn::Dataset> {
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Marks the dataset as changed, so the worker retrains (or installs an incoming model),
    /// and wakes the worker.
    pub fn touch(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Some(worker) = self
            .worker
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            worker.unpark();
        }
    }
}

impl DatasetCell {
    /// Replaces dataset and model (a restored state or an imported file) and tells the worker.
    pub fn replace(&self, dataset: timbrel_learn::Dataset, model: Option<timbrel_learn::Model>) {
        *self.lock() = dataset;
        *self.model.lock().unwrap_or_else(|e| e.into_inner()) = model.clone();
        *self
            .incoming_model
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = model;
        self.touch();
    }

    /// Takes over a dataset and model the user chose (an imported file) or that were restored:
    /// forgets any kept unreadable state and problem, then [`Self::replace`]s.
    pub fn adopt(&self, dataset: timbrel_learn::Dataset, model: Option<timbrel_learn::Model>) {
        *self.kept.lock().unwrap_or_else(|e| e.into_inner()) = None;
        *self.problem.lock().unwrap_or_else(|e| e.into_inner()) = None;
        self.replace(dataset, model);
    }

    /// Whether an unreadable restored state is being kept (see [`Self::kept`]).
    pub fn is_kept(&self) -> bool {
        self.kept
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Drops a kept unreadable state, and everything else, for the defaults: the user's
    /// explicit "Start over".
    pub fn start_over(&self) {
        self.adopt(timbrel_learn::Dataset::default(), None);
    }

    /// Records a problem for the editor to show (and the log).
    pub fn report(&self, message: String) {
        nice_plug::nice_error!("{message}");
        *self.problem.lock().unwrap_or_else(|e| e.into_inner()) = Some(message);
    }

    /// The project state to save: the dataset and, if it matches the dataset's classes and
    /// pair, the model in use.
    pub fn snapshot(&self) -> timbrel_learn::state::ProjectState {
        let dataset = self.lock().clone();
        let model = self.model.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let matches = model.as_ref().is_some_and(|m| {
            m.pair() == dataset.pair
                && m.classes()
                    .iter()
                    .map(|c| &c.name)
                    .eq(dataset.classes.iter().map(|c| &c.name))
        });
        timbrel_learn::state::ProjectState {
            dataset,
            model: model.filter(|_| matches),
        }
    }
}

// The project holds the state as one compact string (see `timbrel_learn::state`); older projects
// hold the dataset as a JSON object, which restoring migrates. The field is handled as raw JSON
// text so that a state this build cannot read is saved back byte for byte.
impl<'a> nice_plug::params::persist::PersistentField<'a, Box<RawValue>> for PersistedDataset {
    fn set(&self, value: Box<RawValue>) {
        match timbrel_learn::state::restore_str(value.get()) {
            Ok(restored) => {
                let state = restored.state;
                let hits = state.dataset.examples.len();
                self.adopt(state.dataset, state.model);
                if let Some(e) = restored.model_left_out {
                    self.report(format!(
                        "the saved model could not be used ({e}); kept its {hits} hits and retrained"
                    ));
                }
            }
            Err(e) => {
                let what = if e.written_by_newer() {
                    "the saved Timbrel state was saved by a newer Timbrel"
                } else {
                    "the saved Timbrel state could not be read"
                };
                self.replace(timbrel_learn::Dataset::default(), None);
                *self.kept.lock().unwrap_or_else(|e| e.into_inner()) = Some(value);
                self.report(format!(
                    "{what}; kept unchanged; Start over to replace it ({e})"
                ));
            }
        }
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&Box<RawValue>) -> R,
    {
        if let Some(kept) = self.kept.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            return f(kept);
        }
        let state = self.snapshot();
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

/// All of Timbrel's parameters and persisted editor state.
#[derive(Params)]
pub struct TimbrelParams {
    /// The editor's window size; kept with the plugin instance, not with the project.
    pub editor_state: Arc<EguiEditorState>,

    /// Every class and example hit, saved with the project.
    #[persist = "dataset"]
    pub dataset: PersistedDataset,
    /// Class names for displaying the `Train` parameter.
    pub class_names: ClassNames,

    /// Arms a class for training: 0 = off, k = the k-th class. Every hit that arrives while it is
    /// set joins that class; the model retrains when it returns to off.
    #[id = "train"]
    pub train: IntParam,
    /// Hits recorded per arming before training stops by itself; 0 = no limit.
    #[id = "trainmax"]
    pub train_limit: IntParam,
    /// Scales the model's unknown-hit threshold: below 1 rejects more hits as unknown, above 1
    /// fewer.
    #[id = "unk"]
    pub unknown_scale: FloatParam,

    /// Which onset detector runs.
    #[id = "det"]
    pub detector: EnumParam<DetectorChoice>,
    /// Relative detection threshold, in dB (envelope: fast minus slow envelope).
    #[id = "thr"]
    pub threshold_db: FloatParam,
    /// Absolute gate: nothing below this level triggers, in dBFS.
    #[id = "floor"]
    pub floor_dbfs: FloatParam,
    /// High-pass cutoff before the envelope detector, in Hz.
    #[id = "hp"]
    pub highpass_hz: FloatParam,
    /// Minimum time between two hits (lockout), in milliseconds.
    #[id = "lock"]
    pub min_interval_ms: FloatParam,
    /// Retrigger decay: the time the retrigger mask (which a new hit must rise above) takes to
    /// fall by 20 dB after a hit, in milliseconds.
    #[id = "retrig"]
    pub retrigger_decay_ms: FloatParam,
    /// Learn levels: while on, the detector listens to [`crate::levels::LEARN_SECONDS`] of
    /// playing and then sets gate, threshold and retrigger decay from it.
    #[id = "learn"]
    pub learn_levels: BoolParam,
    /// The levels learned last, in use while their parameters are unchanged.
    #[persist = "levels"]
    pub learned_levels: crate::levels::LearnedLevels,
    /// Descriptor analysis window, in samples at 44.1 kHz (scaled with the sample rate). This is
    /// the hit-to-result latency.
    #[id = "win"]
    pub window: IntParam,

    /// Replace the input with the built-in demo performance (centre, edge and in-between hits).
    #[id = "demo"]
    pub demo_input: BoolParam,

    /// MIDI output: notes, velocity, unknown hits, position CC.
    #[nested(group = "MIDI")]
    pub midi: crate::outputs::MidiParams,
    /// Per-class note and probability CC.
    #[nested(array, group = "Classes")]
    pub class_outputs: [crate::outputs::ClassOutputParams; crate::outputs::CLASS_SLOTS],
    /// Glide, decay, range and curve of the continuous outputs; the auxiliary output's classes.
    #[nested(group = "Control signals")]
    pub signals: crate::signals::SignalParams,
    /// Read-only parameters that follow the hits (see [`crate::publish`] for when hosts see
    /// them move).
    #[nested(group = "Outputs")]
    pub outputs: crate::signals::OutputParams,
}

impl Default for TimbrelParams {
    fn default() -> Self {
        let d = AnalysisSettings::default();
        let det = d.detector;
        let dataset = timbrel_learn::Dataset::default();
        let class_names: ClassNames = Arc::new(RwLock::new(
            dataset.classes.iter().map(|c| c.name.clone()).collect(),
        ));
        let names_out = class_names.clone();
        let names_in = class_names.clone();
        Self {
            dataset: PersistedDataset(Arc::new(DatasetCell {
                data: Mutex::new(dataset),
                generation: AtomicU64::new(0),
                ..DatasetCell::default()
            })),
            train: IntParam::new(
                "Train",
                0,
                IntRange::Linear {
                    min: 0,
                    max: MAX_CLASSES as i32,
                },
            )
            .with_value_to_string(Arc::new(move |v| train_label(&names_out, v)))
            .with_string_to_value(Arc::new(move |s| parse_train_label(&names_in, s))),
            train_limit: IntParam::new("Train count", 0, IntRange::Linear { min: 0, max: 200 })
                .with_value_to_string(Arc::new(|v| {
                    if v <= 0 {
                        "No limit".to_owned()
                    } else {
                        format!("{v} hits")
                    }
                }))
                .with_string_to_value(Arc::new(|s| {
                    let s = s.trim();
                    if s.eq_ignore_ascii_case("no limit") || s.eq_ignore_ascii_case("off") {
                        Some(0)
                    } else {
                        s.trim_end_matches("hits").trim().parse().ok()
                    }
                })),
            unknown_scale: FloatParam::new(
                "Unknown threshold",
                1.0,
                FloatRange::Skewed {
                    min: 0.25,
                    max: 4.0,
                    factor: FloatRange::skew_factor(-1.0),
                },
            )
            .with_unit("×")
            .with_step_size(0.01),
            editor_state: EguiEditorState::from_size(
                nice_plug::editor::dpi::LogicalSize::new(
                    EDITOR_SIZE.0 as f64,
                    EDITOR_SIZE.1 as f64,
                ),
                1.0,
            ),
            detector: EnumParam::new("Detector", DetectorChoice::Envelope),
            threshold_db: FloatParam::new(
                "Threshold",
                det.threshold_db,
                FloatRange::Linear {
                    min: 1.0,
                    max: 30.0,
                },
            )
            .with_unit(" dB")
            .with_step_size(0.1),
            floor_dbfs: FloatParam::new(
                "Gate",
                det.floor_dbfs,
                FloatRange::Linear {
                    min: -90.0,
                    max: -6.0,
                },
            )
            .with_unit(" dBFS")
            .with_step_size(0.5),
            highpass_hz: FloatParam::new(
                "High-pass",
                det.highpass_hz,
                FloatRange::Skewed {
                    min: 20.0,
                    max: 8_000.0,
                    factor: FloatRange::skew_factor(-2.0),
                },
            )
            .with_unit(" Hz")
            .with_step_size(1.0),
            min_interval_ms: FloatParam::new(
                "Lockout",
                det.min_interval_ms,
                FloatRange::Linear {
                    min: 2.0,
                    max: 200.0,
                },
            )
            .with_unit(" ms")
            .with_step_size(0.5),
            retrigger_decay_ms: FloatParam::new(
                "Retrigger decay",
                det.retrigger_decay_ms,
                FloatRange::Skewed {
                    min: *RETRIGGER_DECAY_RANGE_MS.start(),
                    max: *RETRIGGER_DECAY_RANGE_MS.end(),
                    factor: FloatRange::skew_factor(-2.0),
                },
            )
            .with_unit(" ms")
            .with_step_size(1.0),
            learn_levels: BoolParam::new("Learn levels", false),
            learned_levels: crate::levels::LearnedLevels::default(),
            window: IntParam::new(
                "Window",
                d.window_ref_samples as i32,
                IntRange::Linear { min: 64, max: 4096 },
            )
            .with_unit(" smp"),
            demo_input: BoolParam::new("Demo input", false),
            midi: crate::outputs::MidiParams::default(),
            class_outputs: std::array::from_fn(crate::outputs::ClassOutputParams::new),
            signals: crate::signals::SignalParams::new(&class_names),
            outputs: crate::signals::OutputParams::new(&class_names),
            class_names,
        }
    }
}

impl TimbrelParams {
    /// The analysis settings in use: the parameters', with the learned levels in place of the
    /// parameters they were learned for (see [`crate::levels`]).
    pub fn analysis_settings(&self) -> AnalysisSettings {
        let raw = self.parameter_settings();
        AnalysisSettings {
            detector: self.learned_levels.effective(raw.detector),
            ..raw
        }
    }

    /// The analysis settings exactly as the parameters hold them.
    pub fn parameter_settings(&self) -> AnalysisSettings {
        AnalysisSettings {
            detector: DetectorSettings {
                kind: self.detector.value().into(),
                highpass_hz: self.highpass_hz.value(),
                threshold_db: self.threshold_db.value(),
                floor_dbfs: self.floor_dbfs.value(),
                min_interval_ms: self.min_interval_ms.value(),
                retrigger_decay_ms: self.retrigger_decay_ms.value(),
            },
            window_ref_samples: self.window.value() as u32,
        }
    }
}

/// The `Train` parameter's texts: "Off", then the classes (see [`ClassSelector`]).
const TRAIN_TEXT: ClassSelector = ClassSelector {
    none: Some("Off"),
    max: MAX_CLASSES as i32,
};

/// The `Train` parameter's text: "Off" or the class name.
fn train_label(names: &ClassNames, value: i32) -> String {
    TRAIN_TEXT.label(&names.read().unwrap_or_else(|e| e.into_inner()), value)
}

/// Parses "Off", a class name, or a number.
fn parse_train_label(names: &ClassNames, text: &str) -> Option<i32> {
    TRAIN_TEXT.parse(&names.read().unwrap_or_else(|e| e.into_inner()), text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn train_parameter_shows_class_names() {
        let params = TimbrelParams::default();
        let show = |v: i32| {
            params
                .train
                .normalized_value_to_string(params.train.preview_normalized(v), false)
        };
        assert_eq!(show(0), "Off");
        assert_eq!(show(1), "center");
        assert_eq!(show(2), "edge");
        assert_eq!(show(3), "Class 3");
        params.class_names.write().unwrap()[1] = "rim".into();
        assert_eq!(show(2), "rim");
        let parse = |s: &str| {
            params
                .train
                .string_to_normalized_value(s)
                .map(|n| params.train.preview_plain(n))
        };
        assert_eq!(parse("Off"), Some(0));
        assert_eq!(parse("rim"), Some(2));
        assert_eq!(parse("Center"), Some(1));
    }
}
