//! Training and inference: [`train`] turns a [`Dataset`] into a [`Model`] that classifies one
//! hit without allocating.
//!
//! Pipeline: standardise the descriptors ([`Scaler`]) → project on the leading principal axes
//! ([`Pca`], label-free, fitted on all training hits) → classifier ([`Knn`], [`Mlp`] or [`Lda`])
//! → temperature-scaled softmax (temperature fitted on stratified k-fold out-of-fold scores).
//! Novelty ([`Novelty`]) works on the full standardised descriptor, the interpolation
//! ([`Interpolator`]) on the raw timbre block.

use crate::calibration::{self, softmax, softmax_f64};
use crate::dataset::{ClassInfo, Dataset};
use crate::doubt::{self, Doubt, Reason};
use crate::error::LearnError;
use crate::interpolation::Interpolator;
use crate::knn::{Knn, MAX_K};
use crate::lda::Lda;
use crate::migrate::{self, ClassInfoV2};
use crate::mlp::{Mlp, MlpConfig};
use crate::novelty::v1::NoveltyV1;
use crate::novelty::v2::NoveltyV2;
use crate::novelty::Novelty;
use crate::pca::{Pca, MAX_COMPONENTS};
use crate::scaler::Scaler;
use crate::{DESCRIPTOR_LEN, LAYOUT_VERSION, MAX_CLASSES, MIN_EXAMPLES, MODEL_FORMAT_VERSION};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Which classifier a model uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ModelKind {
    /// Pick the one with the lowest cross-validated log-loss after calibration (near-ties, see
    /// [`AUTO_TIE_NATS`], go to LDA, then kNN, then MLP).
    #[default]
    Auto,
    /// Distance-weighted k-nearest neighbours.
    Knn,
    /// One-hidden-layer perceptron.
    Mlp,
    /// Shrinkage linear discriminant (shared-covariance Gaussian).
    Lda,
}

/// Training hyper-parameters. [`TrainConfig::default`] suits 20–100 hits per class.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Classifier, or [`ModelKind::Auto`].
    pub kind: ModelKind,
    /// Seed of every random choice (folds, MLP initialisation and batches).
    pub seed: u64,
    /// kNN: neighbours that vote (1..=[`MAX_K`]).
    pub k: usize,
    /// kNN: vote smoothing (0..=1), see [`Knn::smoothing`].
    pub knn_smoothing: f32,
    /// Principal components kept for the classifiers (1..=[`MAX_COMPONENTS`]; also at most
    /// examples − 1).
    pub pca_dims: usize,
    /// LDA classifier shrinkage (0..=1), `None` for Ledoit–Wolf.
    pub lda_shrinkage: Option<f64>,
    /// MLP hyper-parameters.
    pub mlp: MlpConfig,
    /// Folds for calibration and model choice (2..=20; at most the smallest class's count).
    pub cv_folds: usize,
    /// Quantile (0.5..1) of a class's leave-one-out distances that scales its novelty.
    pub novelty_quantile: f64,
    /// Novelty above which a hit is unknown (> 0); `None` picks it from the training data.
    pub unknown_threshold: Option<f32>,
    /// Interpolation LDA shrinkage (0..=1), `None` for Ledoit–Wolf.
    pub interpolation_shrinkage: Option<f64>,
    /// Whether the hit's energy is regressed out of the timbre features for interpolation.
    pub regress_energy: bool,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            kind: ModelKind::Auto,
            seed: 0x7153_b3e1,
            k: 5,
            knn_smoothing: 0.05,
            pca_dims: 32,
            lda_shrinkage: None,
            mlp: MlpConfig::default(),
            cv_folds: 5,
            novelty_quantile: 0.9,
            unknown_threshold: None,
            interpolation_shrinkage: None,
            regress_energy: true,
        }
    }
}

impl TrainConfig {
    /// Checks every hyper-parameter's range.
    pub fn validate(&self) -> Result<(), LearnError> {
        let bad = |name, value: f64, expected| {
            Err(LearnError::HyperParameter {
                name,
                value,
                expected,
            })
        };
        if !(1..=MAX_K).contains(&self.k) {
            return bad("k", self.k as f64, "1..=32");
        }
        if !(0.0..=1.0).contains(&self.knn_smoothing) {
            return bad("knn_smoothing", self.knn_smoothing as f64, "0..=1");
        }
        if !(1..=MAX_COMPONENTS).contains(&self.pca_dims) {
            return bad("pca_dims", self.pca_dims as f64, "1..=64");
        }
        for (name, s) in [
            ("lda_shrinkage", self.lda_shrinkage),
            ("interpolation_shrinkage", self.interpolation_shrinkage),
        ] {
            if let Some(s) = s {
                if !(0.0..=1.0).contains(&s) {
                    return bad(name, s, "0..=1");
                }
            }
        }
        if !(2..=20).contains(&self.cv_folds) {
            return bad("cv_folds", self.cv_folds as f64, "2..=20");
        }
        if !(0.5..1.0).contains(&self.novelty_quantile) {
            return bad("novelty_quantile", self.novelty_quantile, "0.5 <= q < 1");
        }
        if let Some(t) = self.unknown_threshold {
            if !(t > 0.0 && t.is_finite()) {
                return bad("unknown_threshold", t as f64, "> 0");
            }
        }
        self.mlp.validate()
    }
}

/// Cross-validated scores of one classifier.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CandidateScore {
    /// The classifier.
    pub kind: ModelKind,
    /// Out-of-fold log-loss after calibration, in nats.
    pub log_loss: f64,
    /// Out-of-fold accuracy, 0..1.
    pub accuracy: f64,
    /// Out-of-fold expected calibration error after calibration (10 bins), 0..1.
    pub ece: f64,
    /// Fitted softmax temperature (> 0).
    pub temperature: f64,
}

/// What training found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainReport {
    /// The classifier used.
    pub kind: ModelKind,
    /// Scores of every classifier tried (one unless [`ModelKind::Auto`]).
    pub candidates: Vec<CandidateScore>,
    /// Folds used for calibration.
    pub cv_folds: usize,
    /// Examples trained on.
    pub examples: usize,
    /// Principal components used.
    pub components: usize,
    /// Novelty threshold in use.
    pub unknown_threshold: f32,
    /// Fraction of the drum's (not ignore classes') training examples whose leave-one-out
    /// novelty exceeds the threshold (0..1).
    pub loo_rejection: f64,
    /// Shrinkage intensity of the interpolation direction (0..=1).
    pub interpolation_shrinkage: f32,
}

impl TrainReport {
    /// Scores of the classifier used.
    pub fn chosen(&self) -> &CandidateScore {
        self.candidates
            .iter()
            .find(|c| c.kind == self.kind)
            .unwrap_or(&self.candidates[0])
    }
}

/// The result of classifying one hit. Plain fixed-size data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction {
    /// Probability of each class (indexed like the model's classes; 0 for classes without
    /// enough examples and beyond `class_count`); they sum to 1 (0..1 each).
    pub probabilities: [f32; MAX_CLASSES],
    /// Number of classes of the model.
    pub class_count: u8,
    /// The most probable class, or `None` when the hit is unknown (novelty above threshold) or
    /// ignored (its most probable class is an ignore class, see [`Self::ignored`]).
    pub best: Option<u8>,
    /// Whether the hit is known and its most probable class is an "ignore" class
    /// ([`crate::ClassInfo::ignore`]): it sends no note, CC or output.
    pub ignored: bool,
    /// Whether `best_class` is an ignore class (whether or not the hit is known).
    pub best_is_ignore: bool,
    /// Whether the hit is nearer to an example of an ignore class than to the drum's classes
    /// (then `best_class` is that ignore class and the hit is ignored at any threshold).
    pub near_ignore: bool,
    /// The most probable class even when unknown.
    pub best_class: u8,
    /// Probability of `best_class` (0..1).
    pub confidence: f32,
    /// Distance to the nearest class relative to the class's own spread (≥ 0; ≈ 1 at the edge
    /// of a class's hits). [`f32::MAX`] for invalid input.
    pub novelty: f32,
    /// Position between the pair's classes: 0 = A, 1 = B (clamped 0..=1).
    pub interpolation: f32,
}

impl Default for Prediction {
    fn default() -> Self {
        Self {
            probabilities: [0.0; MAX_CLASSES],
            class_count: 0,
            best: None,
            ignored: false,
            best_is_ignore: false,
            near_ignore: false,
            best_class: 0,
            confidence: 0.0,
            novelty: f32::MAX,
            interpolation: 0.5,
        }
    }
}

impl Prediction {
    /// Whether the hit resembles no trained class.
    pub fn is_unknown(&self) -> bool {
        self.best.is_none() && !self.ignored
    }

    /// Sets [`Self::best`] and [`Self::ignored`] for a hit that is `known` (its novelty within
    /// the threshold in force) or not.
    pub fn set_known(&mut self, known: bool) {
        self.ignored = self.near_ignore || (known && self.best_is_ignore);
        self.best = (known && !self.best_is_ignore).then_some(self.best_class);
    }
}

/// The fitted classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Classifier {
    /// See [`Knn`].
    Knn(Knn),
    /// See [`Mlp`].
    Mlp(Mlp),
    /// See [`Lda`].
    Lda(Lda),
}

impl Classifier {
    #[inline]
    fn scores(&self, y: &[f32], out: &mut [f32]) {
        match self {
            Classifier::Knn(m) => m.log_probs(y, out),
            Classifier::Mlp(m) => m.logits(y, out),
            Classifier::Lda(m) => m.logits(y, out),
        }
    }

    fn kind(&self) -> ModelKind {
        match self {
            Classifier::Knn(_) => ModelKind::Knn,
            Classifier::Mlp(_) => ModelKind::Mlp,
            Classifier::Lda(_) => ModelKind::Lda,
        }
    }

    fn fit(
        kind: ModelKind,
        rows: &[Vec<f64>],
        labels: &[usize],
        classes: usize,
        cfg: &TrainConfig,
        seed: u64,
    ) -> Self {
        match kind {
            ModelKind::Knn => {
                Classifier::Knn(Knn::fit(rows, labels, classes, cfg.k, cfg.knn_smoothing))
            }
            ModelKind::Mlp => Classifier::Mlp(Mlp::fit(rows, labels, classes, &cfg.mlp, seed)),
            ModelKind::Lda | ModelKind::Auto => {
                Classifier::Lda(Lda::fit(rows, labels, classes, cfg.lda_shrinkage))
            }
        }
    }

    fn scores_f64(&self, y: &[f64], classes: usize) -> Vec<f64> {
        let y32: Vec<f32> = y.iter().map(|&v| v as f32).collect();
        let mut out = [0.0f32; MAX_CLASSES];
        self.scores(&y32, &mut out);
        out[..classes].iter().map(|&v| v as f64).collect()
    }
}

/// A trained model: everything needed to classify a hit, plus what it was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    format_version: u32,
    layout_version: u32,
    classes: Vec<ClassInfo>,
    pair: (usize, usize),
    /// Dataset class index of each compact (trained) class.
    trained: Vec<u8>,
    /// Dataset class index of each of the classifier's classes: the trained classes that are
    /// not ignore classes.
    drum: Vec<u8>,
    scaler: Scaler,
    pca: Pca,
    classifier: Classifier,
    temperature: f32,
    novelty: NoveltyScorer,
    unknown_threshold: f32,
    interpolation: Interpolator,
    report: TrainReport,
    /// Doubtful training examples (indices into the dataset trained on), see [`crate::doubt`].
    doubtful: Vec<Doubt>,
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

/// A model of format 2, as serialised: classes without the ignore flag, no separate
/// classifier classes (every trained class was one).
#[derive(Debug, Deserialize)]
pub struct ModelV2 {
    format_version: u32,
    layout_version: u32,
    classes: Vec<ClassInfoV2>,
    pair: (usize, usize),
    trained: Vec<u8>,
    scaler: Scaler,
    pca: Pca,
    classifier: Classifier,
    temperature: f32,
    novelty: NoveltyScorer,
    unknown_threshold: f32,
    interpolation: Interpolator,
    report: TrainReport,
    doubtful: Vec<Doubt>,
}

impl ModelV2 {
    /// The format version it was stored with.
    pub fn format_version(&self) -> u32 {
        self.format_version
    }

    /// The current model, scoring as format 2 did (validate it before use). A version other
    /// than 2 is kept, so that [`Model::validate`] names it.
    pub fn migrate(self) -> Model {
        Model {
            format_version: if self.format_version == 2 {
                MODEL_FORMAT_VERSION
            } else {
                self.format_version
            },
            layout_version: self.layout_version,
            classes: migrate::classes(self.classes),
            pair: self.pair,
            drum: self.trained.clone(),
            trained: self.trained,
            scaler: self.scaler,
            pca: self.pca,
            classifier: self.classifier,
            temperature: self.temperature,
            novelty: self.novelty,
            unknown_threshold: self.unknown_threshold,
            interpolation: self.interpolation,
            report: self.report,
            doubtful: self.doubtful,
        }
    }
}

/// A model of format 1, as serialised (the same fields, format 1's novelty scorer).
#[derive(Debug, Deserialize)]
pub struct ModelV1 {
    format_version: u32,
    layout_version: u32,
    classes: Vec<ClassInfoV2>,
    pair: (usize, usize),
    trained: Vec<u8>,
    scaler: Scaler,
    pca: Pca,
    classifier: Classifier,
    temperature: f32,
    novelty: NoveltyV1,
    unknown_threshold: f32,
    interpolation: Interpolator,
    report: TrainReport,
}

impl ModelV1 {
    /// The format version it was stored with.
    pub fn format_version(&self) -> u32 {
        self.format_version
    }

    /// The current model, scoring novelty as format 1 did (validate it before use). A version
    /// other than 1 is kept, so that [`Model::validate`] names it.
    pub fn migrate(self) -> Model {
        Model {
            format_version: if self.format_version == 1 {
                MODEL_FORMAT_VERSION
            } else {
                self.format_version
            },
            layout_version: self.layout_version,
            classes: migrate::classes(self.classes),
            pair: self.pair,
            drum: self.trained.clone(),
            trained: self.trained,
            scaler: self.scaler,
            pca: self.pca,
            classifier: self.classifier,
            temperature: self.temperature,
            novelty: NoveltyScorer::V1(self.novelty),
            unknown_threshold: self.unknown_threshold,
            interpolation: self.interpolation,
            report: self.report,
            doubtful: Vec::new(),
        }
    }
}

/// Seeded stratified fold assignment: `fold[i]` in `0..folds`.
pub(crate) fn stratified_folds(
    labels: &[usize],
    classes: usize,
    folds: usize,
    seed: u64,
) -> Vec<usize> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut fold = vec![0; labels.len()];
    let mut offset = 0;
    for c in 0..classes {
        let mut idx: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == c).collect();
        rng.shuffle(&mut idx);
        for (k, &i) in idx.iter().enumerate() {
            fold[i] = (k + offset) % folds;
        }
        offset += idx.len();
    }
    fold
}

/// Derives a sub-seed (SplitMix64 step), so every random use has its own stream.
pub(crate) fn derive(seed: u64, k: u64) -> u64 {
    let mut z = seed.wrapping_add(k.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// [`ModelKind::Auto`]: candidates whose cross-validated log-loss is within this many nats of
/// the best count as tied, and the first of LDA, kNN, MLP among them wins.
pub const AUTO_TIE_NATS: f64 = 0.02;
/// Lower bound of the automatic unknown threshold.
pub const MIN_AUTO_THRESHOLD: f32 = 1.25;
/// The automatic threshold is [`AUTO_THRESHOLD_FACTOR`] times this quantile of the training
/// hits' leave-one-out novelty (never below [`MIN_AUTO_THRESHOLD`]).
///
/// NOTE: a central quantile, not the 99th percentile: with 40–100 hits the 99th percentile is
/// the one or two worst hits (soft hits under loud bleed), so it and the threshold swung with
/// the draw (1.1–1.9 on seeded synthetic sets), and a floor of 2.0 let cymbals and noise bursts
/// (novelty 1.4–2.0) through. Chosen on held-out synthetic seeds (not the goal test's), by
/// cross-validated novelty: 1.5 × the 90th percentile kept rejection of held-out snare hits at
/// 0.5 % and rejected 96–100 % of other sounds.
pub const AUTO_THRESHOLD_QUANTILE: f64 = 0.9;
/// See [`AUTO_THRESHOLD_QUANTILE`].
pub const AUTO_THRESHOLD_FACTOR: f32 = 1.5;

/// The training set reduced to trained classes.
pub(crate) struct Prepared {
    pub trained: Vec<u8>,
    pub rows: Vec<usize>,
    pub labels: Vec<usize>,
}

pub(crate) fn prepare(data: &Dataset) -> Result<Prepared, LearnError> {
    data.validate()?;
    let counts = data.counts();
    let trained: Vec<u8> = (0..data.classes.len())
        .filter(|&c| counts[c] >= MIN_EXAMPLES)
        .map(|c| c as u8)
        .collect();
    if trained.len() < 2 {
        return Err(LearnError::NotEnoughClasses {
            trained: trained.len(),
            min: MIN_EXAMPLES,
        });
    }
    for c in [data.pair.0, data.pair.1] {
        if counts[c] < MIN_EXAMPLES {
            return Err(LearnError::PairUntrained {
                name: data.classes[c].name.clone(),
                examples: counts[c],
                min: MIN_EXAMPLES,
            });
        }
    }
    let mut compact = [usize::MAX; MAX_CLASSES];
    for (k, &c) in trained.iter().enumerate() {
        compact[c as usize] = k;
    }
    let rows: Vec<usize> = (0..data.examples.len())
        .filter(|&i| compact[data.examples[i].class] != usize::MAX)
        .collect();
    let labels = rows
        .iter()
        .map(|&i| compact[data.examples[i].class])
        .collect();
    Ok(Prepared {
        trained,
        rows,
        labels,
    })
}

/// Trains a model on `data`. Deterministic for a dataset and `cfg.seed`. Takes milliseconds
/// for kNN/LDA and up to about a second for the MLP or `Auto`: run it off the audio thread.
///
/// Classes with fewer than [`MIN_EXAMPLES`] examples are left out (probability 0); at least two
/// classes, including both pair classes, must have enough.
pub fn train(data: &Dataset, cfg: &TrainConfig) -> Result<Model, LearnError> {
    cfg.validate()?;
    let doubts = find_doubts(data, cfg)?;
    if doubts.iter().all(|d| !d.left_out) {
        let mut model = fit(data, cfg)?;
        model.doubtful = doubts;
        return Ok(model);
    }
    let mut clean = data.clone();
    let mut k = 0;
    clean.examples.retain(|_| {
        k += 1;
        !doubts.iter().any(|d| d.left_out && d.index == k - 1)
    });
    let mut model = fit(&clean, cfg)?;
    model.doubtful = doubts;
    Ok(model)
}

/// Flags doubtful examples ([`crate::doubt`]): timing from `time_s` and `level_dbfs`, sound
/// from a first novelty fit on every example; marks which are left out of training (the most
/// doubtful first, at most [`doubt::MAX_LEFT_OUT`] of a class and never below
/// [`MIN_EXAMPLES`]).
pub fn find_doubts(data: &Dataset, cfg: &TrainConfig) -> Result<Vec<Doubt>, LearnError> {
    let prep = prepare(data)?;
    let times: Vec<f64> = prep.rows.iter().map(|&i| data.examples[i].time_s).collect();
    let levels: Vec<f32> = prep
        .rows
        .iter()
        .map(|&i| data.examples[i].level_dbfs)
        .collect();
    // (row, reason, severity): timing doubts rank above sound doubts.
    let mut found: Vec<(usize, Reason, f32)> = doubt::timing(&times, &levels)
        .into_iter()
        .map(|(r, reason)| (r, reason, f32::INFINITY))
        .collect();
    let descs: Vec<&[f32]> = prep
        .rows
        .iter()
        .map(|&i| data.examples[i].descriptor.as_slice())
        .collect();
    let scaler = Scaler::fit(&descs);
    let z: Vec<Vec<f64>> = descs.iter().map(|x| scaler.transform_f64(x)).collect();
    let classes = prep.trained.len();
    let ignore: Vec<bool> = prep
        .trained
        .iter()
        .map(|&c| data.classes[c as usize].ignore)
        .collect();
    let novelty = Novelty::fit(&z, &prep.labels, &ignore, cfg.novelty_quantile);
    let class_distance = |z: &[f32], c: usize| novelty.class_distance(z, c);
    let limit = doubt::UNLIKE_FACTOR
        * novelty
            .loo_quantile(AUTO_THRESHOLD_QUANTILE, &prep.labels)
            .max(1.0);
    for (r, zr) in z.iter().enumerate() {
        if found.iter().any(|f| f.0 == r) {
            continue;
        }
        let zf: Vec<f32> = zr.iter().map(|&v| v as f32).collect();
        let own = prep.labels[r];
        let own_d = class_distance(&zf, own);
        let other = (0..classes)
            .filter(|&c| c != own && !ignore[c])
            .map(|c| (c, class_distance(&zf, c)))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        match other {
            Some((c, d)) if d < own_d => found.push((
                r,
                Reason::LikeOther {
                    class: prep.trained[c] as usize,
                },
                own_d,
            )),
            // NOTE: an ignore class gathers unlike sounds on purpose (the rest of the kit).
            _ if own_d > limit && !data.classes[prep.trained[own] as usize].ignore => {
                found.push((r, Reason::Unlike { novelty: own_d }, own_d))
            }
            _ => {}
        }
    }
    found.sort_by(|a, b| b.2.total_cmp(&a.2));
    let mut left = vec![0usize; classes];
    let counts: Vec<usize> = (0..classes)
        .map(|c| prep.labels.iter().filter(|&&l| l == c).count())
        .collect();
    let mut doubts: Vec<Doubt> = found
        .into_iter()
        .map(|(r, reason, _)| {
            let c = prep.labels[r];
            let room = ((counts[c] as f64 * doubt::MAX_LEFT_OUT).floor() as usize)
                .min(counts[c].saturating_sub(MIN_EXAMPLES.max(3)));
            let left_out = left[c] < room;
            left[c] += left_out as usize;
            Doubt {
                index: prep.rows[r],
                reason,
                left_out,
            }
        })
        .collect();
    doubts.sort_by_key(|d| d.index);
    Ok(doubts)
}

/// Fits every part of a model on all of `data`'s examples of trained classes.
fn fit(data: &Dataset, cfg: &TrainConfig) -> Result<Model, LearnError> {
    let prep = prepare(data)?;
    let classes = prep.trained.len();
    let descs: Vec<&[f32]> = prep
        .rows
        .iter()
        .map(|&i| data.examples[i].descriptor.as_slice())
        .collect();
    let all_labels = &prep.labels;
    let examples = descs.len();
    // The classifier knows the drum's classes only; ignore classes are a set of other sounds,
    // handled by the novelty scorer (nearest ignore example against the drum's region).
    let ignore: Vec<bool> = prep
        .trained
        .iter()
        .map(|&c| data.classes[c as usize].ignore)
        .collect();
    let drum_compact: Vec<usize> = (0..classes).filter(|&c| !ignore[c]).collect();
    let mut to_drum = vec![usize::MAX; classes];
    for (k, &c) in drum_compact.iter().enumerate() {
        to_drum[c] = k;
    }
    let drum: Vec<u8> = drum_compact.iter().map(|&c| prep.trained[c]).collect();
    let drum_rows: Vec<usize> = (0..examples).filter(|&i| !ignore[all_labels[i]]).collect();
    let drum_descs: Vec<&[f32]> = drum_rows.iter().map(|&i| descs[i]).collect();

    let scaler = Scaler::fit(&drum_descs);
    let z: Vec<Vec<f64>> = descs.iter().map(|x| scaler.transform_f64(x)).collect();
    let n = drum_rows.len();
    let drum_z: Vec<Vec<f64>> = drum_rows.iter().map(|&i| z[i].clone()).collect();
    let pca = Pca::fit(&drum_z, cfg.pca_dims.min(n - 1));
    let y: Vec<Vec<f64>> = drum_z.iter().map(|r| pca.project_f64(r)).collect();
    let drum_labels: Vec<usize> = drum_rows.iter().map(|&i| to_drum[all_labels[i]]).collect();
    let labels = &drum_labels;
    let classes = drum.len();

    // Out-of-fold scores for calibration and model choice.
    let min_count = (0..classes)
        .map(|c| labels.iter().filter(|&&l| l == c).count())
        .min()
        .unwrap_or(0);
    let folds = cfg.cv_folds.min(min_count).max(2);
    let fold = stratified_folds(labels, classes, folds, derive(cfg.seed, 1));
    let kinds: &[ModelKind] = match cfg.kind {
        ModelKind::Auto => &[ModelKind::Lda, ModelKind::Knn, ModelKind::Mlp],
        ModelKind::Knn => &[ModelKind::Knn],
        ModelKind::Mlp => &[ModelKind::Mlp],
        ModelKind::Lda => &[ModelKind::Lda],
    };
    let mut candidates = Vec::new();
    for &kind in kinds {
        let mut oof = vec![Vec::new(); n];
        for f in 0..folds {
            let tr: Vec<usize> = (0..n).filter(|&i| fold[i] != f).collect();
            let rows: Vec<Vec<f64>> = tr.iter().map(|&i| y[i].clone()).collect();
            let labs: Vec<usize> = tr.iter().map(|&i| labels[i]).collect();
            let m = Classifier::fit(
                kind,
                &rows,
                &labs,
                classes,
                cfg,
                derive(cfg.seed, 100 + f as u64),
            );
            for i in (0..n).filter(|&i| fold[i] == f) {
                oof[i] = m.scores_f64(&y[i], classes);
            }
        }
        let t = calibration::fit_temperature(&oof, labels);
        let probs: Vec<Vec<f64>> = oof.iter().map(|l| softmax_f64(l, t)).collect();
        candidates.push(CandidateScore {
            kind,
            log_loss: calibration::log_loss(&probs, labels),
            accuracy: calibration::accuracy(&probs, labels),
            ece: calibration::ece(&probs, labels, 10),
            temperature: t,
        });
    }
    // Near-ties go to the first candidate (LDA, then kNN, then MLP): on well separated classes
    // every classifier reaches about the same log-loss, and LDA's probabilities fall off
    // gradually between the classes where kNN votes stay near 0 or 1.
    let lowest = candidates
        .iter()
        .map(|c| c.log_loss)
        .fold(f64::INFINITY, f64::min);
    let best = *candidates
        .iter()
        .find(|c| c.log_loss <= lowest + AUTO_TIE_NATS)
        .expect("at least one candidate");
    let classifier = Classifier::fit(best.kind, &y, labels, classes, cfg, derive(cfg.seed, 2));

    // Novelty.
    let labels = all_labels;
    let novelty = Novelty::fit(&z, labels, &ignore, cfg.novelty_quantile);
    let unknown_threshold = cfg.unknown_threshold.unwrap_or_else(|| {
        (AUTO_THRESHOLD_FACTOR * novelty.loo_quantile(AUTO_THRESHOLD_QUANTILE, labels))
            .max(MIN_AUTO_THRESHOLD)
    });
    let loo_rejection = novelty
        .loo
        .iter()
        .zip(labels)
        .filter(|&(&v, &l)| !ignore[l] && v > unknown_threshold)
        .count() as f64
        / n.max(1) as f64;

    // Interpolation.
    let of_class = |c: usize| -> Vec<&[f32]> {
        data.examples
            .iter()
            .filter(|e| e.class == c)
            .map(|e| e.descriptor.as_slice())
            .collect()
    };
    let anchors: Vec<(f32, Vec<&[f32]>)> = data
        .classes
        .iter()
        .enumerate()
        .filter(|(c, _)| *c != data.pair.0 && *c != data.pair.1)
        .filter_map(|(c, info)| info.anchor.map(|a| (a, of_class(c))))
        .collect();
    let interpolation = Interpolator::fit(
        &of_class(data.pair.0),
        &of_class(data.pair.1),
        &anchors,
        cfg.regress_energy,
        cfg.interpolation_shrinkage,
    );

    let report = TrainReport {
        kind: best.kind,
        candidates,
        cv_folds: folds,
        examples,
        components: pca.components(),
        unknown_threshold,
        loo_rejection,
        interpolation_shrinkage: interpolation.shrinkage,
    };
    let model = Model {
        format_version: MODEL_FORMAT_VERSION,
        layout_version: LAYOUT_VERSION,
        classes: data.classes.clone(),
        pair: data.pair,
        trained: prep.trained,
        drum,
        scaler,
        pca,
        classifier,
        temperature: best.temperature as f32,
        novelty: NoveltyScorer::Box(novelty),
        unknown_threshold,
        interpolation,
        report,
        doubtful: Vec::new(),
    };
    model.validate()?;
    Ok(model)
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
                let j = n.judge(&z);
                if let Some(c) = j.ignore {
                    // Nearer to the bleed than to the drum: all of it goes to that class.
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

    /// The interpolation map.
    pub fn interpolator(&self) -> &Interpolator {
        &self.interpolation
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
        match &self.classifier {
            Classifier::Knn(c) => c.validate(m, drum)?,
            Classifier::Mlp(c) => c.validate(m, drum)?,
            Classifier::Lda(c) => c.validate(m, drum)?,
        }
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
        if !(self.unknown_threshold > 0.0 && self.unknown_threshold.is_finite()) {
            return Err(LearnError::Corrupt(format!(
                "unknown threshold {}",
                self.unknown_threshold
            )));
        }
        self.interpolation.validate()
    }
}
