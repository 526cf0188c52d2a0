//! The fitted model: classifies one hit without allocating, checks itself after decoding, and
//! says whether a dataset is the one it was trained on.

use super::classifier::Classifier;
use super::params::ModelKind;
use super::prediction::Prediction;
use super::train::TrainReport;
use super::MODEL_FORMAT_VERSION;
use crate::calibration::softmax;
use crate::dataset::{ClassInfo, Dataset};
use crate::doubt::Doubt;
use crate::error::LearnError;
use crate::interpolation::Interpolator;
use crate::novelty::ignore::{self, IgnoreDiscriminant};
use crate::novelty::v1::NoveltyV1;
use crate::novelty::v2::NoveltyV2;
use crate::novelty::Novelty;
use crate::pca::{Pca, MAX_COMPONENTS};
use crate::scaler::Scaler;
use crate::{DESCRIPTOR_LEN, LAYOUT_VERSION, MAX_CLASSES};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use timbrel_core::analysis::HitRecord;

/// Smallest rise of a hit's body band ([`HitRecord::body_rise_db`]) for it to be sent as one
/// of the drum's classes under [`NewStroke::Auto`] with an ignore class, in dB.
pub const NEW_STROKE_DB: f32 = 6.0;

/// Whether [`Model::classify_hit`] asks a hit to have struck the drum anew.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NewStroke {
    /// [`NEW_STROKE_DB`] when the model has an ignore class (the user said the rest of a kit
    /// plays around the drum), off otherwise: a drum on its own keeps its soft strokes in the
    /// ringing of loud ones (in the membrane performances of the host tests, 3 % of the hits
    /// rose less than 6 dB).
    Auto,
    /// No check.
    Off,
    /// At least this rise, in dB.
    Db(f32),
}

impl NewStroke {
    /// The smallest rise this asks of a hit classified by a model with (`has_ignore`) or
    /// without an ignore class, in dB (`-inf`: no check).
    pub fn min_rise_db(self, has_ignore: bool) -> f32 {
        match self {
            Self::Auto if has_ignore => NEW_STROKE_DB,
            Self::Db(db) => db,
            Self::Auto | Self::Off => f32::NEG_INFINITY,
        }
    }
}

/// A trained model: everything needed to classify a hit, plus what it was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub(super) format_version: u32,
    pub(super) layout_version: u32,
    pub(super) classes: Vec<ClassInfo>,
    pub(super) pair: (usize, usize),
    /// Dataset class index of each compact (trained) class.
    pub(super) trained: Vec<u8>,
    /// Dataset class index of each of the classifier's classes: the trained classes that are
    /// not ignore classes.
    pub(super) drum: Vec<u8>,
    pub(super) scaler: Scaler,
    pub(super) pca: Pca,
    pub(super) classifier: Classifier,
    pub(super) temperature: f32,
    pub(super) novelty: NoveltyScorer,
    pub(super) unknown_threshold: f32,
    pub(super) interpolation: Interpolator,
    pub(super) report: TrainReport,
    /// Doubtful training examples (indices into the dataset trained on), see [`crate::doubt`].
    pub(super) doubtful: Vec<Doubt>,
    /// The discriminant between the drum and its ignore classes (model format 5; `None` without
    /// an ignore class and in older models, which score as they did).
    #[serde(default)]
    pub(super) ignore_rule: Option<IgnoreDiscriminant>,
    /// Width of the novelty's hat-segment regions, a share of the class's scale
    /// ([`crate::novelty::HAT_WIDTH`] since format 5; 1 in older models, which score as they did).
    #[serde(default = "full_hat_width")]
    pub(super) hat_width: f32,
}

/// The hat-segment width of models before format 5.
pub(super) fn full_hat_width() -> f32 {
    1.0
}

/// The novelty scorer of a model: the current one, or format 1's for models saved before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum NoveltyScorer {
    /// Format 1 (per-class distances over the whole descriptor).
    V1(NoveltyV1),
    /// Format 2 (per-dimension distance to the region the classes span, level-free).
    Region(NoveltyV2),
    /// Distance to the drum's classes and the boxes between them, nearest ignore example
    /// ([`Novelty`]).
    Box(Novelty),
}

/// How a dataset disagrees with a model stored next to it.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum Mismatch {
    /// The class names (in order) differ.
    #[error("the dataset's classes {dataset:?} are not the model's {model:?}")]
    Classes {
        /// Class names of the model.
        model: Vec<String>,
        /// Class names of the dataset.
        dataset: Vec<String>,
    },
    /// The interpolation pairs differ.
    #[error("the dataset's interpolation pair {dataset:?} is not the model's {model:?}")]
    Pair {
        /// The model's pair.
        model: (usize, usize),
        /// The dataset's pair.
        dataset: (usize, usize),
    },
}

impl Model {
    /// Checks that the model was trained on `data`'s classes (names, in order) and pair; run
    /// it when a model and a dataset are loaded together.
    pub fn check_dataset(&self, data: &Dataset) -> Result<(), Mismatch> {
        let names = |c: &[ClassInfo]| c.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        if self.classes.len() != data.classes.len()
            || self
                .classes
                .iter()
                .zip(&data.classes)
                .any(|(a, b)| a.name != b.name)
        {
            return Err(Mismatch::Classes {
                model: names(&self.classes),
                dataset: names(&data.classes),
            });
        }
        if data.pair != self.pair {
            return Err(Mismatch::Pair {
                model: self.pair,
                dataset: data.pair,
            });
        }
        Ok(())
    }

    /// Classifies one hit's `descriptor` ([`DESCRIPTOR_LEN`] values) into `out`. Never
    /// allocates, never panics; a descriptor of the wrong length or with non-finite values
    /// gives an unknown prediction with novelty [`f32::MAX`] and all probabilities 0.
    pub fn classify(&self, descriptor: &[f32], out: &mut Prediction) {
        self.classify_at(descriptor, self.unknown_threshold, out);
    }

    /// [`Self::classify`] with `threshold` as the novelty threshold the ignore discriminant's
    /// gate follows ([`ignore::GATE`] × `threshold`; the unknown rule is the trained one).
    fn classify_at(&self, descriptor: &[f32], threshold: f32, out: &mut Prediction) {
        *out = Prediction {
            class_count: self.classes.len() as u8,
            ..Prediction::default()
        };
        if descriptor.len() != DESCRIPTOR_LEN || !descriptor.iter().all(|v| v.is_finite()) {
            return;
        }
        let mut z = [0.0f32; DESCRIPTOR_LEN];
        self.scaler.transform(descriptor, &mut z);
        let mut y = [0.0f32; MAX_COMPONENTS];
        let m = self.pca.components();
        self.pca.project(&z, &mut y[..m]);
        let k = self.drum.len();
        let mut scores = [0.0f32; MAX_CLASSES];
        self.classifier.scores(&y[..m], &mut scores[..k]);
        let mut p = [0.0f32; MAX_CLASSES];
        softmax(&scores[..k], self.temperature, &mut p[..k]);
        let mut best = 0;
        for (i, (&pi, &c)) in p[..k].iter().zip(&self.drum).enumerate() {
            out.probabilities[c as usize] = pi;
            if pi > p[best] {
                best = i;
            }
        }
        out.best_class = self.drum[best];
        out.confidence = p[best];
        out.novelty = match &self.novelty {
            NoveltyScorer::V1(n) => n.score(&z, &y[..m]),
            NoveltyScorer::Region(n) => n.score(&z),
            NoveltyScorer::Box(n) => {
                let j = n.judge(&z, self.hat_width);
                // Nearer to the bleed than to the drum, or not well inside the drum and the
                // discriminant says bleed: all of it goes to that ignore class.
                let bleed = j.ignore.or_else(|| {
                    self.ignore_rule
                        .as_ref()
                        .filter(|_| j.novelty > ignore::GATE * threshold)
                        .and_then(|rule| rule.ignored(&z))
                });
                if let Some(c) = bleed {
                    let c = self.trained[c as usize];
                    out.near_ignore = true;
                    out.probabilities = [0.0; MAX_CLASSES];
                    out.probabilities[c as usize] = 1.0;
                    out.best_class = c;
                    out.confidence = 1.0;
                }
                j.novelty
            }
        };
        out.best_is_ignore = self.classes[out.best_class as usize].ignore;
        out.set_known(out.novelty <= self.unknown_threshold);
        out.interpolation = self.interpolation.value(descriptor);
    }

    /// Classifies one hit as [`Self::classify`] does, then applies the unknown rule with the
    /// user's scale of the threshold: the hit is known when its novelty is at most
    /// [`Self::unknown_threshold`] × `unknown_scale` (a factor, 1 = the trained threshold;
    /// larger accepts more hits), and [`Prediction::set_known`] sets `best` and `ignored`. The
    /// ignore discriminant's gate follows the scaled threshold too. Never allocates; a NaN scale
    /// makes every hit unknown.
    pub fn classify_scaled(&self, descriptor: &[f32], unknown_scale: f32, out: &mut Prediction) {
        let threshold = self.unknown_threshold * unknown_scale;
        self.classify_at(descriptor, threshold, out);
        out.set_known(out.novelty <= threshold);
    }

    /// Classifies one of the analyzer's hits as [`Self::classify_scaled`] does, then sends a
    /// hit it gave to a class of the drum as unknown ([`Prediction::no_new_stroke`]) when its
    /// body band rose less than `new_stroke` asks over what sounded before it
    /// ([`HitRecord::body_rise_db`]): a hat, ride or crash over the drum's ringing, or a
    /// retrigger on it. Unknown and ignored hits stay as they are. Never allocates.
    pub fn classify_hit(
        &self,
        hit: &HitRecord,
        unknown_scale: f32,
        new_stroke: NewStroke,
        out: &mut Prediction,
    ) {
        self.classify_scaled(&hit.descriptor, unknown_scale, out);
        let new_stroke_db = new_stroke.min_rise_db(self.has_ignore_class());
        // A NaN rise is no new stroke. Only a hit the drum's classes would have taken is
        // changed (and marked): an unknown or ignored sound stays what it was.
        out.no_new_stroke = out.best.is_some()
            && !matches!(
                hit.body_rise_db.partial_cmp(&new_stroke_db),
                Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)
            );
        if out.no_new_stroke {
            out.best = None;
        }
    }

    /// Whether one of the model's classes is an ignore class.
    pub fn has_ignore_class(&self) -> bool {
        self.classes.iter().any(|c| c.ignore)
    }

    /// The classes the model was trained with (names, colours, anchors), indexed like
    /// [`Prediction::probabilities`].
    pub fn classes(&self) -> &[ClassInfo] {
        &self.classes
    }

    /// The interpolation pair (A, B).
    pub fn pair(&self) -> (usize, usize) {
        self.pair
    }

    /// Dataset indices of the classes that had enough examples to be trained.
    pub fn trained_classes(&self) -> impl Iterator<Item = usize> + '_ {
        self.trained.iter().map(|&c| c as usize)
    }

    /// The classifier in use (never [`ModelKind::Auto`]).
    pub fn kind(&self) -> ModelKind {
        self.classifier.kind()
    }

    /// Novelty above which a hit is unknown.
    pub fn unknown_threshold(&self) -> f32 {
        self.unknown_threshold
    }

    /// Sets the novelty threshold (> 0, finite; other values are ignored).
    pub fn set_unknown_threshold(&mut self, threshold: f32) {
        if threshold > 0.0 && threshold.is_finite() {
            self.unknown_threshold = threshold;
        }
    }

    /// The fitted softmax temperature.
    pub fn temperature(&self) -> f32 {
        self.temperature
    }

    /// What training found.
    pub fn report(&self) -> &TrainReport {
        &self.report
    }

    /// Doubtful training examples, by dataset index, and whether training left them out.
    pub fn doubtful(&self) -> &[Doubt] {
        &self.doubtful
    }

    /// The novelty scorer.
    pub fn novelty(&self) -> &NoveltyScorer {
        &self.novelty
    }

    /// The discriminant between the drum and its ignore classes, if the model has one (format 5,
    /// trained with an ignore class).
    pub fn ignore_discriminant(&self) -> Option<&IgnoreDiscriminant> {
        self.ignore_rule.as_ref()
    }

    /// The interpolation map.
    pub fn interpolator(&self) -> &Interpolator {
        &self.interpolation
    }

    /// A format-3 or format-4 model read from JSON (today's fields, no ignore discriminant; it
    /// scores as it did) as today's format; other versions unchanged.
    pub(crate) fn upgraded_from_format_4(mut self) -> Self {
        if (3..=4).contains(&self.format_version) {
            self.format_version = MODEL_FORMAT_VERSION;
        }
        self
    }

    /// The format version this model was written with.
    pub fn format_version(&self) -> u32 {
        self.format_version
    }

    /// The descriptor layout this model expects.
    pub fn layout_version(&self) -> u32 {
        self.layout_version
    }

    /// Checks versions, every internal dimension and every value, so that a decoded model can
    /// be used: after `validate()` succeeds, [`Self::classify`] cannot panic.
    pub fn validate(&self) -> Result<(), LearnError> {
        if self.format_version != MODEL_FORMAT_VERSION {
            return Err(LearnError::FormatVersion {
                found: self.format_version,
                expected: MODEL_FORMAT_VERSION,
            });
        }
        if self.layout_version != LAYOUT_VERSION {
            return Err(LearnError::LayoutVersion {
                found: self.layout_version,
                expected: LAYOUT_VERSION,
            });
        }
        let n = self.classes.len();
        if !(2..=MAX_CLASSES).contains(&n) {
            return Err(LearnError::Corrupt(format!("{n} classes")));
        }
        let (a, b) = self.pair;
        if a == b || a >= n || b >= n {
            return Err(LearnError::BadPair { a, b, count: n });
        }
        let k = self.trained.len();
        if k < 2
            || self.trained.windows(2).any(|w| w[0] >= w[1])
            || self.trained.iter().any(|&c| c as usize >= n)
        {
            return Err(LearnError::Corrupt(format!(
                "trained classes {:?} of {n}",
                self.trained
            )));
        }
        let drum = self.drum.len();
        if drum < 2
            || self.drum.windows(2).any(|w| w[0] >= w[1])
            || self.drum.iter().any(|c| !self.trained.contains(c))
            || self.drum.iter().any(|&c| self.classes[c as usize].ignore)
            || self
                .trained
                .iter()
                .any(|c| !self.drum.contains(c) && !self.classes[*c as usize].ignore)
        {
            return Err(LearnError::Corrupt(format!(
                "classifier classes {:?} of trained {:?}",
                self.drum, self.trained
            )));
        }
        self.scaler.validate(DESCRIPTOR_LEN)?;
        self.pca.validate(DESCRIPTOR_LEN)?;
        let m = self.pca.components();
        self.classifier.validate(m, drum)?;
        if !(self.temperature > 0.0 && self.temperature.is_finite()) {
            return Err(LearnError::Corrupt(format!(
                "temperature {}",
                self.temperature
            )));
        }
        match &self.novelty {
            NoveltyScorer::V1(n) => n.validate(DESCRIPTOR_LEN, m, k)?,
            NoveltyScorer::Region(n) => n.validate(DESCRIPTOR_LEN, k)?,
            NoveltyScorer::Box(n) => n.validate(DESCRIPTOR_LEN, k)?,
        }
        if !(self.hat_width > 0.0 && self.hat_width <= 1.0) {
            return Err(LearnError::Corrupt(format!(
                "hat segment width {}",
                self.hat_width
            )));
        }
        if let Some(rule) = &self.ignore_rule {
            let ignore: Vec<bool> = self
                .trained
                .iter()
                .map(|&c| self.classes[c as usize].ignore)
                .collect();
            rule.validate(DESCRIPTOR_LEN, &ignore)
                .map_err(LearnError::Corrupt)?;
        }
        if !(self.unknown_threshold > 0.0 && self.unknown_threshold.is_finite()) {
            return Err(LearnError::Corrupt(format!(
                "unknown threshold {}",
                self.unknown_threshold
            )));
        }
        self.interpolation.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::dataset_of_size;
    use crate::model::{train, ModelKind, TrainConfig};

    #[test]
    fn classify_scaled_applies_the_users_threshold_scale() {
        let data = dataset_of_size(40, 3);
        let cfg = TrainConfig {
            kind: ModelKind::Lda,
            ..TrainConfig::default()
        };
        let model = train(&data, &cfg).unwrap();
        let (mut plain, mut scaled) = (Prediction::default(), Prediction::default());
        let mut known = 0;
        for e in &data.examples {
            model.classify(&e.descriptor, &mut plain);
            // Scale 1 is the model's own rule.
            model.classify_scaled(&e.descriptor, 1.0, &mut scaled);
            assert_eq!(plain, scaled);
            // A scale that puts the threshold just below or above this hit's novelty.
            let at = plain.novelty / model.unknown_threshold();
            model.classify_scaled(&e.descriptor, at * 0.99, &mut scaled);
            assert!(scaled.is_unknown() && scaled.best.is_none(), "{scaled:?}");
            assert_eq!(scaled.best_class, plain.best_class);
            model.classify_scaled(&e.descriptor, at * 1.01, &mut scaled);
            assert_eq!(scaled.best, Some(plain.best_class));
            known += plain.best.is_some() as usize;
        }
        assert!(known > 0, "no known hit among the training hits");
        // Bad input stays unknown at any scale.
        model.classify_scaled(&[f32::NAN; DESCRIPTOR_LEN], 1e30, &mut scaled);
        assert!(scaled.is_unknown());
        assert_eq!(scaled.novelty, f32::MAX);
    }
}
