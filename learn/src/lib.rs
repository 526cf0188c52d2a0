//! Timbrel's learning: trainable hit classes, calibrated probabilities, unknown-hit rejection and
//! an interpolation between two classes that follows strike position rather than loudness.
//!
//! - [`Dataset`]: up to [`MAX_CLASSES`] named, coloured classes, their example hits, and the
//!   interpolation pair (A, B).
//! - [`train`]: fits a [`Model`] (kNN, MLP or shrinkage LDA, calibrated; novelty; interpolation)
//!   on a background thread; [`Model::classify`] then scores one hit without allocating.
//! - [`doubt`]: training examples that are retriggers, grace notes or unlike their class,
//!   flagged with a reason and left out of training.
//! - [`evaluate()`]: cross-validated accuracy, confusion matrix, calibration, outliers and advice.
//! - [`synthetic`]: seeded hits from the core's membrane synthesizer, for tests and benchmarks.
//! - [`file`](mod@file): the versioned, fully validated `.timbrel` model file.
//! - [`state`]: the project state (dataset and model) the plugin keeps in the host's project.
//! - [`snippet`]: compact audio snippets of the examples (8-bit μ-law at ≤ 16 kHz).
//! - [`bench`](mod@bench): training, classification and project-state timings for the CLI.

pub mod bench;
pub mod calibration;
pub mod dataset;
pub mod doubt;
pub mod error;
pub mod evaluate;
pub mod file;
pub mod interpolation;
pub mod knn;
pub mod lda;
mod migrate;
pub mod mlp;
pub mod model;
pub mod novelty;
mod pack;
pub mod pca;
pub mod projection;
pub mod scaler;
pub mod snippet;
pub mod state;
pub mod synthetic;

pub use dataset::{ClassInfo, Dataset, Example};
pub use error::LearnError;
pub use evaluate::{evaluate, Advice, Evaluation};
pub use file::{FileError, ModelFile};
pub use model::{train, Mismatch, Model, ModelKind, Prediction, TrainConfig, TrainReport};
pub use snippet::Snippet;
pub use state::{ProjectState, StateError};
pub use timbrel_core::analysis::descriptor::{DESCRIPTOR_LEN, LAYOUT_VERSION};

/// Most classes a dataset (and a model) can have.
pub const MAX_CLASSES: usize = 16;
/// Fewest examples for a class to be trained (classes with fewer get probability 0).
pub const MIN_EXAMPLES: usize = 2;
/// Version of the serialised [`Model`]; bump whenever its fields change meaning or shape.
///
/// Format 2 (novelty against the region the classes span) replaced format 1's novelty scorer;
/// format 3 added ignore classes (a flag per class, the classifier's own class list) and the
/// box novelty scorer. Older models are read through [`model::ModelV1`] and
/// [`model::ModelV2`] and keep scoring as they did.
pub const MODEL_FORMAT_VERSION: u32 = 3;
/// Oldest model format this build reads.
pub const OLDEST_MODEL_FORMAT_VERSION: u32 = 1;
