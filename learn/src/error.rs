//! The crate's error type: every variant carries the offending values.

use thiserror::Error;

/// Everything that can go wrong when editing a dataset, training, or loading a model.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum LearnError {
    /// More classes than [`crate::MAX_CLASSES`].
    #[error("too many classes: {count} (at most {max})")]
    TooManyClasses {
        /// Number of classes there would be.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// Fewer than two classes would remain.
    #[error("a dataset needs at least 2 classes, it would have {count}")]
    TooFewClasses {
        /// Number of classes there would be.
        count: usize,
    },
    /// Two classes share a name (compared after trimming, case-insensitively).
    #[error("duplicate class name {0:?}")]
    DuplicateName(String),
    /// A class name that is empty (after trimming) or longer than 64 bytes.
    #[error("invalid class name {0:?} (1 to 64 bytes, not blank)")]
    InvalidName(String),
    /// A class index out of range.
    #[error("class {class} does not exist ({count} classes)")]
    ClassOutOfRange {
        /// The index given.
        class: usize,
        /// Number of classes.
        count: usize,
    },
    /// An example index out of range.
    #[error("example {index} does not exist ({count} examples)")]
    ExampleOutOfRange {
        /// The index given.
        index: usize,
        /// Number of examples.
        count: usize,
    },
    /// A descriptor of the wrong length.
    #[error("descriptor has {got} values, expected {expected}")]
    DescriptorLength {
        /// [`crate::DESCRIPTOR_LEN`].
        expected: usize,
        /// Length given.
        got: usize,
    },
    /// A non-finite number where a finite one is required.
    #[error("non-finite value {value} in {what}")]
    NonFinite {
        /// Where it was found, e.g. `"example 3 descriptor[17]"`.
        what: String,
        /// The value.
        value: f64,
    },
    /// The interpolation pair is not two different existing classes.
    #[error("bad interpolation pair ({a}, {b}) with {count} classes")]
    BadPair {
        /// Class A.
        a: usize,
        /// Class B.
        b: usize,
        /// Number of classes.
        count: usize,
    },
    /// A class of the interpolation pair cannot be removed; choose another pair first.
    #[error("class {class} is part of the interpolation pair")]
    ClassInPair {
        /// The class.
        class: usize,
    },
    /// An anchor outside 0..=1.
    #[error("anchor {anchor} of class {class} is outside 0..=1")]
    AnchorOutOfRange {
        /// The class.
        class: usize,
        /// The anchor value.
        anchor: f32,
    },
    /// Training needs at least two classes with [`crate::MIN_EXAMPLES`] examples or more.
    #[error("training needs 2 classes with at least {min} examples each, found {trained}")]
    NotEnoughClasses {
        /// Classes that have enough examples.
        trained: usize,
        /// Examples needed per class.
        min: usize,
    },
    /// A class of the interpolation pair cannot be an "ignore" class.
    #[error("class {name:?} is an ignore class and cannot be in the interpolation pair")]
    PairIgnored {
        /// The class name.
        name: String,
    },
    /// A class of the interpolation pair has too few examples.
    #[error("pair class {name:?} has {examples} examples, needs at least {min}")]
    PairUntrained {
        /// The class name.
        name: String,
        /// Its examples.
        examples: usize,
        /// Examples needed.
        min: usize,
    },
    /// A hyper-parameter outside its accepted range.
    #[error("hyper-parameter {name} = {value} is outside {expected}")]
    HyperParameter {
        /// Field name in [`crate::TrainConfig`].
        name: &'static str,
        /// The value given.
        value: f64,
        /// The accepted range, in words.
        expected: &'static str,
    },
    /// A saved model of another format version.
    #[error("model format version {found}, this build reads {expected}")]
    FormatVersion {
        /// Version in the model.
        found: u32,
        /// [`crate::MODEL_FORMAT_VERSION`].
        expected: u32,
    },
    /// A model trained on another descriptor layout.
    #[error("model uses descriptor layout {found}, this build computes {expected}")]
    LayoutVersion {
        /// Layout in the model.
        found: u32,
        /// [`crate::LAYOUT_VERSION`].
        expected: u32,
    },
    /// An example's audio snippet is unusable.
    #[error("example {example}: {problem}")]
    Snippet {
        /// Index of the example.
        example: usize,
        /// What is wrong.
        problem: crate::snippet::SnippetError,
    },
    /// A decoded model whose internals are inconsistent.
    #[error("corrupt model: {0}")]
    Corrupt(String),
}

/// `Err(LearnError::HyperParameter { .. })`: hyper-parameter `name` has `value`, outside
/// `expected` (the accepted range, in words).
pub(crate) fn bad_hyper_parameter(
    name: &'static str,
    value: f64,
    expected: &'static str,
) -> Result<(), LearnError> {
    Err(LearnError::HyperParameter {
        name,
        value,
        expected,
    })
}

/// Checks that every value is finite; `what` names the slice in the error.
pub(crate) fn check_finite(
    values: &[f32],
    what: &dyn Fn(usize) -> String,
) -> Result<(), LearnError> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(LearnError::NonFinite {
            what: what(i),
            value: values[i] as f64,
        }),
        None => Ok(()),
    }
}
