//! Golden files of saved formats (see `fixtures/README.md`).
//!
//! The generator is ignored: run it only to make fixtures of a *new* format version, with
//! `cargo test -p timbrel-learn --test fixtures -- --ignored --exact generate_v1_fixtures`.

use std::path::PathBuf;

use timbrel_core::analysis::AnalysisSettings;
use timbrel_learn::file::{self, ModelFile};
use timbrel_learn::synthetic::{self, Sound, SynthSpec};
use timbrel_learn::{train, Dataset, Example, Model, Prediction, TrainConfig};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Snippet length of the fixture examples, in seconds (short, to keep the files small).
const SNIPPET_S: f32 = 0.01;

/// Two classes (`center`, `edge`) × 6 seeded snare hits with 10 ms snippets: at 48 kHz, one hit
/// per class at 44.1 kHz, and the last hit of each class without snippet.
fn fixture_dataset() -> Dataset {
    let mut rng = fastrand::Rng::with_seed(0x7153_f1c5);
    let mut d = Dataset::default();
    for (class, radius) in [(0, (0.0, 0.15)), (1, (0.8, 0.95))] {
        let mut added = 0;
        while added < 6 {
            let rate = if added == 4 { 44_100.0 } else { 48_000.0 };
            let spec = SynthSpec { sample_rate: rate, ..SynthSpec::default() };
            let r = radius.0 + (radius.1 - radius.0) * rng.f32();
            let v = 0.3 + 0.7 * rng.f32();
            let (audio, onset, _) = synthetic::render(Sound::Snare { radius: r, velocity: v }, &spec, rng.u64(..));
            let Some((descriptor, level)) = synthetic::analyze(&audio, rate, onset, &[256]).remove(0) else {
                continue;
            };
            let mut e = Example::new(&descriptor, class, level, (d.examples.len() as f64) * 0.5);
            if added < 5 {
                let len = (SNIPPET_S * rate) as usize;
                e.snippet = audio[onset..onset + len].to_vec();
                e.snippet_rate = rate;
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
    let spec = SynthSpec { sample_rate: 48_000.0, ..SynthSpec::default() };
    let mut out = vec![d.examples[0].descriptor.clone(), d.examples[7].descriptor.clone()];
    let sounds = [
        Sound::Snare { radius: 0.05, velocity: 0.7 },
        Sound::Snare { radius: 0.5, velocity: 0.7 },
        Sound::Snare { radius: 0.9, velocity: 0.7 },
        Sound::Tom,
    ];
    for (i, s) in sounds.into_iter().enumerate() {
        let hit = (0..50).find_map(|k| synthetic::synth_hit(s, &spec, &[256], 900 + 100 * i as u64 + k)).expect("hit found");
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

#[test]
#[ignore = "writes the format-1 fixtures; released fixtures must never be regenerated"]
fn generate_v1_fixtures() {
    let d = fixture_dataset();
    let model = train(&d, &TrainConfig::default()).unwrap();
    let mut f = ModelFile::new("timbrel fixture generator (format 1)", AnalysisSettings::default(), model);
    f.dataset = Some(d.clone());
    let dir = fixtures();
    std::fs::create_dir_all(&dir).unwrap();
    file::save(&dir.join("model-v1.timbrel"), &f).unwrap();
    // The plugin's persisted field: the plain serde_json of the dataset.
    std::fs::write(dir.join("state-v1.json"), serde_json::to_string(&d).unwrap()).unwrap();
    let expected = expected_json(&f.model, &probe_descriptors(&d));
    std::fs::write(dir.join("expected-v1.json"), serde_json::to_string_pretty(&expected).unwrap() + "\n").unwrap();
}
