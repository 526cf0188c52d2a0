//! Training and inference: [`train`] turns a [`Dataset`](crate::Dataset) into a [`Model`] that
//! classifies one hit without allocating.
//!
//! Pipeline: standardise the descriptors ([`Scaler`](crate::scaler::Scaler)) → project on the
//! leading principal axes ([`Pca`](crate::pca::Pca), label-free, fitted on all training hits) →
//! classifier ([`Knn`](crate::knn::Knn), [`Mlp`](crate::mlp::Mlp) or [`Lda`](crate::lda::Lda))
//! → temperature-scaled softmax (temperature fitted on stratified k-fold out-of-fold scores).
//! Novelty ([`Novelty`](crate::novelty::Novelty)) works on the full standardised descriptor, the
//! interpolation ([`Interpolator`](crate::interpolation::Interpolator)) on the raw timbre block.
//!
//! One file per part, as linfa's algorithms are laid out:
//! - `params`: the hyper-parameters ([`TrainConfig`], [`ModelKind`]) and their validation;
//! - `train`: training ([`train`], [`find_doubts`], [`TrainReport`]);
//! - `classifier`: the fitted kNN, MLP or LDA behind one interface ([`Classifier`]);
//! - `fitted`: the fitted [`Model`] (classify, validate, check against a dataset);
//! - `prediction`: what classifying one hit gives ([`Prediction`]);
//! - `old`: models of formats 1 and 2, read and migrated ([`ModelV1`], [`ModelV2`]).

mod classifier;
mod fitted;
mod old;
mod params;
mod prediction;
mod train;

pub use classifier::Classifier;
pub use fitted::{Mismatch, Model, NewStroke, NoveltyScorer, NEW_STROKE_DB};
pub use old::{ModelV1, ModelV2, ModelV4, NoDoubts, OldModel, StoredNovelty};
pub use params::{ModelKind, TrainConfig};
pub use prediction::Prediction;
pub(crate) use train::{derive, prepare, stratified_folds};
pub use train::{
    find_doubts, train, CandidateScore, TrainReport, AUTO_THRESHOLD_FACTOR,
    AUTO_THRESHOLD_QUANTILE, AUTO_TIE_NATS, MIN_AUTO_THRESHOLD,
};

/// Version of the serialised [`Model`]; bump whenever its fields change meaning or shape.
///
/// Format 2 (novelty against the region the classes span) replaced format 1's novelty scorer;
/// format 3 added ignore classes (a flag per class, the classifier's own class list) and the
/// box novelty scorer; format 4 lets a novelty segment run from a class to its hits under a
/// synthetic hi-hat (both ends one class), which format-3 readers refuse; format 5 adds the
/// discriminant between the drum and its ignore classes
/// ([`crate::novelty::ignore::IgnoreDiscriminant`]) and the hat segments' width
/// ([`crate::novelty::HAT_WIDTH`]), fields after the doubtful examples. Older
/// models are read through [`ModelV1`] and [`ModelV2`], formats 3 and 4 through [`ModelV4`]
/// (JSON: as today's, without the field), and keep scoring as they did.
pub const MODEL_FORMAT_VERSION: u32 = 5;
/// Oldest model format this build reads.
pub const OLDEST_MODEL_FORMAT_VERSION: u32 = 1;
