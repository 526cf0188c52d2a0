//! Every parameter's text converts back through CLAP's `params` extension, as
//! `clap-validator validate` checks it (`param-conversions`) and its fuzzer warns about: value
//! to text, back to a value, to the same text, and to the same value again. The validator itself
//! needs GitHub and cannot run in CI; this runs the same conversions in `clack-host`.
//!
//! Gated behind `TIMBREL_HOST_TESTS=1` like the other host tests.

use timbrel_host_tests::clap::{Bundle, Instance, PLUGIN_ID};
use timbrel_host_tests::{clap_bundle, host_tests_enabled};

/// Values tried per continuous parameter: the validator's 4,000 conversions spread over
/// Timbrel's parameters come to 50 each; this tries more, evenly spaced from min to max.
const CONTINUOUS_VALUES: usize = 401;

fn instance() -> Instance {
    Bundle::load(&clap_bundle()).instantiate(PLUGIN_ID)
}

#[test]
fn every_parameter_text_converts_back_through_clap() {
    if !host_tests_enabled("every_parameter_text_converts_back_through_clap") {
        return;
    }
    let mut plugin = instance();
    let params = plugin.params();
    assert!(params.len() > 50, "only {} parameters", params.len());
    let mut checked = 0;
    for p in &params {
        let values: Vec<f64> = if p.stepped {
            (0..=(p.max - p.min).round() as i64)
                .map(|k| p.min + k as f64)
                .collect()
        } else {
            (0..CONTINUOUS_VALUES)
                .map(|i| p.min + (p.max - p.min) * i as f64 / (CONTINUOUS_VALUES - 1) as f64)
                .chain([p.max - (p.max - p.min) * 1e-7])
                .collect()
        };
        for value in values {
            let name = &p.name;
            let text = plugin
                .try_text(p.id, value)
                .unwrap_or_else(|| panic!("{name}: value_to_text({value}) failed"));
            let back = plugin
                .try_value_from_text(p.id, &text)
                .unwrap_or_else(|| panic!("{name}: text_to_value({text:?}) of {value} failed"));
            let again = plugin.try_text(p.id, back);
            assert_eq!(
                again.as_deref(),
                Some(text.as_str()),
                "{name}: {value} -> {text:?} -> {back}"
            );
            let last = plugin.try_value_from_text(p.id, &text);
            assert_eq!(
                last,
                Some(back),
                "{name}: {value} -> {text:?} -> {back} -> {text:?}"
            );
            if p.stepped {
                assert_eq!(back.round(), value, "{name}: {value} -> {text:?} -> {back}");
            }
            checked += 1;
        }
    }
    assert!(checked > 5_000, "only {checked} conversions");
}
