//! The training set: named, coloured classes and the hits recorded for them.
//!
//! Class indices are positions in [`Dataset::classes`]; every [`Example::class`] and the
//! interpolation [`Dataset::pair`] refer to them. Removing a class removes its examples and
//! shifts the indices above it down by one, so indices always stay consistent.

use crate::error::{check_finite, LearnError};
use crate::snippet::Snippet;
use crate::{DESCRIPTOR_LEN, MAX_CLASSES};
use serde::{Deserialize, Serialize};
use timbrel_core::analysis::HitRecord;

/// Longest class name, in bytes.
pub const MAX_NAME_BYTES: usize = 64;

/// Colours given to new classes, in order (sRGB).
pub const PALETTE: [[u8; 3]; MAX_CLASSES] = [
    [0xe6, 0x4b, 0x3c],
    [0x34, 0x98, 0xdb],
    [0x2e, 0xcc, 0x71],
    [0xf1, 0xc4, 0x0f],
    [0x9b, 0x59, 0xb6],
    [0x1a, 0xbc, 0x9c],
    [0xe6, 0x7e, 0x22],
    [0xec, 0x70, 0xa0],
    [0x95, 0xa5, 0xa6],
    [0x7f, 0x8c, 0x20],
    [0x2c, 0x3e, 0x90],
    [0xc0, 0x39, 0x2b],
    [0x16, 0xa0, 0x85],
    [0x8e, 0x44, 0xad],
    [0xd3, 0x54, 0x00],
    [0x34, 0x49, 0x5e],
];

/// One trainable class of hits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassInfo {
    /// Display name, unique in the dataset (1 to [`MAX_NAME_BYTES`] bytes).
    pub name: String,
    /// Display colour, sRGB.
    pub color: [u8; 3],
    /// Pinned interpolation value (0..=1) for an in-between calibration class, e.g. 0.5 for a
    /// "middle" class between A and B. Ignored on the pair classes themselves (A is 0, B is 1).
    pub anchor: Option<f32>,
    /// An "ignore" class: sounds that are not this drum (bleed of the rest of the kit). It is
    /// trained like any class, but a hit classified as it is reported as ignored
    /// ([`crate::Prediction::ignored`]) and sends nothing. Absent in files written before it
    /// existed (false).
    #[serde(default)]
    pub ignore: bool,
}

impl ClassInfo {
    /// A class without anchor.
    pub fn new(name: impl Into<String>, color: [u8; 3]) -> Self {
        Self {
            name: name.into(),
            color,
            anchor: None,
            ignore: false,
        }
    }
}

/// One recorded hit with its label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    /// The hit's descriptor, [`DESCRIPTOR_LEN`] values laid out as
    /// `timbrel_core::analysis::descriptor::NAMES`.
    pub descriptor: Vec<f32>,
    /// Index of its class in [`Dataset::classes`].
    pub class: usize,
    /// Level of the hit (RMS over the analysis window), in dBFS; for display.
    pub level_dbfs: f32,
    /// When it was recorded, in seconds since an arbitrary origin (e.g. the session start).
    pub time_s: f64,
    /// About 100 ms of the hit's audio for auditioning, at preview quality; may be empty.
    pub snippet: Snippet,
    /// The descriptor of the same window with the analyzer's synthetic hi-hat stroke on it
    /// (`timbrel_core::analysis::hat`, [`HAT_LEVEL_DB`] under the window's peak), laid out as
    /// `descriptor`; recorded with training hits so the model knows what a hat played with
    /// this drum does to it. `None` for hits recorded before, or without it.
    #[serde(default)]
    pub hat_descriptor: Option<Vec<f32>>,
}

/// Level of the synthetic hi-hat stroke under a training hit's peak, in dB: what the recorder
/// asks the analyzer for (`Analyzer::set_hat_mix`) while recording training hits.
///
/// NOTE: measured on the real kits (`kit_model`, `kit_scorers.py`, other kits' real hats,
/// 5.8 ms): 10 dB took the snare hits with a simultaneous hat called unknown to 13.9 % but
/// other kits' hats rejected 98.3 -> 93.9 %; 15 dB 23.6 % with hats 98.0 %; 20 dB 36.1 %
/// (from 43.1 % without). Toms rejected 65.9 / 67.0 / 68.6 % (72.3 % without).
pub const HAT_LEVEL_DB: f32 = timbrel_core::analysis::hat::DEFAULT_LEVEL_DB;

impl Example {
    /// An example without audio snippet.
    pub fn new(descriptor: &[f32], class: usize, level_dbfs: f32, time_s: f64) -> Self {
        Self {
            descriptor: descriptor.to_vec(),
            class,
            level_dbfs,
            time_s,
            snippet: Snippet::default(),
            hat_descriptor: None,
        }
    }

    /// An example of `class` from one of the analyzer's hits, recorded at `time_s` (seconds),
    /// as the plugin and `timbrel train` record them: the hit's descriptor, its window's RMS
    /// level ([`Example::level_dbfs`]; the doubt checks compare it between hits) and its hat
    /// descriptor when the analyzer made one.
    pub fn from_hit(hit: &HitRecord, class: usize, time_s: f64) -> Self {
        Self::new(&hit.descriptor, class, hit.rms_dbfs, time_s)
            .with_hat(hit.hat_descriptor.as_ref().map(|d| &d[..]))
    }

    /// The same example with the descriptor of its window under a synthetic hat
    /// ([`Example::hat_descriptor`]).
    pub fn with_hat(mut self, hat_descriptor: Option<&[f32]>) -> Self {
        self.hat_descriptor = hat_descriptor.map(<[f32]>::to_vec);
        self
    }

    /// Checks the descriptor's length, that every number is finite, and the snippet
    /// ([`Snippet::validate`]); `index` is only used in error messages.
    pub fn validate(&self, index: usize) -> Result<(), LearnError> {
        if self.descriptor.len() != DESCRIPTOR_LEN {
            return Err(LearnError::DescriptorLength {
                expected: DESCRIPTOR_LEN,
                got: self.descriptor.len(),
            });
        }
        check_finite(&self.descriptor, &|i| {
            format!("example {index} descriptor[{i}]")
        })?;
        if let Some(hat) = &self.hat_descriptor {
            if hat.len() != DESCRIPTOR_LEN {
                return Err(LearnError::DescriptorLength {
                    expected: DESCRIPTOR_LEN,
                    got: hat.len(),
                });
            }
            check_finite(hat, &|i| format!("example {index} hat_descriptor[{i}]"))?;
        }
        check_finite(&[self.level_dbfs], &|_| {
            format!("example {index} level_dbfs")
        })?;
        self.snippet
            .validate()
            .map_err(|problem| LearnError::Snippet {
                example: index,
                problem,
            })?;
        if !self.time_s.is_finite() {
            return Err(LearnError::NonFinite {
                what: format!("example {index} time_s"),
                value: self.time_s,
            });
        }
        Ok(())
    }
}

/// Classes, their examples, and the interpolation pair (A, B).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// The classes, at most [`MAX_CLASSES`], at least 2.
    pub classes: Vec<ClassInfo>,
    /// The examples, each labelled with a class index.
    pub examples: Vec<Example>,
    /// The interpolation pair (A, B): interpolation is 0 at A's mean and 1 at B's.
    pub pair: (usize, usize),
}

impl Default for Dataset {
    /// Two classes, `center` (A) and `edge` (B), no examples.
    fn default() -> Self {
        Self {
            classes: vec![
                ClassInfo::new("center", PALETTE[0]),
                ClassInfo::new("edge", PALETTE[1]),
            ],
            examples: Vec::new(),
            pair: (0, 1),
        }
    }
}

fn normalized(name: &str) -> String {
    name.trim().to_lowercase()
}

impl Dataset {
    /// Number of classes.
    pub fn class_count(&self) -> usize {
        self.classes.len()
    }

    /// Index of the class called `name` (trimmed, case-insensitive).
    pub fn class_index(&self, name: &str) -> Option<usize> {
        let n = normalized(name);
        self.classes.iter().position(|c| normalized(&c.name) == n)
    }

    /// Number of examples of each class, indexed like [`Self::classes`].
    pub fn counts(&self) -> Vec<usize> {
        let mut c = vec![0; self.classes.len()];
        for e in &self.examples {
            if let Some(x) = c.get_mut(e.class) {
                *x += 1;
            }
        }
        c
    }

    fn check_class(&self, class: usize) -> Result<(), LearnError> {
        if class < self.classes.len() {
            Ok(())
        } else {
            Err(LearnError::ClassOutOfRange {
                class,
                count: self.classes.len(),
            })
        }
    }

    fn check_name(&self, name: &str, except: Option<usize>) -> Result<(), LearnError> {
        if name.trim().is_empty() || name.len() > MAX_NAME_BYTES {
            return Err(LearnError::InvalidName(name.to_string()));
        }
        match self.class_index(name) {
            Some(i) if Some(i) != except => Err(LearnError::DuplicateName(name.to_string())),
            _ => Ok(()),
        }
    }

    /// Adds a class and returns its index. Fails on a duplicate or invalid name, or when there
    /// are already [`MAX_CLASSES`].
    pub fn add_class(&mut self, name: &str, color: [u8; 3]) -> Result<usize, LearnError> {
        if self.classes.len() >= MAX_CLASSES {
            return Err(LearnError::TooManyClasses {
                count: self.classes.len() + 1,
                max: MAX_CLASSES,
            });
        }
        self.check_name(name, None)?;
        self.classes.push(ClassInfo::new(name.trim(), color));
        Ok(self.classes.len() - 1)
    }

    /// Renames class `class`.
    pub fn rename_class(&mut self, class: usize, name: &str) -> Result<(), LearnError> {
        self.check_class(class)?;
        self.check_name(name, Some(class))?;
        self.classes[class].name = name.trim().to_string();
        Ok(())
    }

    /// Changes the colour of class `class`.
    pub fn recolour_class(&mut self, class: usize, color: [u8; 3]) -> Result<(), LearnError> {
        self.check_class(class)?;
        self.classes[class].color = color;
        Ok(())
    }

    /// Pins (or with `None` unpins) the interpolation value of class `class` (0..=1).
    pub fn set_anchor(&mut self, class: usize, anchor: Option<f32>) -> Result<(), LearnError> {
        self.check_class(class)?;
        if let Some(a) = anchor {
            if !(0.0..=1.0).contains(&a) {
                return Err(LearnError::AnchorOutOfRange { class, anchor: a });
            }
        }
        self.classes[class].anchor = anchor;
        Ok(())
    }

    /// Marks (or unmarks) class `class` as an "ignore" class ([`ClassInfo::ignore`]). A class
    /// of the interpolation pair cannot be an ignore class.
    pub fn set_ignore(&mut self, class: usize, ignore: bool) -> Result<(), LearnError> {
        self.check_class(class)?;
        if ignore && (self.pair.0 == class || self.pair.1 == class) {
            return Err(LearnError::PairIgnored {
                name: self.classes[class].name.clone(),
            });
        }
        self.classes[class].ignore = ignore;
        Ok(())
    }

    /// Removes class `class` **together with its examples** (returned, in order); the classes
    /// above it move down by one and every example and the pair are renumbered. Fails when the
    /// class is part of the interpolation pair (set another pair first) or only 2 classes are
    /// left.
    pub fn remove_class(&mut self, class: usize) -> Result<Vec<Example>, LearnError> {
        self.check_class(class)?;
        if self.classes.len() <= 2 {
            return Err(LearnError::TooFewClasses {
                count: self.classes.len() - 1,
            });
        }
        if self.pair.0 == class || self.pair.1 == class {
            return Err(LearnError::ClassInPair { class });
        }
        self.classes.remove(class);
        let (removed, kept): (Vec<_>, Vec<_>) =
            self.examples.drain(..).partition(|e| e.class == class);
        self.examples = kept;
        for e in &mut self.examples {
            if e.class > class {
                e.class -= 1;
            }
        }
        let shift = |c: usize| if c > class { c - 1 } else { c };
        self.pair = (shift(self.pair.0), shift(self.pair.1));
        Ok(removed)
    }

    /// Chooses the interpolation pair: `a` maps to 0, `b` to 1.
    pub fn set_pair(&mut self, a: usize, b: usize) -> Result<(), LearnError> {
        if a == b || a >= self.classes.len() || b >= self.classes.len() {
            return Err(LearnError::BadPair {
                a,
                b,
                count: self.classes.len(),
            });
        }
        for c in [a, b] {
            if self.classes[c].ignore {
                return Err(LearnError::PairIgnored {
                    name: self.classes[c].name.clone(),
                });
            }
        }
        self.pair = (a, b);
        Ok(())
    }

    /// Adds an example (validated) and returns its index.
    pub fn add_example(&mut self, example: Example) -> Result<usize, LearnError> {
        self.check_class(example.class)?;
        example.validate(self.examples.len())?;
        self.examples.push(example);
        Ok(self.examples.len() - 1)
    }

    /// Removes example `index` and returns it; later examples move down by one.
    pub fn remove_example(&mut self, index: usize) -> Result<Example, LearnError> {
        if index >= self.examples.len() {
            return Err(LearnError::ExampleOutOfRange {
                index,
                count: self.examples.len(),
            });
        }
        Ok(self.examples.remove(index))
    }

    /// Moves example `index` to class `class`.
    pub fn relabel_example(&mut self, index: usize, class: usize) -> Result<(), LearnError> {
        self.check_class(class)?;
        let count = self.examples.len();
        let e = self
            .examples
            .get_mut(index)
            .ok_or(LearnError::ExampleOutOfRange { index, count })?;
        e.class = class;
        Ok(())
    }

    /// Checks everything: 2..=[`MAX_CLASSES`] classes with valid unique names and anchors, a
    /// valid pair, and examples with valid classes, descriptor lengths and finite values. Run
    /// it on every decoded dataset.
    pub fn validate(&self) -> Result<(), LearnError> {
        let n = self.classes.len();
        if n > MAX_CLASSES {
            return Err(LearnError::TooManyClasses {
                count: n,
                max: MAX_CLASSES,
            });
        }
        if n < 2 {
            return Err(LearnError::TooFewClasses { count: n });
        }
        for (i, c) in self.classes.iter().enumerate() {
            self.check_name(&c.name, Some(i))?;
            if let Some(a) = c.anchor {
                if !(0.0..=1.0).contains(&a) {
                    return Err(LearnError::AnchorOutOfRange {
                        class: i,
                        anchor: a,
                    });
                }
            }
        }
        let (a, b) = self.pair;
        if a == b || a >= n || b >= n {
            return Err(LearnError::BadPair { a, b, count: n });
        }
        for c in [a, b] {
            if self.classes[c].ignore {
                return Err(LearnError::PairIgnored {
                    name: self.classes[c].name.clone(),
                });
            }
        }
        for (i, e) in self.examples.iter().enumerate() {
            self.check_class(e.class)?;
            e.validate(i)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(class: usize, v: f32) -> Example {
        Example::new(&[v; DESCRIPTOR_LEN], class, -20.0, 0.0)
    }

    #[test]
    fn an_example_from_a_hit_keeps_its_rms_level_and_hat() {
        use timbrel_core::analysis::Detection;
        let mut hit = HitRecord {
            onset_sample: 4410,
            detected_onset_sample: 4400,
            ready_sample: 4666,
            peak_dbfs: -6.0,
            rms_dbfs: -18.5,
            body_rise_db: 30.0,
            detection: Detection::NONE,
            descriptor: [0.25; DESCRIPTOR_LEN],
            hat_descriptor: Some([0.5; DESCRIPTOR_LEN]),
        };
        let e = Example::from_hit(&hit, 1, 12.5);
        assert_eq!((e.class, e.level_dbfs, e.time_s), (1, -18.5, 12.5));
        assert_eq!(e.descriptor, vec![0.25; DESCRIPTOR_LEN]);
        assert_eq!(e.hat_descriptor, Some(vec![0.5; DESCRIPTOR_LEN]));
        hit.hat_descriptor = None;
        assert_eq!(Example::from_hit(&hit, 0, 0.0).hat_descriptor, None);
    }

    #[test]
    fn an_ignore_class_is_never_in_the_pair() {
        let mut d = Dataset::default();
        let bleed = d.add_class("bleed", PALETTE[2]).unwrap();
        d.set_ignore(bleed, true).unwrap();
        d.validate().unwrap();
        assert!(matches!(
            d.set_ignore(0, true),
            Err(LearnError::PairIgnored { ref name }) if name == "center"
        ));
        assert!(matches!(
            d.set_pair(0, bleed),
            Err(LearnError::PairIgnored { ref name }) if name == "bleed"
        ));
        d.classes[1].ignore = true;
        assert!(matches!(d.validate(), Err(LearnError::PairIgnored { .. })));
        // Files written before the flag read as not ignored.
        let mut v = serde_json::to_value(Dataset::default()).unwrap();
        v["classes"][0].as_object_mut().unwrap().remove("ignore");
        let old: Dataset = serde_json::from_value(v).unwrap();
        assert!(!old.classes[0].ignore);
    }

    #[test]
    fn default_is_center_edge_pair() {
        let d = Dataset::default();
        d.validate().unwrap();
        assert_eq!(d.classes[0].name, "center");
        assert_eq!(d.classes[1].name, "edge");
        assert_eq!(d.pair, (0, 1));
    }

    #[test]
    fn class_edits_keep_indices_consistent() {
        let mut d = Dataset::default();
        let rim = d.add_class("rim", PALETTE[2]).unwrap();
        let mid = d.add_class("middle", PALETTE[3]).unwrap();
        d.add_example(ex(rim, 1.0)).unwrap();
        d.add_example(ex(mid, 2.0)).unwrap();
        d.add_example(ex(1, 3.0)).unwrap();
        d.set_pair(1, mid).unwrap();
        let removed = d.remove_class(rim).unwrap();
        assert_eq!(removed.len(), 1);
        assert_eq!(d.classes.len(), 3);
        assert_eq!(d.pair, (1, 2));
        assert_eq!(
            d.examples.iter().map(|e| e.class).collect::<Vec<_>>(),
            vec![2, 1]
        );
        assert_eq!(d.examples[0].descriptor[0], 2.0);
        assert_eq!(d.remove_class(2), Err(LearnError::ClassInPair { class: 2 }));
        d.set_pair(0, 1).unwrap();
        d.remove_class(2).unwrap();
        assert_eq!(
            d.remove_class(0),
            Err(LearnError::TooFewClasses { count: 1 })
        );
        d.validate().unwrap();
    }

    #[test]
    fn bad_inputs_are_rejected_with_values() {
        let mut d = Dataset::default();
        assert_eq!(
            d.add_class(" Center ", [0; 3]),
            Err(LearnError::DuplicateName(" Center ".into()))
        );
        assert_eq!(
            d.add_class("  ", [0; 3]),
            Err(LearnError::InvalidName("  ".into()))
        );
        for i in 2..MAX_CLASSES {
            d.add_class(&format!("c{i}"), [0; 3]).unwrap();
        }
        assert_eq!(
            d.add_class("one more", [0; 3]),
            Err(LearnError::TooManyClasses { count: 17, max: 16 })
        );
        assert_eq!(
            d.rename_class(0, "c5"),
            Err(LearnError::DuplicateName("c5".into()))
        );
        d.rename_class(0, "CENTER").unwrap();
        assert_eq!(
            d.set_pair(3, 3),
            Err(LearnError::BadPair {
                a: 3,
                b: 3,
                count: 16
            })
        );
        assert_eq!(
            d.set_pair(0, 16),
            Err(LearnError::BadPair {
                a: 0,
                b: 16,
                count: 16
            })
        );
        assert_eq!(
            d.set_anchor(2, Some(1.5)),
            Err(LearnError::AnchorOutOfRange {
                class: 2,
                anchor: 1.5
            })
        );
        let short = Example::new(&[0.0; 3], 0, 0.0, 0.0);
        assert_eq!(
            d.add_example(short),
            Err(LearnError::DescriptorLength {
                expected: DESCRIPTOR_LEN,
                got: 3
            })
        );
        let mut nan = ex(0, 0.0);
        nan.descriptor[7] = f32::NAN;
        match d.add_example(nan) {
            Err(LearnError::NonFinite { what, value }) => {
                assert!(what.contains("descriptor[7]"), "{what}");
                assert!(value.is_nan());
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            d.add_example(ex(16, 0.0)),
            Err(LearnError::ClassOutOfRange {
                class: 16,
                count: 16
            })
        );
        assert_eq!(
            d.remove_example(0),
            Err(LearnError::ExampleOutOfRange { index: 0, count: 0 })
        );
        d.add_example(ex(0, 0.0)).unwrap();
        d.relabel_example(0, 5).unwrap();
        assert_eq!(d.counts()[5], 1);
        assert_eq!(
            d.relabel_example(0, 99),
            Err(LearnError::ClassOutOfRange {
                class: 99,
                count: 16
            })
        );
        // A decoded dataset with a broken pair or label is caught by validate().
        let mut bad = d.clone();
        bad.examples[0].class = 40;
        assert!(bad.validate().is_err());
        bad = d.clone();
        bad.pair = (1, 1);
        assert!(bad.validate().is_err());
    }

    #[test]
    fn serde_round_trip() {
        let mut d = Dataset::default();
        let mut e = ex(1, 0.25);
        e.snippet = Snippet::encode(&[0.1, -0.2, 0.3], 48_000.0);
        d.add_example(e).unwrap();
        d.set_anchor(0, Some(0.0)).unwrap();
        let s = serde_json::to_string(&d).unwrap();
        let back: Dataset = serde_json::from_str(&s).unwrap();
        assert_eq!(back, d);
        let back: Dataset = postcard::from_bytes(&postcard::to_allocvec(&d).unwrap()).unwrap();
        assert_eq!(back, d);
    }

    #[test]
    fn bad_snippets_are_caught_by_validate() {
        let mut d = Dataset::default();
        d.add_example(ex(0, 0.0)).unwrap();
        let mut v = serde_json::to_value(&d).unwrap();
        v["examples"][0]["snippet"] =
            serde_json::json!({"rate_hz": 96000.0, "peak": 1.0, "data": "AAEC"});
        let bad: Dataset = serde_json::from_value(v).unwrap();
        assert_eq!(
            bad.validate(),
            Err(LearnError::Snippet {
                example: 0,
                problem: crate::snippet::SnippetError::Rate { rate_hz: 96_000.0 }
            })
        );
        assert_eq!(
            bad.validate().unwrap_err().to_string(),
            "example 0: snippet rate 96000 Hz is outside 1000..=16000 Hz"
        );
    }
}
