//! Golden files of saved formats (see `fixtures/README.md`): every fixture keeps loading and
//! gives the outputs recorded when it was made.
//!
//! The generator of the current formats is ignored: it only ran once, when the format was new
//! (`cargo test -p timbrel-learn --test fixtures -- --ignored`). The format-1 generator is in
//! the commit named in the README.

use std::path::{Path, PathBuf};

use timbrel_core::analysis::AnalysisSettings;
use timbrel_learn::file::{self, ModelFile};
use timbrel_learn::state::{self, ProjectState};
use timbrel_learn::synthetic::{self, Sound, SynthSpec};
use timbrel_learn::{train, Dataset, Example, Model, Prediction, Snippet, TrainConfig};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Snippet length of the fixture examples, in seconds (short, to keep the files small).
const SNIPPET_S: f32 = 0.01;

/// Two classes (`center`, `edge`) × 6 seeded snare hits with 10 ms snippets: at 48 kHz, one hit
/// per class at 44.1 kHz, and the last hit of each class without snippet.
fn fixture_dataset() -> Dataset {
    fixture_dataset_hats(false)
}

/// [`fixture_dataset`], with the hits' hat descriptors when `hats` (state format 4 on).
fn fixture_dataset_hats(hats: bool) -> Dataset {
    let mut rng = fastrand::Rng::with_seed(0x7153_f1c5);
    let mut d = Dataset::default();
    for (class, radius) in [(0, (0.0, 0.15)), (1, (0.8, 0.95))] {
        let mut added = 0;
        while added < 6 {
            let rate = if added == 4 { 44_100.0 } else { 48_000.0 };
            let spec = SynthSpec {
                sample_rate: rate,
                ..SynthSpec::default()
            };
            let r = radius.0 + (radius.1 - radius.0) * rng.f32();
            let v = 0.3 + 0.7 * rng.f32();
            let (audio, onset, _) = synthetic::render(
                Sound::Snare {
                    radius: r,
                    velocity: v,
                },
                &spec,
                rng.u64(..),
            );
            let Some((descriptor, level)) =
                synthetic::analyze(&audio, rate, onset, &[256]).remove(0)
            else {
                continue;
            };
            let mut e = Example::new(&descriptor, class, level, (d.examples.len() as f64) * 0.5);
            if hats {
                e.hat_descriptor = synthetic::hat_descriptor(&audio, rate, onset, 256);
                assert!(e.hat_descriptor.is_some());
            }
            if added < 5 {
                let len = (SNIPPET_S * rate) as usize;
                e.snippet = Snippet::encode(&audio[onset..onset + len], rate);
            }
            d.add_example(e).unwrap();
            added += 1;
        }
    }
    d
}

/// Descriptors the expected outputs are recorded for: two training hits, held-out snare hits at
/// radius 0.05, 0.5 and 0.9, and a tom (not a trained sound).
fn probe_descriptors(d: &Dataset) -> Vec<Vec<f32>> {
    let spec = SynthSpec {
        sample_rate: 48_000.0,
        ..SynthSpec::default()
    };
    let mut out = vec![
        d.examples[0].descriptor.clone(),
        d.examples[7].descriptor.clone(),
    ];
    let sounds = [
        Sound::Snare {
            radius: 0.05,
            velocity: 0.7,
        },
        Sound::Snare {
            radius: 0.5,
            velocity: 0.7,
        },
        Sound::Snare {
            radius: 0.9,
            velocity: 0.7,
        },
        Sound::Tom,
    ];
    for (i, s) in sounds.into_iter().enumerate() {
        let hit = (0..50)
            .find_map(|k| synthetic::synth_hit(s, &spec, &[256], 900 + 100 * i as u64 + k))
            .expect("hit found");
        out.push(hit.descriptors[0].clone());
    }
    out
}

fn prediction_json(p: &Prediction) -> serde_json::Value {
    serde_json::json!({
        "probabilities": &p.probabilities[..p.class_count as usize],
        "class_count": p.class_count,
        "best": p.best,
        "best_class": p.best_class,
        "confidence": p.confidence,
        "novelty": p.novelty,
        "interpolation": p.interpolation,
        "ignored": p.ignored,
    })
}

/// The recorded outputs of `model` for `descriptors`.
fn expected_json(model: &Model, descriptors: &[Vec<f32>]) -> serde_json::Value {
    let mut p = Prediction::default();
    let cases: Vec<serde_json::Value> = descriptors
        .iter()
        .map(|x| {
            model.classify(x, &mut p);
            serde_json::json!({ "descriptor": x, "prediction": prediction_json(&p) })
        })
        .collect();
    serde_json::json!({ "cases": cases })
}

/// The fixture dataset with a third class, `kit`, marked ignore: seeded kicks and noise
/// bursts (the current formats' ignore flag and classifier class list).
fn fixture_dataset_with_ignore() -> Dataset {
    with_ignore(fixture_dataset())
}

/// [`fixture_dataset_with_ignore`] with the drum hits' hat descriptors (state format 4).
fn fixture_dataset_with_hats() -> Dataset {
    with_ignore(fixture_dataset_hats(true))
}

/// `d` with a third class, `kit`, marked ignore: seeded kicks and noise bursts.
fn with_ignore(mut d: Dataset) -> Dataset {
    let kit = d
        .add_class("kit", timbrel_learn::dataset::PALETTE[2])
        .unwrap();
    d.set_ignore(kit, true).unwrap();
    let spec = SynthSpec {
        sample_rate: 48_000.0,
        ..SynthSpec::default()
    };
    for (i, s) in [Sound::Kick, Sound::Noise]
        .into_iter()
        .cycle()
        .take(6)
        .enumerate()
    {
        let hit = (0..50)
            .find_map(|k| synthetic::synth_hit(s, &spec, &[256], 700 + 100 * i as u64 + k))
            .expect("hit found");
        let e = Example::new(&hit.descriptors[0], kit, hit.level_dbfs, 100.0 + i as f64);
        d.add_example(e).unwrap();
    }
    d
}

#[test]
#[ignore = "writes the fixtures of the current formats (model 5, state 4); released fixtures must never be regenerated"]
fn generate_m5_fixtures() {
    let d = fixture_dataset_with_hats();
    let model = train(&d, &TrainConfig::default()).unwrap();
    let mut f = ModelFile::new(
        "timbrel fixture generator (model format 5)",
        AnalysisSettings::default(),
        model.clone(),
    );
    f.dataset = Some(d.clone());
    let dir = fixtures();
    file::save(&dir.join("model-v2-m5.timbrel"), &f).unwrap();
    let text = state::encode(&ProjectState {
        dataset: d.clone(),
        model: Some(model),
    })
    .unwrap();
    std::fs::write(dir.join("state-v4-m5.txt"), text).unwrap();
    let expected = expected_json(&f.model, &probe_descriptors(&d));
    std::fs::write(
        dir.join("expected-m5.json"),
        serde_json::to_string_pretty(&expected).unwrap() + "\n",
    )
    .unwrap();
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Checks `file`'s model against the outputs recorded in `expected`, and the project-state
/// fixture `name`: it starts with `prefix`, holds `file`'s dataset and a model with the same
/// recorded outputs, and encodes back to itself; returns it.
fn assert_state_fixture(
    file: &ModelFile,
    name: &str,
    prefix: &str,
    expected: &str,
) -> ProjectState {
    assert_recorded_outputs(&file.model, expected);
    let text = String::from_utf8(read(name)).unwrap();
    assert!(text.starts_with(prefix), "{name}");
    let s = state::decode_str(&text).unwrap();
    assert_eq!(Some(&s.dataset), file.dataset.as_ref(), "{name}");
    assert_recorded_outputs(s.model.as_ref().unwrap(), expected);
    assert_eq!(state::decode_str(&state::encode(&s).unwrap()).unwrap(), s);
    s
}

/// Checks `model`'s outputs against the recorded ones in `expected` (a fixture name).
fn assert_recorded_outputs(model: &Model, expected: &str) {
    let v: serde_json::Value = serde_json::from_slice(&read(expected)).unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 6);
    let mut p = Prediction::default();
    for (i, case) in cases.iter().enumerate() {
        let x: Vec<f32> = serde_json::from_value(case["descriptor"].clone()).unwrap();
        model.classify(&x, &mut p);
        let want = &case["prediction"];
        let f = |key: &str| want[key].as_f64().unwrap() as f32;
        assert_eq!(
            p.class_count as u64,
            want["class_count"].as_u64().unwrap(),
            "case {i}"
        );
        assert_eq!(p.best.map(u64::from), want["best"].as_u64(), "case {i}");
        assert_eq!(
            p.best_class as u64,
            want["best_class"].as_u64().unwrap(),
            "case {i}"
        );
        // NOTE: a tolerance rather than bit equality, so that a harmless change of summation
        // order in `classify` does not fail the format tests.
        let close = |a: f32, b: f32| (a - b).abs() <= 1e-5 * (1.0 + b.abs());
        for (key, got) in [
            ("confidence", p.confidence),
            ("novelty", p.novelty),
            ("interpolation", p.interpolation),
        ] {
            assert!(close(got, f(key)), "case {i} {key}: {got} vs {}", f(key));
        }
        // Recorded since model format 3 (ignore classes); absent means not ignored.
        assert_eq!(
            p.ignored,
            want["ignored"].as_bool().unwrap_or(false),
            "case {i}"
        );
        let probs: Vec<f32> = serde_json::from_value(want["probabilities"].clone()).unwrap();
        for (c, (&got, &w)) in p.probabilities.iter().zip(&probs).enumerate() {
            assert!(close(got, w), "case {i} probability {c}: {got} vs {w}");
        }
    }
}

fn load(name: &str) -> ModelFile {
    file::load(&fixtures().join(name)).unwrap_or_else(|e| panic!("{e}"))
}

/// The snippets of the fixture datasets: 10 ms at 48 kHz (→ 16 kHz) or 44.1 kHz (→ 14.7 kHz),
/// the last of each class empty.
fn assert_fixture_snippets(d: &Dataset) {
    assert_eq!(d.examples.len(), 12);
    for (i, e) in d.examples.iter().enumerate() {
        let (rate, len) = match i % 6 {
            4 => (14_700.0, 147),
            5 => (0.0, 0),
            _ => (16_000.0, 160),
        };
        assert_eq!(
            (e.snippet.rate_hz(), e.snippet.len()),
            (rate, len),
            "example {i}"
        );
        assert!(e
            .snippet
            .decode()
            .iter()
            .all(|v| v.is_finite() && v.abs() <= 1.0));
    }
}

#[test]
fn model_v1_loads_migrates_and_gives_the_recorded_outputs() {
    let f = load("model-v1.timbrel");
    assert_eq!(f.created_by, "timbrel fixture generator (format 1)");
    assert_fixture_snippets(f.dataset.as_ref().unwrap());
    assert_recorded_outputs(&f.model, "expected-v1.json");
    // Saved again, it is a format-2 file with the same content.
    let bytes = file::to_bytes(&f).unwrap();
    assert!(bytes.starts_with(br#"{"format":"timbrel-model","format_version":2,"#));
    assert_eq!(
        file::from_bytes(&bytes, Path::new("again.timbrel")).unwrap(),
        f
    );
}

#[test]
fn state_v1_migrates_to_the_same_dataset() {
    let text = String::from_utf8(read("state-v1.json")).unwrap();
    let s = state::decode_str(&text).unwrap();
    assert!(
        s.model.is_none(),
        "format 1 has no model: the plugin retrains"
    );
    assert_eq!(Some(&s.dataset), load("model-v1.timbrel").dataset.as_ref());
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(state::decode_value(&v).unwrap(), s);
    // Re-encoded as format 2, it decodes to the same state; retraining works.
    assert_eq!(state::decode_str(&state::encode(&s).unwrap()).unwrap(), s);
    train(&s.dataset, &TrainConfig::default()).unwrap();
}

#[test]
fn model_v2_loads_and_gives_the_recorded_outputs() {
    let f = load("model-v2.timbrel");
    assert_fixture_snippets(f.dataset.as_ref().unwrap());
    assert_recorded_outputs(&f.model, "expected-v2.json");
    // The same seeded dataset as format 1, migrated or encoded directly.
    assert_eq!(f.dataset, load("model-v1.timbrel").dataset);
}

#[test]
fn state_v2_restores_the_model_and_gives_the_recorded_outputs() {
    let text = String::from_utf8(read("state-v2.txt")).unwrap();
    assert!(text.starts_with("timbrel-state:2:1:1:"));
    let s = state::decode_str(&text).unwrap();
    assert_recorded_outputs(s.model.as_ref().unwrap(), "expected-v2.json");
    assert_eq!(Some(&s.dataset), load("model-v2.timbrel").dataset.as_ref());
    assert_eq!(
        state::decode_value(&serde_json::Value::String(text.clone())).unwrap(),
        s
    );
    // NOTE: not compared with `encode(&s)` byte for byte: another zstd version may compress
    // differently. What this build writes must decode to the same state.
    assert_eq!(state::decode_str(&state::encode(&s).unwrap()).unwrap(), s);
}

/// Every state format this build reads has a fixture here, and each still gives its dataset (the
/// same seeded one). When a later build bumps `STATE_FORMAT_VERSION` or `MODEL_FORMAT_VERSION`,
/// this keeps checking that today's projects are read: a new state format needs its own
/// fixture, and the old ones must keep restoring (their model too, unless its format changed:
/// then the dataset is kept and the plugin retrains).
#[test]
fn every_readable_state_format_has_a_fixture_that_restores() {
    let expected = load("model-v2.timbrel").dataset.unwrap();
    for v in state::OLDEST_STATE_FORMAT_VERSION..=state::STATE_FORMAT_VERSION {
        let name = ["json", "txt"]
            .iter()
            .map(|ext| format!("state-v{v}.{ext}"))
            .find(|name| fixtures().join(name).exists())
            .unwrap_or_else(|| panic!("no fixture of state format {v} in tests/fixtures"));
        let text = String::from_utf8(read(&name)).unwrap();
        let r = state::restore_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        // Format 3 added ignore classes, format 4 hat descriptors; their fixtures have them.
        let expected = if v >= 4 {
            fixture_dataset_with_hats()
        } else if v == 3 {
            fixture_dataset_with_ignore()
        } else {
            expected.clone()
        };
        assert_eq!(r.state.dataset, expected, "{name}");
        match &r.model_left_out {
            None => {}
            Some(e) => assert!(
                matches!(e, state::StateError::ModelVersion { .. }),
                "{name}: {e}"
            ),
        }
    }
    // Today's state keeps its model.
    let v = state::STATE_FORMAT_VERSION;
    let today = String::from_utf8(read(&format!("state-v{v}.txt"))).unwrap();
    let r = state::restore_str(&today).unwrap();
    assert!(r.model_left_out.is_none() && r.state.model.is_some());
}

#[test]
fn model_format_2_loads_and_gives_the_recorded_outputs() {
    let f = load("model-v2-m2.timbrel");
    assert_eq!(f.created_by, "timbrel fixture generator (model format 2)");
    assert_eq!(
        f.model.format_version(),
        timbrel_learn::MODEL_FORMAT_VERSION
    );
    assert!(f.model.classes().iter().all(|c| !c.ignore));
    assert_recorded_outputs(&f.model, "expected-m2.json");
    assert_eq!(f.dataset, load("model-v1.timbrel").dataset);
}

#[test]
fn state_with_model_format_2_restores_and_gives_the_recorded_outputs() {
    let text = String::from_utf8(read("state-v2-m2.txt")).unwrap();
    assert!(text.starts_with("timbrel-state:2:1:2:"));
    let s = state::decode_str(&text).unwrap();
    assert_recorded_outputs(s.model.as_ref().unwrap(), "expected-m2.json");
    assert_eq!(
        Some(&s.dataset),
        load("model-v2-m2.timbrel").dataset.as_ref()
    );
    assert_eq!(state::decode_str(&state::encode(&s).unwrap()).unwrap(), s);
}

#[test]
fn model_format_3_with_an_ignore_class_loads_and_gives_the_recorded_outputs() {
    let f = load("model-v2-m3.timbrel");
    let d = f.dataset.as_ref().unwrap();
    assert_eq!(d, &fixture_dataset_with_ignore());
    assert!(f.model.classes()[2].ignore && !f.model.classes()[0].ignore);
    assert_state_fixture(
        &f,
        "state-v3.txt",
        "timbrel-state:3:1:3:",
        "expected-m3.json",
    );
}

#[test]
fn model_format_4_with_hat_segments_loads_and_gives_the_recorded_outputs() {
    let f = load("model-v2-m4.timbrel");
    let d = f.dataset.as_ref().unwrap();
    assert_eq!(d, &fixture_dataset_with_hats());
    assert!(d.examples[..12].iter().all(|e| e.hat_descriptor.is_some()));
    assert!(d.examples[12..].iter().all(|e| e.hat_descriptor.is_none()));
    let s = assert_state_fixture(
        &f,
        "state-v4.txt",
        "timbrel-state:4:1:4:",
        "expected-m4.json",
    );
    // Read as today's format, without the ignore discriminant it did not have.
    assert!(s.model.as_ref().unwrap().ignore_discriminant().is_none());
}

#[test]
fn model_format_5_with_an_ignore_discriminant_loads_and_gives_the_recorded_outputs() {
    let f = load("model-v2-m5.timbrel");
    assert_eq!(f.dataset.as_ref(), Some(&fixture_dataset_with_hats()));
    assert!(f.model.ignore_discriminant().is_some());
    let s = assert_state_fixture(
        &f,
        "state-v4-m5.txt",
        "timbrel-state:4:1:5:",
        "expected-m5.json",
    );
    assert!(s.model.as_ref().unwrap().ignore_discriminant().is_some());
}
