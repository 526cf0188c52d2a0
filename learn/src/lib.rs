//! Timbrel's learning: trainable hit classes, calibrated probabilities, unknown-hit rejection and
//! an interpolation between two classes that follows strike position rather than loudness.
