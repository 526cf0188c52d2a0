//! Class names: the one place that turns a class number into what the user reads.
//!
//! The worker keeps [`ClassNames`] in step with the dataset; the parameters' texts (`Train`, the
//! output parameters, the auxiliary output's classes) read it on whatever thread the host asks
//! from, never the audio thread.

use std::sync::{Arc, RwLock};

/// The dataset's class names, shared with the parameters' text functions. The lock is held
/// only to copy a name or to swap the list.
#[derive(Debug, Clone, Default)]
pub struct ClassNames(Arc<RwLock<Vec<String>>>);

impl ClassNames {
    /// Names from a list.
    pub fn new(names: Vec<String>) -> Self {
        Self(Arc::new(RwLock::new(names)))
    }

    /// Replaces the names (the worker, after the dataset's classes changed).
    pub fn set(&self, names: Vec<String>) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = names;
    }

    /// The name of class `index` (0-based), see [`class_name`].
    pub fn name(&self, index: usize) -> String {
        class_name(&self.0.read().unwrap_or_else(|e| e.into_inner()), index)
    }

    /// Runs `f` on the names in order (the lock is held for the call: keep `f` short).
    pub fn read<R>(&self, f: impl FnOnce(&[String]) -> R) -> R {
        f(&self.0.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// The 0-based index of the class called `text` (ignoring case), if there is one.
    pub fn position(&self, text: &str) -> Option<usize> {
        self.0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .position(|n| n.eq_ignore_ascii_case(text))
    }
}

/// The word class numbers are shown with ("Class 3").
pub const CLASS_WORD: &str = "Class";

/// The name of class `index` (0-based) in `names`, or its [`numbered_name`] when there is no
/// such class.
pub fn class_name(names: &[impl AsRef<str>], index: usize) -> String {
    names
        .get(index)
        .map_or_else(|| numbered_name(index + 1), |n| n.as_ref().to_owned())
}

/// "Class N" for the 1-based class number `number`.
pub fn numbered_name(number: usize) -> String {
    format!("{CLASS_WORD} {number}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_class_is_named_by_its_number() {
        let names = ClassNames::new(vec!["center".into(), "edge".into()]);
        assert_eq!(names.name(1), "edge");
        assert_eq!(names.name(2), "Class 3");
        assert_eq!(names.position("EDGE"), Some(1));
        names.set(vec!["rim".into()]);
        assert_eq!(names.name(0), "rim");
    }
}
