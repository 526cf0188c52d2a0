//! Cross-validated evaluation of a dataset: accuracy, confusion matrix, calibration, outlier
//! examples, and advice per class ("edge needs about 10 more hits").

use crate::calibration;
use crate::dataset::Dataset;
use crate::error::LearnError;
use crate::model::{derive, prepare, stratified_folds, train, ModelKind, Prediction, TrainConfig};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Examples per class below which [`Advice::MoreHits`] is given.
pub const RECOMMENDED_EXAMPLES: usize = 20;
/// Held-out error rate of a class above which [`Advice::HighError`] is given (0..1).
pub const HIGH_ERROR: f64 = 0.1;
/// Fraction of two classes' hits confused with each other above which [`Advice::Overlap`] is
/// given (0..1).
pub const OVERLAP: f64 = 0.05;
/// Datasets up to this many examples are evaluated leave-one-out (kNN and LDA); larger ones,
/// and the MLP, by stratified 10-fold cross-validation.
pub const LOO_MAX_EXAMPLES: usize = 200;

/// Held-out result for one example.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExampleResult {
    /// Index in [`Dataset::examples`].
    pub index: usize,
    /// Its class.
    pub class: usize,
    /// Most probable class when held out.
    pub predicted: usize,
    /// Probability given to its own class when held out (0..1).
    pub probability: f32,
    /// Novelty when held out (see [`Prediction::novelty`]).
    pub novelty: f32,
    /// Misclassified, or unknown (novelty above the threshold) when held out: worth listening
    /// to, relabelling or deleting.
    pub outlier: bool,
}

/// Advice for the user, per class or pair of classes. `Display` gives the sentence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Advice {
    /// A class has few examples.
    MoreHits {
        /// Class name.
        name: String,
        /// Examples it has.
        have: usize,
        /// Suggested additional hits.
        more: usize,
    },
    /// A class is often misclassified when held out.
    HighError {
        /// Class name.
        name: String,
        /// Held-out error rate, 0..1.
        error: f64,
    },
    /// Two classes are confused with each other.
    Overlap {
        /// First class name.
        a: String,
        /// Second class name.
        b: String,
        /// Fraction of their hits given to the other one, 0..1.
        rate: f64,
    },
    /// A class has examples that look wrong.
    Outliers {
        /// Class name.
        name: String,
        /// Number of outlier examples.
        count: usize,
    },
}

impl fmt::Display for Advice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Advice::MoreHits { name, have, more } => {
                write!(f, "{name} needs about {more} more hits (has {have})")
            }
            Advice::HighError { name, error } => write!(
                f,
                "{name} is misclassified {:.0} % of the time: play about 10 more varied hits, or check its examples",
                100.0 * error
            ),
            Advice::Overlap { a, b, rate } => write!(
                f,
                "{a} and {b} overlap: {:.0} % of their hits sound like the other; play them more distinctly or merge them",
                100.0 * rate
            ),
            Advice::Outliers { name, count } => {
                write!(f, "{name} has {count} doubtful hits: listen to them and relabel or delete")
            }
        }
    }
}

/// The result of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The classifier evaluated (what [`train`] chose).
    pub kind: ModelKind,
    /// Folds used (= examples for leave-one-out).
    pub folds: usize,
    /// Held-out accuracy over the evaluated examples, 0..1.
    pub accuracy: f64,
    /// Held-out log-loss, in nats.
    pub log_loss: f64,
    /// Expected calibration error of the held-out probabilities (10 bins), 0..1.
    pub ece: f64,
    /// `confusion[true][predicted]` counts, classes × classes.
    pub confusion: Vec<Vec<u32>>,
    /// Held-out error rate per class (`None` for classes without evaluated examples).
    pub class_error: Vec<Option<f64>>,
    /// One result per evaluated example (examples of untrained classes are skipped).
    pub examples: Vec<ExampleResult>,
    /// Advice, most important first.
    pub advice: Vec<Advice>,
}

/// Evaluates `data` by leave-one-out (up to [`LOO_MAX_EXAMPLES`] examples, not for the MLP) or
/// stratified 10-fold cross-validation: every fold trains a full model (with `cfg`, the
/// classifier fixed to the one [`train`] picks on all data) and classifies its held-out hits.
/// Slow for the MLP (one training per fold): run it off the audio thread.
pub fn evaluate(data: &Dataset, cfg: &TrainConfig) -> Result<Evaluation, LearnError> {
    let full = train(data, cfg)?;
    let kind = full.kind();
    let cfg = TrainConfig { kind, ..*cfg };
    let prep = prepare(data)?;
    let n = prep.rows.len();
    let classes = prep.trained.len();
    let loo = n <= LOO_MAX_EXAMPLES && kind != ModelKind::Mlp;
    let folds = if loo { n } else { 10.min(n) };
    let fold: Vec<usize> = if loo {
        (0..n).collect()
    } else {
        stratified_folds(&prep.labels, classes, folds, derive(cfg.seed, 7))
    };
    let k = data.classes.len();
    let mut results = Vec::new();
    let mut probs = Vec::new();
    let mut labels = Vec::new();
    for f in 0..folds {
        let held: Vec<usize> = (0..n).filter(|&i| fold[i] == f).collect();
        if held.is_empty() {
            continue;
        }
        let mut sub = data.clone();
        sub.examples = (0..n)
            .filter(|&i| fold[i] != f)
            .map(|i| data.examples[prep.rows[i]].clone())
            .collect();
        // A fold that leaves a class too small to train is skipped (its examples unevaluated).
        let Ok(model) = train(&sub, &cfg) else {
            continue;
        };
        let mut p = Prediction::default();
        for i in held {
            let index = prep.rows[i];
            let e = &data.examples[index];
            model.classify(&e.descriptor, &mut p);
            results.push(ExampleResult {
                index,
                class: e.class,
                predicted: p.best_class as usize,
                probability: p.probabilities[e.class],
                novelty: p.novelty,
                outlier: p.best_class as usize != e.class || p.is_unknown(),
            });
            probs.push(
                p.probabilities[..k]
                    .iter()
                    .map(|&v| v as f64)
                    .collect::<Vec<f64>>(),
            );
            labels.push(e.class);
        }
    }
    results.sort_by_key(|r| r.index);
    let mut confusion = vec![vec![0u32; k]; k];
    for r in &results {
        confusion[r.class][r.predicted] += 1;
    }
    let counts = data.counts();
    let class_error: Vec<Option<f64>> = (0..k)
        .map(|c| {
            let total: u32 = confusion[c].iter().sum();
            (total > 0).then(|| 1.0 - confusion[c][c] as f64 / total as f64)
        })
        .collect();
    let mut advice = Vec::new();
    for c in 0..k {
        let name = data.classes[c].name.clone();
        if let Some(e) = class_error[c] {
            if e > HIGH_ERROR && counts[c] >= 5 {
                advice.push(Advice::HighError {
                    name: name.clone(),
                    error: e,
                });
            }
        }
    }
    for a in 0..k {
        for b in a + 1..k {
            let total = confusion[a].iter().sum::<u32>() + confusion[b].iter().sum::<u32>();
            let mixed = confusion[a][b] + confusion[b][a];
            if total > 0 && mixed as f64 / total as f64 > OVERLAP {
                let rate = mixed as f64 / total as f64;
                advice.push(Advice::Overlap {
                    a: data.classes[a].name.clone(),
                    b: data.classes[b].name.clone(),
                    rate,
                });
            }
        }
    }
    for (c, &have) in counts.iter().enumerate().take(k) {
        if have < RECOMMENDED_EXAMPLES {
            let more = (RECOMMENDED_EXAMPLES - have).div_ceil(5) * 5;
            advice.push(Advice::MoreHits {
                name: data.classes[c].name.clone(),
                have,
                more,
            });
        }
    }
    for c in 0..k {
        let count = results.iter().filter(|r| r.class == c && r.outlier).count();
        if count > 0 {
            advice.push(Advice::Outliers {
                name: data.classes[c].name.clone(),
                count,
            });
        }
    }
    Ok(Evaluation {
        kind,
        folds,
        accuracy: calibration::accuracy(&probs, &labels),
        log_loss: calibration::log_loss(&probs, &labels),
        ece: if probs.is_empty() {
            0.0
        } else {
            calibration::ece(&probs, &labels, 10)
        },
        confusion,
        class_error,
        examples: results,
        advice,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Example;
    use crate::DESCRIPTOR_LEN;

    /// Three Gaussian classes; `b` and `c` overlap, `c` is small, one `a` example is mislabelled.
    fn data() -> Dataset {
        let mut rng = fastrand::Rng::with_seed(8);
        let mut d = Dataset::default();
        d.add_class("rim", [1, 2, 3]).unwrap();
        let centres = [0.0f32, 6.0, 6.3];
        for (class, count) in [(0usize, 25usize), (1, 25), (2, 8)] {
            for _ in 0..count {
                let x: Vec<f32> = (0..DESCRIPTOR_LEN)
                    .map(|j| if j % 7 == 0 { centres[class] } else { 0.0 } + rng.f32())
                    .collect();
                d.add_example(Example::new(&x, class, -20.0, 0.0)).unwrap();
            }
        }
        d.examples[3].class = 1;
        d
    }

    #[test]
    fn finds_overlap_small_classes_and_the_mislabelled_hit() {
        let d = data();
        let cfg = TrainConfig {
            kind: ModelKind::Lda,
            ..Default::default()
        };
        let e = evaluate(&d, &cfg).unwrap();
        assert_eq!(e.folds, d.examples.len());
        assert_eq!(e.examples.len(), d.examples.len());
        assert_eq!(
            e.confusion.iter().flatten().sum::<u32>() as usize,
            d.examples.len()
        );
        assert!(e.examples[3].outlier, "{:?}", e.examples[3]);
        let text: Vec<String> = e.advice.iter().map(|a| a.to_string()).collect();
        eprintln!("{text:#?} accuracy {:.3} ece {:.3}", e.accuracy, e.ece);
        assert!(
            text.iter()
                .any(|t| t.starts_with("rim needs about 15 more hits")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|t| t.starts_with("edge and rim overlap")),
            "{text:?}"
        );
        assert!(e.accuracy > 0.6 && e.accuracy < 1.0);
    }
}
