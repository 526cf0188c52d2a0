//! Timbrel's host-visible parameters. Parameter ids are short and must never change: hosts store
//! automation and presets by id.

use crate::class_names::ClassNames;
use crate::param_text::ClassSelector;
use crate::persist::PersistedDataset;
use nice_plug::prelude::*;
use nice_plug_egui::EguiEditorState;
use std::sync::Arc;
use timbrel_core::analysis::settings::RETRIGGER_DECAY_RANGE_MS;
use timbrel_core::analysis::{AnalysisSettings, DetectorKind, DetectorSettings};
use timbrel_learn::NewStroke;

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

/// The `New stroke` parameter's "auto" value: its minimum, the only one below 0 on its 0.5 dB
/// steps.
pub const NEW_STROKE_AUTO: f32 = -0.5;

/// What the `New stroke` parameter's `value` (dB) asks of a hit: below 0 auto, 0 off.
pub fn new_stroke(value: f32) -> NewStroke {
    if value < 0.0 {
        NewStroke::Auto
    } else if value > 0.0 {
        NewStroke::Db(value)
    } else {
        NewStroke::Off
    }
}

/// All of Timbrel's parameters and persisted editor state.
#[derive(Params)]
pub struct TimbrelParams {
    /// The editor's window size; kept with the plugin instance, not with the project.
    pub editor_state: Arc<EguiEditorState>,

    /// Every class and example hit, with the model in use, saved with the project (the worker
    /// owns them; see [`crate::persist`]).
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
    /// While on, hits the model calls unknown are recorded into the ignore class (made, as
    /// "ignored sounds", when there is none); switching it off retrains. `Train` wins while a
    /// class is armed.
    #[id = "collect"]
    pub collect_unknowns: BoolParam,
    /// Train with the kit playing: the classes are recorded while the rest of the kit plays, so
    /// training leaves out a class's hits that are much softer than its loud ones and unlike
    /// them (bleed), however many (`TrainConfig::kit_playing`).
    #[id = "trainkit"]
    pub train_with_kit: BoolParam,
    /// Scales the model's unknown-hit threshold: below 1 rejects more hits as unknown, above 1
    /// fewer.
    #[id = "unk"]
    pub unknown_scale: FloatParam,
    /// A hit is only sent as one of the drum's classes when its body band rose at least this
    /// much over what sounded before it, in dB (`Model::classify_hit`). It keeps hi-hats and
    /// cymbals over the drum's ringing from sending notes, at the price of ghost notes in an
    /// accent's tail. [`new_stroke`] reads it: below 0 is "auto" (6 dB once the model has an
    /// ignore class, so the rest of a kit plays around the drum; off before), 0 is off.
    #[id = "newstk"]
    pub new_stroke_db: FloatParam,

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
    /// Latency compensation: report the analysis window to the host as the plugin's latency and
    /// delay the audio by it, so that a host with delay compensation puts the notes, CCs and
    /// control signals on the hits (see [`crate::delay`]). Off: no latency, for playing live.
    #[id = "pdc"]
    pub latency_compensation: BoolParam,

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
    /// Parameters with no worker behind the dataset (commands go nowhere): for tests of the
    /// parameters alone.
    fn default() -> Self {
        Self::new(PersistedDataset::default(), default_class_names())
    }
}

/// The class names of a new dataset.
pub fn default_class_names() -> ClassNames {
    ClassNames::new(
        timbrel_learn::Dataset::default()
            .classes
            .iter()
            .map(|c| c.name.clone())
            .collect(),
    )
}

impl TimbrelParams {
    /// The parameters, with `dataset` as the handle on the worker's project and `class_names`
    /// (which the worker keeps in step) for the texts of the class parameters.
    pub fn new(dataset: PersistedDataset, class_names: ClassNames) -> Self {
        let d = AnalysisSettings::default();
        let det = d.detector;
        let names_out = class_names.clone();
        let names_in = class_names.clone();
        Self {
            dataset,
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
            collect_unknowns: BoolParam::new("Collect unknowns", false),
            train_with_kit: BoolParam::new("Train with kit playing", false),
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
            new_stroke_db: FloatParam::new(
                "New stroke",
                NEW_STROKE_AUTO,
                FloatRange::Linear {
                    min: NEW_STROKE_AUTO,
                    max: 24.0,
                },
            )
            // The unit is part of the text: "auto" and "off" have none.
            .with_step_size(0.5)
            .with_value_to_string(Arc::new(|v| match new_stroke(v) {
                NewStroke::Auto => "auto".to_owned(),
                NewStroke::Off => "off".to_owned(),
                NewStroke::Db(db) => format!("{db:.1} dB"),
            }))
            .with_string_to_value(Arc::new(|s| {
                let s = s.trim().trim_end_matches("dB").trim();
                if s.eq_ignore_ascii_case("auto") {
                    Some(NEW_STROKE_AUTO)
                } else if s.eq_ignore_ascii_case("off") {
                    Some(0.0)
                } else {
                    s.parse::<f32>().ok().map(|v| v.max(0.0))
                }
            })),
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
            latency_compensation: BoolParam::new("Latency compensation", false),
            demo_input: BoolParam::new("Demo input", false),
            midi: crate::outputs::MidiParams::default(),
            class_outputs: std::array::from_fn(crate::outputs::ClassOutputParams::new),
            signals: crate::signals::SignalParams::new(&class_names),
            outputs: crate::signals::OutputParams::new(&class_names),
            class_names,
        }
    }

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
    names.read(|names| TRAIN_TEXT.label(names, value))
}

/// Parses "Off", a class name, or a number.
fn parse_train_label(names: &ClassNames, text: &str) -> Option<i32> {
    names.read(|names| TRAIN_TEXT.parse(names, text))
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
        params.class_names.set(vec!["center".into(), "rim".into()]);
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
