//! Training: [`train`] fits every stage of a [`Model`] on a [`Dataset`], after [`find_doubts`]
//! has flagged the doubtful examples; cross-validation picks the classifier and calibrates it.

use super::classifier::Classifier;
use super::fitted::{Model, NoveltyScorer};
use super::params::{ModelKind, TrainConfig};
use super::MODEL_FORMAT_VERSION;
use crate::calibration::{self, softmax_f64};
use crate::dataset::Dataset;
use crate::doubt::{self, Doubt, Reason};
use crate::error::LearnError;
use crate::interpolation::Interpolator;
use crate::novelty::ignore::IgnoreDiscriminant;
use crate::novelty::{used_dimensions, Novelty, HAT_WIDTH};
use crate::pca::Pca;
use crate::scaler::Scaler;
use crate::{LAYOUT_VERSION, MAX_CLASSES, MIN_EXAMPLES};
use serde::{Deserialize, Serialize};

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
    // (row, reason, severity): bleed first (always left out), then timing, then sound doubts.
    let mut found: Vec<(usize, Reason, f32)> = (0..classes)
        .filter(|&c| cfg.kit_playing && !ignore[c])
        .flat_map(|c| bleed(&z, &levels, &prep.labels, c, cfg.novelty_quantile))
        .map(|(r, reason)| (r, reason, f32::INFINITY))
        .collect();
    for (r, reason) in doubt::timing(&times, &levels) {
        if !found.iter().any(|f| f.0 == r) {
            found.push((r, reason, f32::MAX));
        }
    }
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
            Some((c, d))
                if d <= doubt::LIKE_OTHER_RATIO * own_d && own_d > doubt::LIKE_OTHER_BEYOND =>
            {
                found.push((
                    r,
                    Reason::LikeOther {
                        class: prep.trained[c] as usize,
                    },
                    own_d,
                ))
            }
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
            let left_out = matches!(reason, Reason::Bleed { .. }) || left[c] < room;
            left[c] += (left_out && !matches!(reason, Reason::Bleed { .. })) as usize;
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

/// Bleed heard while class `class` (compact index) was armed ([`Reason::Bleed`]): its examples
/// at least [`doubt::BLEED_SOFTER_DB`] softer than its loud hits (within [`doubt::LOUD_HITS_DB`]
/// of its [`doubt::LOUD_QUANTILE`] level) and further from them than
/// [`doubt::BLEED_FACTOR`] times their own unseen hits' typical distance, when they are at
/// least [`doubt::BLEED_MIN_SHARE`] of the class (else none: a few soft strokes unlike the
/// accents are the drum's own, and the ordinary doubts judge them). `z` are the
/// standardised descriptors, `levels` their levels (dBFS), `labels` their compact classes.
fn bleed(
    z: &[Vec<f64>],
    levels: &[f32],
    labels: &[usize],
    class: usize,
    quantile_q: f64,
) -> Vec<(usize, Reason)> {
    let members: Vec<usize> = (0..z.len()).filter(|&r| labels[r] == class).collect();
    let mut sorted: Vec<f64> = members.iter().map(|&r| f64::from(levels[r])).collect();
    sorted.sort_by(f64::total_cmp);
    let loud_level = crate::novelty::quantile(&sorted, doubt::LOUD_QUANTILE) as f32;
    let loud: Vec<usize> = members
        .iter()
        .copied()
        .filter(|&r| levels[r] >= loud_level - doubt::LOUD_HITS_DB)
        .collect();
    if loud.len() < doubt::MIN_LOUD_HITS {
        return Vec::new();
    }
    let rows: Vec<Vec<f64>> = loud.iter().map(|&r| z[r].clone()).collect();
    let zeros = vec![0usize; rows.len()];
    let core = Novelty::fit(&rows, &zeros, &[false], quantile_q);
    let limit = doubt::BLEED_FACTOR * core.loo_quantile(AUTO_THRESHOLD_QUANTILE, &zeros).max(1.0);
    let count = members.len();
    let found: Vec<(usize, Reason)> = members
        .into_iter()
        .filter(|&r| levels[r] <= loud_level - doubt::BLEED_SOFTER_DB)
        .filter_map(|r| {
            let zf: Vec<f32> = z[r].iter().map(|&v| v as f32).collect();
            let novelty = core.class_distance(&zf, 0);
            (novelty > limit).then_some((
                r,
                Reason::Bleed {
                    softer_db: loud_level - levels[r],
                    novelty,
                },
            ))
        })
        .collect();
    if (found.len() as f64) < doubt::BLEED_MIN_SHARE * count as f64 {
        return Vec::new();
    }
    found
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
    // Each drum hit under the synthetic hat, projected like the hit: extra training rows of the
    // hit's class (in the hit's fold; out-of-fold scores only for the hits themselves), so that
    // a hit with a hat stroke on it keeps its class. Measured (`groove_notes`, 4 kits x 3
    // grooves, trained soft to loud): backbeats with a hat called the second class 56 -> 39 of
    // 452 noted centre strokes, right class 31.8 -> 33.0 % of the snare strokes; `kit_model`
    // snare/rimshot velocity split 87.5 -> 100 % at 5.8 ms (but 87.5 -> 75.0 % at 2.9 ms).
    // On membrane hits (`interpolation_report 16`) centre/edge accuracy in grooves 0.871 ->
    // 0.836 at 5.8 ms (with bleed 0.886 -> 0.879; at 23 ms 0.929 -> 0.950): the synthetic hat's
    // brightness is partly the direction from centre to edge there. Half-way rows (the hit plus
    // half of its hat displacement) measured no better.
    // Standardised hat descriptors of the drum hits (by position in `drum_rows`), for the
    // classifier's extra rows, the hat segments and the ignore discriminant.
    let hat_z: Vec<Option<Vec<f64>>> = drum_rows
        .iter()
        .map(|&i| {
            let hat = data.examples[prep.rows[i]].hat_descriptor.as_deref()?;
            Some(scaler.transform_f64(hat))
        })
        .collect();
    let hat_y: Vec<Option<Vec<f64>>> = hat_z
        .iter()
        .map(|h| h.as_ref().map(|h| pca.project_f64(h)))
        .collect();
    // The rows `idx` and their hats' rows, with their labels.
    let with_hats = |idx: &mut dyn Iterator<Item = usize>| -> (Vec<Vec<f64>>, Vec<usize>) {
        let mut rows = Vec::new();
        let mut labs = Vec::new();
        for i in idx {
            rows.push(y[i].clone());
            labs.push(labels[i]);
            if let Some(h) = &hat_y[i] {
                rows.push(h.clone());
                labs.push(labels[i]);
            }
        }
        (rows, labs)
    };

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
            let (rows, labs) = with_hats(&mut (0..n).filter(|&i| fold[i] != f));
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
    let (rows, labs) = with_hats(&mut (0..n));
    let classifier = Classifier::fit(best.kind, &rows, &labs, classes, cfg, derive(cfg.seed, 2));

    // Novelty.
    let labels = all_labels;
    let mut novelty = Novelty::fit(&z, labels, &ignore, cfg.novelty_quantile);
    let hats: Vec<(usize, Vec<f64>)> = drum_rows
        .iter()
        .zip(hat_z)
        .filter_map(|(&i, h)| Some((labels[i], h?)))
        .collect();
    novelty.add_hat_segments(&hats);
    // The discriminant between the drum (its classes, and its hits under the synthetic hat)
    // and each ignore class.
    let ignore_rule = {
        let mut groups: Vec<(Option<u8>, Vec<&[f64]>)> = Vec::new();
        for (c, &is_ignore) in ignore.iter().enumerate() {
            let rows = z
                .iter()
                .zip(labels)
                .filter(|(_, &l)| l == c)
                .map(|(r, _)| r.as_slice())
                .collect();
            groups.push((is_ignore.then_some(c as u8), rows));
            if !is_ignore {
                let under_hat = hats
                    .iter()
                    .filter(|(l, _)| *l == c)
                    .map(|(_, r)| r.as_slice())
                    .collect();
                groups.push((None, under_hat));
            }
        }
        IgnoreDiscriminant::fit(&groups, &used_dimensions())
    };
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
        ignore_rule,
        hat_width: HAT_WIDTH,
    };
    model.validate()?;
    Ok(model)
}
