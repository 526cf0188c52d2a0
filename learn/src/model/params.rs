//! Training hyper-parameters: which classifier, and the settings of each stage, validated
//! before fitting (as linfa's `*Params`).

use crate::error::{bad_hyper_parameter, LearnError};
use crate::knn::MAX_K;
use crate::mlp::MlpConfig;
use crate::pca::MAX_COMPONENTS;
use serde::{Deserialize, Serialize};

/// Which classifier a model uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ModelKind {
    /// Pick the one with the lowest cross-validated log-loss after calibration (near-ties, see
    /// [`super::AUTO_TIE_NATS`], go to LDA, then kNN, then MLP).
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
    /// kNN: vote smoothing (0..=1), see [`crate::knn::Knn::smoothing`].
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
    /// Whether the classes were recorded while the rest of the kit played: then a class's hits
    /// much softer than its loud ones and unlike them are bleed ([`crate::doubt::Reason::Bleed`])
    /// and left out, however many. Off, soft hits unlike the loud ones are only ordinary doubts
    /// (a real drum's soft strokes can sound as unlike its accents as a hi-hat does).
    #[serde(default)]
    pub kit_playing: bool,
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
            kit_playing: false,
        }
    }
}

impl TrainConfig {
    /// Checks every hyper-parameter's range.
    pub fn validate(&self) -> Result<(), LearnError> {
        let bad = bad_hyper_parameter;
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
