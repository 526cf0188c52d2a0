//! Continuous outputs that follow the hits: the control-signal settings (glide, decay, output
//! range and curve, which classes the auxiliary output carries), the per-sample control bank
//! that renders them, and the read-only "Outputs" parameters that mirror them for hosts.
//!
//! Speed (the recent hit rate, [`timbrel_core::speed`]) is a channel like the others: set at
//! each hit that counts, then held, glided or decayed with them.
//!
//! The bank runs per sample on the audio thread: the auxiliary output gets every sample, the
//! output parameters get the values at block ends (see [`crate::publish`] for how they reach
//! the host).

use crate::class_names::ClassNames;
use crate::param_text::{format_number, parse_number, ClassSelector, IntFormatter, IntParser};
use nice_plug::prelude::*;
use std::sync::Arc;
use timbrel_core::control::{ControlBank, RangeCurve, Shaping};
use timbrel_core::speed::{SpeedMeter, SpeedRange};
use timbrel_learn::{Prediction, MAX_CLASSES};

/// Channels of the auxiliary "Control" output: position, confidence, the probabilities of the
/// two classes the user picks, and speed.
pub const AUX_CHANNELS: usize = 5;
/// Channels of the control bank: position, confidence, speed, then one probability per class.
pub const BANK_CHANNELS: usize = 3 + MAX_CLASSES;
/// Index of the position channel in the bank.
pub const POSITION: usize = 0;
/// Index of the confidence channel in the bank.
pub const CONFIDENCE: usize = 1;
/// Index of the speed channel in the bank (0..=1 over the speed range).
pub const SPEED: usize = 2;
/// Index of class 0's probability in the bank.
pub const FIRST_PROBABILITY: usize = 3;

/// How the continuous outputs move, and what the auxiliary output carries.
#[derive(Params)]
pub struct SignalParams {
    /// Time the continuous outputs take to reach a new hit's value, in ms; 0 = sample-and-hold.
    #[id = "glide"]
    pub glide_ms: FloatParam,
    /// Time constant of the decay to the rest value after each hit, in ms; 0 = hold until the
    /// next hit.
    #[id = "decay"]
    pub decay_ms: FloatParam,
    /// Value the position decays to, 0..=1 (probabilities and confidence decay to 0).
    #[id = "rest"]
    pub rest: FloatParam,
    /// Position output for class A (interpolation 0), 0..=1. Applies to the position CC too.
    #[id = "pmin"]
    pub position_min: FloatParam,
    /// Position output for class B (interpolation 1), 0..=1. Below `pmin` inverts the output.
    #[id = "pmax"]
    pub position_max: FloatParam,
    /// Position curve exponent: 1 linear, above 1 spreads hits near A, below 1 those near B.
    #[id = "pcurve"]
    pub position_curve: FloatParam,
    /// Class whose probability the auxiliary output's channel 3 carries (1-based).
    #[id = "auxa"]
    pub aux_class_a: IntParam,
    /// Class whose probability the auxiliary output's channel 4 carries (1-based).
    #[id = "auxb"]
    pub aux_class_b: IntParam,
    /// Time constant of the speed's smoothing, in ms (0 follows each interval between hits).
    #[id = "spdtc"]
    pub speed_smoothing_ms: FloatParam,
    /// Hit rate that maps to speed 0, in hits per second.
    #[id = "spdlo"]
    pub speed_slowest: FloatParam,
    /// Hit rate that maps to speed 1, in hits per second.
    #[id = "spdhi"]
    pub speed_fastest: FloatParam,
    /// Which hits the speed counts: 0 = every hit of this drum (not those of an ignore class),
    /// k = only hits classified as class k (1-based).
    #[id = "spdcls"]
    pub speed_class: IntParam,
}

impl SignalParams {
    /// Default settings: sample-and-hold, no decay, full range, linear; classes 1 and 2 on the
    /// auxiliary output. `names` labels the class selectors.
    pub fn new(names: &ClassNames) -> Self {
        let class = |name: &str, default: i32| class_param(name, default, names, AUX_CLASS_TEXT);
        let rate = |name: &str, default: f32| {
            FloatParam::new(
                name,
                default,
                FloatRange::Linear {
                    min: 0.0,
                    max: 40.0,
                },
            )
            .with_unit(" hits/s")
            .with_step_size(0.1)
        };
        Self {
            glide_ms: FloatParam::new(
                "Glide",
                0.0,
                FloatRange::Skewed {
                    min: 0.0,
                    max: 2_000.0,
                    factor: FloatRange::skew_factor(-2.0),
                },
            )
            .with_unit(" ms")
            .with_step_size(0.1),
            decay_ms: FloatParam::new(
                "Decay",
                0.0,
                FloatRange::Skewed {
                    min: 0.0,
                    max: 10_000.0,
                    factor: FloatRange::skew_factor(-2.0),
                },
            )
            .with_step_size(1.0)
            .with_value_to_string(Arc::new(|v| {
                if v <= 0.0 {
                    "Off".to_owned()
                } else {
                    format!("{} ms", format_number(v, 0))
                }
            }))
            .with_string_to_value(Arc::new(|s| parse_number(s, " ms", Some(("Off", 0.0))))),
            rest: FloatParam::new(
                "Rest position",
                0.0,
                FloatRange::Linear { min: 0.0, max: 1.0 },
            )
            .with_step_size(0.001),
            position_min: FloatParam::new(
                "Position min",
                0.0,
                FloatRange::Linear { min: 0.0, max: 1.0 },
            )
            .with_step_size(0.001),
            position_max: FloatParam::new(
                "Position max",
                1.0,
                FloatRange::Linear { min: 0.0, max: 1.0 },
            )
            .with_step_size(0.001),
            position_curve: crate::outputs::curve_param("Position curve"),
            aux_class_a: class("Aux class A", 1),
            aux_class_b: class("Aux class B", 2),
            speed_smoothing_ms: FloatParam::new(
                "Speed smoothing",
                300.0,
                FloatRange::Skewed {
                    min: 0.0,
                    max: 5_000.0,
                    factor: FloatRange::skew_factor(-2.0),
                },
            )
            .with_unit(" ms")
            .with_step_size(1.0),
            speed_slowest: rate("Speed slowest", 0.0),
            speed_fastest: rate("Speed fastest", 16.0),
            speed_class: class_param("Speed counts", 0, names, SPEED_CLASS_TEXT),
        }
    }

    /// The speed's mapping from hits per second onto 0..=1.
    pub fn speed_range(&self) -> SpeedRange {
        SpeedRange::new(self.speed_slowest.value(), self.speed_fastest.value())
    }

    /// Glide and decay as the core's [`Shaping`].
    pub fn shaping(&self) -> Shaping {
        Shaping {
            glide_ms: self.glide_ms.value(),
            decay_ms: self.decay_ms.value(),
        }
    }

    /// The position's range and curve.
    pub fn range(&self) -> RangeCurve {
        RangeCurve {
            min: self.position_min.value(),
            max: self.position_max.value(),
            curve: self.position_curve.value(),
        }
    }
}

/// The texts of the auxiliary output's class selectors: classes 1 to [`MAX_CLASSES`].
const AUX_CLASS_TEXT: ClassSelector = ClassSelector {
    none: None,
    max: MAX_CLASSES as i32,
};

/// The texts of the speed's class selector: "All hits", then classes 1 to [`MAX_CLASSES`].
const SPEED_CLASS_TEXT: ClassSelector = ClassSelector {
    none: Some("All hits"),
    max: MAX_CLASSES as i32,
};

/// The texts of the class output: "Unknown", then classes 1 to [`MAX_CLASSES`].
const OUT_CLASS_TEXT: ClassSelector = ClassSelector {
    none: Some("Unknown"),
    max: MAX_CLASSES as i32,
};

/// A parameter that picks a class, over the values of `selector`, shown with the current class
/// `names`.
fn class_param(name: &str, default: i32, names: &ClassNames, selector: ClassSelector) -> IntParam {
    IntParam::new(
        name,
        default,
        IntRange::Linear {
            min: selector.min(),
            max: selector.max,
        },
    )
    .with_value_to_string(class_label(names, selector))
    .with_string_to_value(parse_class_label(names, selector))
}

/// A class selector's value-to-text function, with the current class `names`.
fn class_label(names: &ClassNames, selector: ClassSelector) -> IntFormatter {
    let names = names.clone();
    Arc::new(move |v| names.read(|n| selector.label(n, v)))
}

/// A class selector's text-to-value function, with the current class `names`.
fn parse_class_label(names: &ClassNames, selector: ClassSelector) -> IntParser {
    let names = names.clone();
    Arc::new(move |s| names.read(|n| selector.parse(n, s)))
}

/// The values the output parameters show, published by the audio thread and read by whoever
/// sets the parameters on the main thread.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutputValues {
    /// The bank's channels at the end of the last block: position, confidence, probabilities.
    pub bank: [f32; BANK_CHANNELS],
    /// Peak level of the last hit, in dBFS.
    pub level_dbfs: f32,
    /// Class of the last hit, 1-based; 0 when it was unknown or no model is trained.
    pub class: i32,
}

impl Default for OutputValues {
    fn default() -> Self {
        Self {
            bank: [0.0; BANK_CHANNELS],
            level_dbfs: LEVEL_FLOOR_DBFS,
            class: 0,
        }
    }
}

/// Lowest hit level the level output shows, in dBFS.
pub const LEVEL_FLOOR_DBFS: f32 = -60.0;
/// Probability slots among the output parameters.
pub const PROBABILITY_SLOTS: usize = MAX_CLASSES;

/// Read-only output parameters that follow the hits, for hosts that link or record plugin
/// parameters. Their values are overwritten at every hit; setting them by hand has no effect.
pub struct OutputParams {
    /// The (shaped) interpolation between classes A and B, 0..=1.
    pub position: FloatParam,
    /// Calibrated probability of the last hit's class, 0..=1.
    pub confidence: FloatParam,
    /// Peak level of the last hit, in dBFS.
    pub level_dbfs: FloatParam,
    /// The last hit's class (1-based); 0 = unknown, or no model trained yet.
    pub class: IntParam,
    /// The speed (recent hit rate over the speed range), 0..=1.
    pub speed: FloatParam,
    /// Probability of each class for the last hit, 0..=1 (slot k = class k + 1).
    pub probabilities: [FloatParam; PROBABILITY_SLOTS],
    /// Stable parameter ids of the probability slots, `oprob1`..`oprob16`.
    probability_ids: [String; PROBABILITY_SLOTS],
}

impl OutputParams {
    /// The output parameters at rest; `names` labels the class output.
    pub fn new(names: &ClassNames) -> Self {
        let unit = |name: String| {
            FloatParam::new(name, 0.0, FloatRange::Linear { min: 0.0, max: 1.0 })
                .with_step_size(0.0001)
        };
        Self {
            position: unit("Out: position".to_owned()),
            confidence: unit("Out: confidence".to_owned()),
            level_dbfs: FloatParam::new(
                "Out: hit level",
                LEVEL_FLOOR_DBFS,
                FloatRange::Linear {
                    min: LEVEL_FLOOR_DBFS,
                    max: 0.0,
                },
            )
            .with_unit(" dBFS")
            .with_step_size(0.01)
            .with_value_to_string(Arc::new(|v| format_number(v, 2))),
            class: class_param("Out: class", 0, names, OUT_CLASS_TEXT),
            speed: unit("Out: speed".to_owned()),
            probabilities: std::array::from_fn(|k| unit(format!("Out: P(class {})", k + 1))),
            probability_ids: std::array::from_fn(|k| format!("oprob{}", k + 1)),
        }
    }

    /// Every output parameter with its normalized target value for `values`.
    pub fn targets<'a>(
        &'a self,
        values: &OutputValues,
    ) -> impl Iterator<Item = (ParamPtr, f32)> + 'a {
        let v = *values;
        let floats = [
            (&self.position, v.bank[POSITION]),
            (&self.confidence, v.bank[CONFIDENCE]),
            (&self.level_dbfs, v.level_dbfs.max(LEVEL_FLOOR_DBFS)),
        ];
        let fixed = floats
            .into_iter()
            .map(|(p, x)| (p.as_ptr(), p.preview_normalized(x)));
        let class = std::iter::once((self.class.as_ptr(), self.class.preview_normalized(v.class)));
        let speed = std::iter::once((
            self.speed.as_ptr(),
            self.speed.preview_normalized(v.bank[SPEED]),
        ));
        let probabilities = self.probabilities.iter().enumerate().map(move |(k, p)| {
            (
                p.as_ptr(),
                p.preview_normalized(v.bank[FIRST_PROBABILITY + k]),
            )
        });
        fixed.chain(class).chain(probabilities).chain(speed)
    }
}

// SAFETY: every pointer handed out points into `self`, which the plugin keeps alive (inside its
// `Arc<TimbrelParams>`) for as long as the wrapper uses the pointers.
unsafe impl Params for OutputParams {
    fn param_map(&self) -> Vec<(String, ParamPtr, String)> {
        let mut map = vec![
            ("opos".to_owned(), self.position.as_ptr(), String::new()),
            ("oconf".to_owned(), self.confidence.as_ptr(), String::new()),
            ("olevel".to_owned(), self.level_dbfs.as_ptr(), String::new()),
            ("oclass".to_owned(), self.class.as_ptr(), String::new()),
        ];
        for (id, p) in self.probability_ids.iter().zip(&self.probabilities) {
            map.push((id.clone(), p.as_ptr(), String::new()));
        }
        map.push(("ospeed".to_owned(), self.speed.as_ptr(), String::new()));
        map
    }
}

/// The audio thread's continuous outputs: the control bank and its latest published values.
#[derive(Debug, Clone)]
pub struct Signals {
    bank: ControlBank<BANK_CHANNELS>,
    /// Class of the last hit, 1-based (0 = unknown or untrained).
    class: i32,
    /// Peak level of the last hit, in dBFS.
    level_dbfs: f32,
    /// The hit rate of the hits that count.
    speed: SpeedMeter,
    speed_range: SpeedRange,
    /// Class the speed counts (0-based), or `None` for every hit.
    speed_class: Option<u8>,
    /// The channels' values as the last hit set them (before glide and decay).
    hit_bank: [f32; BANK_CHANNELS],
}

/// The speed after a hit.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SpeedReading {
    /// Smoothed hit rate, in hits per second.
    pub rate_hz: f32,
    /// The rate over the speed range, 0..=1.
    pub value: f32,
}

impl Signals {
    /// Signals at rest at `sample_rate` (Hz).
    pub fn new(sample_rate: f32) -> Self {
        Self {
            bank: ControlBank::new(sample_rate, Shaping::default()),
            class: 0,
            level_dbfs: LEVEL_FLOOR_DBFS,
            speed: SpeedMeter::new(sample_rate, 0.0),
            speed_range: SpeedRange::new(0.0, 1.0),
            speed_class: None,
            hit_bank: [0.0; BANK_CHANNELS],
        }
    }

    /// Applies the current settings; call once per block before rendering.
    pub fn configure(&mut self, params: &SignalParams) {
        self.speed
            .set_time_constant_ms(params.speed_smoothing_ms.value());
        self.speed_range = params.speed_range();
        self.speed_class = u8::try_from(params.speed_class.value() - 1).ok();
        self.bank.set_shaping(params.shaping());
        let mut rest = [0.0; BANK_CHANNELS];
        rest[POSITION] = params.rest.value();
        self.bank.set_rest(rest);
    }

    /// A hit's result: new targets for every channel, and the speed, which counts this hit
    /// (its onset at `onset_sample`, since activation) when it is of the class the speed
    /// follows, or any hit when it follows them all. Unknown hits and hits without a model
    /// leave the position where it is (they have no place between A and B); `position` is the
    /// interpolation after range and curve. Never allocates.
    pub fn hit(
        &mut self,
        onset_sample: u64,
        prediction: Option<&Prediction>,
        position: f32,
        level_dbfs: f32,
    ) -> SpeedReading {
        self.level_dbfs = level_dbfs.max(LEVEL_FLOOR_DBFS);
        let counts = match self.speed_class {
            None => true,
            Some(class) => prediction.is_some_and(|p| p.best == Some(class)),
        };
        let rate_hz = if counts {
            self.speed.hit(onset_sample)
        } else {
            self.speed.rate()
        };
        let speed = SpeedReading {
            rate_hz,
            value: self.speed_range.map(rate_hz),
        };
        let mut targets = self.bank.values();
        targets[SPEED] = speed.value;
        match prediction {
            Some(p) => {
                if p.best.is_some() {
                    targets[POSITION] = position;
                }
                targets[CONFIDENCE] = if p.best.is_some() {
                    p.confidence.clamp(0.0, 1.0)
                } else {
                    0.0
                };
                for k in 0..MAX_CLASSES {
                    let known = k < p.class_count as usize;
                    targets[FIRST_PROBABILITY + k] = if known {
                        p.probabilities[k].clamp(0.0, 1.0)
                    } else {
                        0.0
                    };
                }
                self.class = p.best.map_or(0, |c| c as i32 + 1);
            }
            None => self.class = 0,
        }
        self.bank.set_targets(targets);
        self.hit_bank = targets;
        speed
    }

    /// Forgets the hits the speed has counted (the next hit starts from 0 hits per second).
    pub fn reset_speed(&mut self) {
        self.speed.reset();
    }

    /// Advances `len` samples, writing the auxiliary channels (position, confidence, the
    /// probabilities of the 0-based classes `aux_classes`) into `aux` from `offset` on, if the
    /// host connected the output.
    pub fn render(
        &mut self,
        aux: Option<&mut [&mut [f32]]>,
        offset: usize,
        len: usize,
        aux_classes: [usize; 2],
    ) {
        let channels = [
            POSITION,
            CONFIDENCE,
            FIRST_PROBABILITY + aux_classes[0],
            FIRST_PROBABILITY + aux_classes[1],
            SPEED,
        ];
        match aux {
            Some(aux) => {
                for i in offset..offset + len {
                    let values = self.bank.tick();
                    for (out, &c) in aux.iter_mut().zip(&channels) {
                        if let Some(x) = out.get_mut(i) {
                            *x = values[c];
                        }
                    }
                }
            }
            None => {
                for _ in 0..len {
                    self.bank.tick();
                }
            }
        }
    }

    /// What the output parameters show: the last hit's values, held until the next hit (glide
    /// and decay shape the control output only; a parameter follows the hits, as hosts link and
    /// record it).
    pub fn values(&self) -> OutputValues {
        OutputValues {
            bank: self.hit_bank,
            level_dbfs: self.level_dbfs,
            class: self.class,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prediction(best: Option<u8>, interpolation: f32) -> Prediction {
        let mut p = Prediction {
            class_count: 2,
            ..Default::default()
        };
        p.probabilities[0] = 0.8;
        p.probabilities[1] = 0.2;
        p.best = best;
        p.best_class = 0;
        p.confidence = 0.8;
        p.interpolation = interpolation;
        p
    }

    #[test]
    fn aux_channels_hold_the_hit_values_from_the_hit_sample_on() {
        let mut s = Signals::new(48_000.0);
        let mut a = vec![vec![9.0f32; 64]; AUX_CHANNELS];
        let mut slices: Vec<&mut [f32]> = a.iter_mut().map(|c| c.as_mut_slice()).collect();
        s.render(Some(&mut slices), 0, 10, [0, 1]);
        s.hit(0, Some(&prediction(Some(0), 0.3)), 0.3, -12.0);
        s.render(Some(&mut slices), 10, 54, [0, 1]);
        assert!(a[0][..10].iter().all(|&x| x == 0.0));
        assert!(a[0][10..].iter().all(|&x| x == 0.3));
        assert!(a[1][10..].iter().all(|&x| x == 0.8));
        assert!(a[2][10..].iter().all(|&x| x == 0.8));
        assert!(a[3][10..].iter().all(|&x| x == 0.2));
        assert_eq!(s.values().class, 1);
        assert_eq!(s.values().level_dbfs, -12.0);
    }

    #[test]
    fn speed_counts_the_hits_of_its_class_and_goes_out_on_the_fifth_channel() {
        let names: ClassNames = Default::default();
        let mut params = SignalParams::new(&names);
        params.speed_class = IntParam::new("t", 1, IntRange::Linear { min: 0, max: 16 });
        params.speed_smoothing_ms =
            FloatParam::new("t", 0.0, FloatRange::Linear { min: 0.0, max: 1.0 });
        let mut s = Signals::new(48_000.0);
        s.configure(&params);
        // Class 1 every 6000 samples (8 per second), class 2 in between: only class 1 counts.
        let mut last = SpeedReading::default();
        for i in 0..8u64 {
            last = s.hit(i * 6_000, Some(&prediction(Some(0), 0.2)), 0.2, -6.0);
            let other = s.hit(
                i * 6_000 + 3_000,
                Some(&prediction(Some(1), 0.8)),
                0.8,
                -6.0,
            );
            assert_eq!(other.rate_hz, last.rate_hz);
        }
        assert!((last.rate_hz - 8.0).abs() < 1e-3, "{last:?}");
        assert!((last.value - 0.5).abs() < 1e-3, "{last:?}");
        let mut a = vec![vec![0.0f32; 8]; AUX_CHANNELS];
        let mut slices: Vec<&mut [f32]> = a.iter_mut().map(|c| c.as_mut_slice()).collect();
        s.render(Some(&mut slices), 0, 8, [0, 1]);
        assert!(a[4].iter().all(|&x| (x - last.value).abs() < 1e-6));
        assert_eq!(s.values().bank[SPEED], last.value);
        s.reset_speed();
        assert_eq!(
            s.hit(100_000, Some(&prediction(Some(0), 0.2)), 0.2, -6.0)
                .rate_hz,
            0.0
        );
    }

    #[test]
    fn unknown_hits_keep_the_position_and_report_class_zero() {
        let mut s = Signals::new(48_000.0);
        s.hit(0, Some(&prediction(Some(1), 0.9)), 0.9, -6.0);
        s.render(None, 0, 1, [0, 1]);
        s.hit(0, Some(&prediction(None, 0.1)), 0.1, -6.0);
        s.render(None, 0, 1, [0, 1]);
        let v = s.values();
        assert_eq!(v.bank[POSITION], 0.9);
        assert_eq!(v.bank[CONFIDENCE], 0.0);
        assert_eq!(v.class, 0);
    }

    #[test]
    fn output_parameters_have_stable_ids_and_at_least_eight_probability_slots() {
        let names: ClassNames = Default::default();
        let outputs = OutputParams::new(&names);
        let ids: Vec<String> = outputs
            .param_map()
            .into_iter()
            .map(|(id, _, _)| id)
            .collect();
        assert_eq!(&ids[..4], ["opos", "oconf", "olevel", "oclass"]);
        assert!(ids.len() - 4 >= 8);
        assert_eq!(ids[4], "oprob1");
        assert_eq!(ids.last().map(String::as_str), Some("ospeed"));
        assert_eq!(outputs.targets(&OutputValues::default()).count(), ids.len());
    }
}
