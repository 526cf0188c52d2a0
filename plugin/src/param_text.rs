//! Parameter texts that convert back: every text a parameter shows parses to the value it was
//! shown for, whatever the class names are (renamed, duplicated, empty, looking like numbers or
//! like another value's text). Hosts rely on this: CLAP's `text_to_value` and a DAW's typed-in
//! values go through these functions.
//!
//! Framework-free: the closures in [`crate::params`], [`crate::outputs`] and [`crate::signals`]
//! call these with the current class names.

use crate::class_names::{numbered_name, CLASS_WORD};

/// An integer parameter's value-to-text function.
pub type IntFormatter = std::sync::Arc<dyn Fn(i32) -> String + Send + Sync>;
/// An integer parameter's text-to-value function.
pub type IntParser = std::sync::Arc<dyn Fn(&str) -> Option<i32> + Send + Sync>;

/// The texts of a parameter that picks a class: an optional value 0 that means "no class" (with
/// its word), then classes `1..=max`, each shown by its name where the name alone is
/// unambiguous, otherwise as "Class k: name" (or "Class k" when the class has no name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassSelector {
    /// The text of value 0 ("Off", "Unknown"), or `None` when the selector starts at class 1.
    pub none: Option<&'static str>,
    /// The highest class number (1-based).
    pub max: i32,
}

impl ClassSelector {
    /// The lowest value: 0 when the selector has a "no class" value, otherwise 1.
    pub fn min(&self) -> i32 {
        if self.none.is_some() {
            0
        } else {
            1
        }
    }

    /// The text for `value` (0 = no class, k = the k-th class) given the class names in order.
    pub fn label(&self, names: &[String], value: i32) -> String {
        if let (Some(word), true) = (self.none, value <= 0) {
            return word.to_owned();
        }
        let name = usize::try_from(value - 1)
            .ok()
            .and_then(|i| names.get(i))
            .map(|n| n.trim())
            .filter(|n| !n.is_empty() && !n.chars().any(char::is_control));
        match name {
            Some(name) if self.stands_alone(names, value, name) => name.to_owned(),
            Some(name) => format!("{CLASS_WORD} {value}: {name}"),
            None => numbered_name(value.max(0) as usize),
        }
    }

    /// The value `text` stands for: a text [`Self::label`] shows (exactly, else ignoring ASCII
    /// case), the "no class" word, "Class k", "Class k: anything", or a bare number in range.
    /// `None` when the text names no value of this selector, or a name several classes share.
    pub fn parse(&self, names: &[String], text: &str) -> Option<i32> {
        let text = text.trim();
        let values = self.min()..=self.max;
        let labels: Vec<(i32, String)> =
            values.clone().map(|v| (v, self.label(names, v))).collect();
        if let Some((v, _)) = labels.iter().find(|(_, l)| l == text) {
            return Some(*v);
        }
        if let Some((v, _)) = labels.iter().find(|(_, l)| l.eq_ignore_ascii_case(text)) {
            return Some(*v);
        }
        if self
            .none
            .is_some_and(|word| word.eq_ignore_ascii_case(text))
        {
            return Some(0);
        }
        numbered(text).filter(|v| values.contains(v))
    }

    /// Whether class `value`'s (trimmed, non-empty) `name` can be shown alone: no other class has
    /// it (ignoring ASCII case), and it reads as no other value's text.
    fn stands_alone(&self, names: &[String], value: i32, name: &str) -> bool {
        let reserved = self.none.is_some_and(|w| w.eq_ignore_ascii_case(name))
            || numbered(name).is_some()
            || name.parse::<f64>().is_ok();
        let shared = names
            .iter()
            .enumerate()
            .any(|(i, other)| i as i32 + 1 != value && other.trim().eq_ignore_ascii_case(name));
        !reserved && !shared
    }
}

/// The class number in "Class k", "Class k: anything" (the word in any ASCII case) or a bare
/// integer `k`; `None` for any other text. The number is not checked against a range.
fn numbered(text: &str) -> Option<i32> {
    let text = text.trim();
    let rest = match text.get(..CLASS_WORD.len()) {
        Some(word) if word.eq_ignore_ascii_case(CLASS_WORD) => text[CLASS_WORD.len()..].trim(),
        _ => return text.parse().ok(),
    };
    let number = rest.split_once(':').map_or(rest, |(number, _)| number);
    number.trim().parse().ok()
}

/// Parses a number followed by an optional `unit` (" ms", " dB", "%"...), with or without the
/// space; `off` is a word and its value ("Off" for 0 ms), recognised in any ASCII case, with or
/// without the unit. Infinite and NaN numbers are refused.
pub fn parse_number(text: &str, unit: &str, off: Option<(&str, f32)>) -> Option<f32> {
    let text = text.trim();
    let bare = text
        .strip_suffix(unit.trim())
        .filter(|_| !unit.trim().is_empty())
        .unwrap_or(text)
        .trim();
    if let Some((_, value)) = off.filter(|(word, _)| bare.eq_ignore_ascii_case(word)) {
        return Some(value);
    }
    bare.parse::<f32>().ok().filter(|v| v.is_finite())
}

/// Formats `value` with `decimals` decimals, never as "-0" (a value that rounds to zero from
/// below would otherwise read back as a different step than zero's own text).
pub fn format_number(value: f32, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    match text.strip_prefix('-') {
        Some(magnitude) if magnitude.chars().all(|c| c == '0' || c == '.') => magnitude.to_owned(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    const TRAIN: ClassSelector = ClassSelector {
        none: Some("Off"),
        max: 16,
    };
    const AUX: ClassSelector = ClassSelector {
        none: None,
        max: 16,
    };

    /// Every value of `selector` shows a distinct text that parses back to it.
    fn assert_round_trips(selector: ClassSelector, names: &[String]) {
        let mut seen = std::collections::HashMap::new();
        for v in selector.min()..=selector.max {
            let text = selector.label(names, v);
            assert_eq!(
                selector.parse(names, &text),
                Some(v),
                "{text:?} of {v} with {names:?}"
            );
            if let Some(other) = seen.insert(text.to_ascii_lowercase(), v) {
                panic!("{text:?} shown for {other} and {v} with {names:?}");
            }
        }
    }

    #[test]
    fn unique_names_stand_alone_and_missing_ones_are_numbered() {
        let n = names(&["center", "edge"]);
        assert_eq!(TRAIN.label(&n, 0), "Off");
        assert_eq!(TRAIN.label(&n, 1), "center");
        assert_eq!(TRAIN.label(&n, 2), "edge");
        assert_eq!(TRAIN.label(&n, 3), "Class 3");
        assert_eq!(TRAIN.parse(&n, " Edge "), Some(2));
        assert_eq!(TRAIN.parse(&n, "class 3"), Some(3));
        assert_eq!(TRAIN.parse(&n, "Class 2: whatever"), Some(2));
        assert_eq!(TRAIN.parse(&n, "OFF"), Some(0));
        assert_eq!(TRAIN.parse(&n, "5"), Some(5));
        assert_eq!(TRAIN.parse(&n, "17"), None);
        assert_eq!(TRAIN.parse(&n, "rim"), None);
        assert_eq!(AUX.parse(&n, "0"), None);
        assert_eq!(AUX.parse(&n, "Off"), None);
    }

    #[test]
    fn ambiguous_names_are_shown_with_their_number() {
        let n = names(&[
            "snare",
            "Snare",
            "",
            "3",
            "Off",
            "Class 1",
            "class 7: x",
            " pad ",
            "1e3",
        ]);
        assert_eq!(TRAIN.label(&n, 1), "Class 1: snare");
        assert_eq!(TRAIN.label(&n, 2), "Class 2: Snare");
        assert_eq!(TRAIN.label(&n, 3), "Class 3");
        assert_eq!(TRAIN.label(&n, 4), "Class 4: 3");
        assert_eq!(TRAIN.label(&n, 5), "Class 5: Off");
        assert_eq!(TRAIN.label(&n, 6), "Class 6: Class 1");
        assert_eq!(TRAIN.label(&n, 7), "Class 7: class 7: x");
        assert_eq!(TRAIN.label(&n, 8), "pad");
        assert_eq!(TRAIN.label(&n, 9), "Class 9: 1e3");
        assert_eq!(TRAIN.parse(&n, "snare"), None, "two classes share it");
        assert_eq!(AUX.label(&n, 5), "Off", "no 'Off' value to collide with");
        assert_round_trips(TRAIN, &n);
        assert_round_trips(AUX, &n);
    }

    #[test]
    fn every_value_round_trips_for_many_name_lists() {
        let lists = [
            names(&[]),
            names(&["center", "edge"]),
            names(&["center", "rim", "edge", "rimshot"]),
            names(&["a"; 16]),
            names(&["", "", ""]),
            (1..=16).map(|k| (17 - k).to_string()).collect(),
            (1..=16).map(|k| format!("Class {}", 17 - k)).collect(),
            names(&[
                "Unknown",
                "unknown ",
                "Off",
                "no limit",
                "a\u{0}b",
                "Ünïcode",
                "ÜNÏCODE",
            ]),
        ];
        for list in &lists {
            for selector in [
                TRAIN,
                AUX,
                ClassSelector {
                    none: Some("Unknown"),
                    max: 16,
                },
            ] {
                assert_round_trips(selector, list);
            }
        }
    }

    #[test]
    fn numbers_parse_with_or_without_their_unit() {
        assert_eq!(parse_number("12 ms", " ms", None), Some(12.0));
        assert_eq!(parse_number("12ms", " ms", None), Some(12.0));
        assert_eq!(parse_number(" 12.5 ", " ms", None), Some(12.5));
        assert_eq!(parse_number("-3 dB", " dB", None), Some(-3.0));
        assert_eq!(parse_number("50%", "%", None), Some(50.0));
        assert_eq!(parse_number("Off ms", " ms", Some(("Off", 0.0))), Some(0.0));
        assert_eq!(parse_number("off", " ms", Some(("Off", 0.0))), Some(0.0));
        assert_eq!(parse_number("Off", " ms", None), None);
        assert_eq!(parse_number("inf ms", " ms", None), None);
        assert_eq!(parse_number("12 Hz", " ms", None), None);
    }

    #[test]
    fn numbers_never_show_a_negative_zero() {
        assert_eq!(format_number(-0.001, 2), "0.00");
        assert_eq!(format_number(-0.0, 0), "0");
        assert_eq!(format_number(-0.01, 2), "-0.01");
        assert_eq!(format_number(-60.0, 2), "-60.00");
        assert_eq!(format_number(1.23456, 3), "1.235");
    }
}
