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
//! - [`version`]: the format versions both read, the "written by a newer build" hint and the
//!   checks a dataset and model pass together.
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
pub mod version;

pub use dataset::{ClassInfo, Dataset, Example};
pub use error::LearnError;
pub use evaluate::{evaluate, Advice, Evaluation};
pub use file::{FileError, ModelFile};
pub use model::{
    train, Mismatch, Model, ModelKind, NewStroke, Prediction, TrainConfig, TrainReport,
    MODEL_FORMAT_VERSION, NEW_STROKE_DB, OLDEST_MODEL_FORMAT_VERSION,
};
pub use snippet::Snippet;
pub use state::{ProjectState, StateError};
pub use timbrel_core::analysis::descriptor::{DESCRIPTOR_LEN, LAYOUT_VERSION};

/// Most classes a dataset (and a model) can have.
pub const MAX_CLASSES: usize = 16;
/// Fewest examples for a class to be trained (classes with fewer get probability 0).
pub const MIN_EXAMPLES: usize = 2;
