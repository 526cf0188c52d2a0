//! Every parameter's text converts back, as hosts need it (CLAP `value_to_text`/`text_to_value`,
//! typed-in values): the clap-validator's `param-conversions` check and its fuzzer's text checks,
//! run in process over every parameter of [`TimbrelParams`], with the default class names and
//! with names that are renamed, shared, empty, look like numbers or like other values' texts.

use nice_plug::prelude::*;
use timbrel::params::TimbrelParams;

/// Normalized values tried for a continuous parameter: an even grid, seeded random values and
/// values a hair inside the ends (where "-0.00" used to appear).
fn continuous_values(seed: u64) -> Vec<f32> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let grid = (0..=1000).map(|i| i as f32 / 1000.0);
    let random = (0..500).map(|_| rng.f32());
    let edges = [1e-7, 1e-5, 1e-3, 0.5, 1.0 - 1e-3, 1.0 - 1e-5, 1.0 - 1e-7];
    grid.chain(random).chain(edges).collect()
}

/// One conversion as the validator makes it: value to text, back to a value, to the same text,
/// and to the same value again. Returns the value the text stands for.
///
/// # Safety
/// `param` must point into a live parameter struct.
unsafe fn round_trip(id: &str, param: ParamPtr, normalized: f32, unit: bool) -> f32 {
    let text = param.normalized_value_to_string(normalized, unit);
    let back = param
        .string_to_normalized_value(&text)
        .unwrap_or_else(|| panic!("{id}: {text:?} (of {normalized}) does not convert back"));
    let again = param.normalized_value_to_string(back, unit);
    assert_eq!(
        again, text,
        "{id}: {normalized} -> {text:?} -> {back} -> {again:?}"
    );
    let last = param.string_to_normalized_value(&again);
    assert_eq!(
        last,
        Some(back),
        "{id}: {text:?} -> {back} -> {again:?} -> {last:?}"
    );
    back
}

/// Walks every parameter at every step (discrete) or many values (continuous), with and
/// without units; returns how many conversions were checked.
fn check_every_parameter(params: &TimbrelParams, seed: u64) -> usize {
    let continuous = continuous_values(seed);
    let mut checked = 0;
    for (id, param, _) in params.param_map() {
        // SAFETY: every pointer points into `params`, alive for this whole function.
        unsafe {
            let values: Vec<f32> = match param.step_count() {
                // As the CLAP wrapper turns a plain value k into a normalized one.
                Some(steps) => (0..=steps).map(|k| k as f32 / steps as f32).collect(),
                None => continuous.clone(),
            };
            for &normalized in &values {
                for unit in [true, false] {
                    let back = round_trip(&id, param, normalized, unit);
                    let (shown, read) =
                        (param.preview_plain(normalized), param.preview_plain(back));
                    // Discrete values come back exactly, continuous ones to the step they were
                    // shown at (a hundredth of a step for float rounding).
                    let step = [
                        param.next_normalized_step(normalized, false),
                        param.previous_normalized_step(normalized, false),
                    ]
                    .map(|n| (param.preview_plain(n) - shown).abs())
                    .into_iter()
                    .fold(0.0, f32::max);
                    let tolerance = if param.step_count().is_some() {
                        0.0
                    } else {
                        step * 0.01
                    };
                    assert!(
                        (shown - read).abs() <= tolerance,
                        "{id}: {normalized} shows {:?} = {shown} but reads back as {read}",
                        param.normalized_value_to_string(normalized, unit)
                    );
                    checked += 1;
                }
            }
        }
    }
    checked
}

fn set_names(params: &TimbrelParams, names: &[&str]) {
    params
        .class_names
        .set(names.iter().map(|s| s.to_string()).collect());
}

#[test]
fn every_parameter_text_converts_back_with_default_names() {
    let params = TimbrelParams::default();
    let checked = check_every_parameter(&params, 1);
    assert!(checked > 10_000, "only {checked} conversions");
}

#[test]
fn class_texts_convert_back_whatever_the_class_names() {
    let params = TimbrelParams::default();
    let long = "x".repeat(timbrel_learn::dataset::MAX_NAME_BYTES);
    let sixteen: Vec<String> = (1..=16).map(|k| format!("pad {k}")).collect();
    let numbers: Vec<String> = (1..=16).map(|k| (17 - k).to_string()).collect();
    let lists: Vec<Vec<&str>> = vec![
        vec!["center", "rim"],
        vec![],
        vec!["snare", "snare", "SNARE"],
        vec!["", " ", "edge"],
        numbers.iter().map(String::as_str).collect(),
        vec![
            "Off",
            "Unknown",
            "No limit",
            "Class 2",
            "class 9: x",
            "1.5",
            "-1",
        ],
        vec![long.as_str(), "ünïcode", "ÜNÏCODE", " pad "],
        sixteen.iter().map(String::as_str).collect(),
    ];
    for (i, names) in lists.iter().enumerate() {
        set_names(&params, names);
        check_every_parameter(&params, 10 + i as u64);
    }
}

#[test]
fn known_texts_stay_as_they_were() {
    let params = TimbrelParams::default();
    let show = |p: &IntParam, v: i32| p.normalized_value_to_string(p.preview_normalized(v), true);
    assert_eq!(show(&params.train, 0), "Off");
    assert_eq!(show(&params.train, 1), "center");
    assert_eq!(show(&params.train, 3), "Class 3");
    assert_eq!(show(&params.signals.aux_class_b, 2), "edge");
    assert_eq!(show(&params.outputs.class, 0), "Unknown");
    let decay = &params.signals.decay_ms;
    assert_eq!(decay.normalized_value_to_string(0.0, true), "Off");
    assert_eq!(decay.string_to_normalized_value("Off"), Some(0.0));
    assert_eq!(
        decay.normalized_value_to_string(decay.preview_normalized(250.0), true),
        "250 ms"
    );
    let level = &params.outputs.level_dbfs;
    assert_eq!(
        level.normalized_value_to_string(1.0 - 1e-7, true),
        "0.00 dBFS"
    );
    // Renamed classes: the old name no longer parses, the new one and the number do.
    set_names(&params, &["center", "rim"]);
    let parse = |p: &IntParam, s: &str| p.string_to_normalized_value(s).map(|n| p.preview_plain(n));
    assert_eq!(parse(&params.train, "rim"), Some(2));
    assert_eq!(parse(&params.train, "edge"), None);
    assert_eq!(parse(&params.signals.aux_class_a, "Class 5"), Some(5));
    assert_eq!(parse(&params.outputs.class, "RIM"), Some(2));
    // Shared names are shown, and read, with their number.
    set_names(&params, &["snare", "snare"]);
    assert_eq!(show(&params.train, 2), "Class 2: snare");
    assert_eq!(parse(&params.train, "Class 2: snare"), Some(2));
}
