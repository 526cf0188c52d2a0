//! The fitted classifier of a model: kNN, MLP or LDA behind one interface.

use super::params::{ModelKind, TrainConfig};
use crate::error::LearnError;
use crate::knn::Knn;
use crate::lda::Lda;
use crate::mlp::Mlp;
use crate::MAX_CLASSES;
use serde::{Deserialize, Serialize};

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
    pub(super) fn scores(&self, y: &[f32], out: &mut [f32]) {
        match self {
            Classifier::Knn(m) => m.log_probs(y, out),
            Classifier::Mlp(m) => m.logits(y, out),
            Classifier::Lda(m) => m.logits(y, out),
        }
    }

    /// Checks the fitted classifier for `inputs` dimensions and `classes` classes.
    pub(super) fn validate(&self, inputs: usize, classes: usize) -> Result<(), LearnError> {
        match self {
            Classifier::Knn(c) => c.validate(inputs, classes),
            Classifier::Mlp(c) => c.validate(inputs, classes),
            Classifier::Lda(c) => c.validate(inputs, classes),
        }
    }

    pub(super) fn kind(&self) -> ModelKind {
        match self {
            Classifier::Knn(_) => ModelKind::Knn,
            Classifier::Mlp(_) => ModelKind::Mlp,
            Classifier::Lda(_) => ModelKind::Lda,
        }
    }

    pub(super) fn fit(
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

    pub(super) fn scores_f64(&self, y: &[f64], classes: usize) -> Vec<f64> {
        let y32: Vec<f32> = y.iter().map(|&v| v as f32).collect();
        let mut out = [0.0f32; MAX_CLASSES];
        self.scores(&y32, &mut out);
        out[..classes].iter().map(|&v| v as f64).collect()
    }
}
