//! End-to-end tests of `timbrel train`, `classify` and `eval`: seeded synthesized snare
//! one-shots with known strike radius written as WAV files to a temp dir, the real binary run
//! on them, its output checked against the ground truth.

mod common;

use common::{stdout, timbrel};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Instant;

use hound::{SampleFormat, WavSpec, WavWriter};
use tempfile::TempDir;
use timbrel_learn::synthetic::{render, Sound, SynthSpec};

/// Centre hits are struck at radius 0..=CENTER_MAX (0 = centre, 1 = rim).
const CENTER_MAX: f32 = 0.15;
/// Edge hits are struck at radius EDGE_MIN..=0.95.
const EDGE_MIN: f32 = 0.8;

/// Asserts a clean failure: exit status 1, one line on stderr containing `needle`, no panic.
fn fails_with(output: &Output, needle: &str) -> String {
    let err = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(
        output.status.code(),
        Some(1),
        "expected failure, got {}: {err}",
        output.status
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "expected one line: {err}"
    );
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
    err
}

/// Writes mono 32-bit float audio at `rate` Hz.
fn write_wav(path: &Path, audio: &[f32], rate: u32) {
    let spec = WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 32,
        sample_format: SampleFormat::Float,
    };
    let mut w = WavWriter::create(path, spec).unwrap();
    for &s in audio {
        w.write_sample(s.clamp(-1.0, 1.0)).unwrap();
    }
    w.finalize().unwrap();
}

/// Writes `count` one-shots of snare hits struck at radii uniform in `radius` into `dir`
/// (created) as `{prefix}NN.wav`, seeded from `seed`. Returns the files and their radii.
fn snare_files(
    dir: &Path,
    prefix: &str,
    count: usize,
    radius: (f32, f32),
    seed: u64,
) -> Vec<(PathBuf, f32)> {
    std::fs::create_dir_all(dir).unwrap();
    let spec = SynthSpec::default();
    let mut rng = fastrand_like(seed);
    (0..count)
        .map(|i| {
            let r = radius.0 + (radius.1 - radius.0) * rng();
            // NOTE: the softest hits of the synthetic spec are near the detector's floor; the
            // tests are about classification, so velocities start at 0.3.
            let velocity = 0.3 + 0.7 * rng();
            let (audio, _, _) = render(
                Sound::Snare {
                    radius: r,
                    velocity,
                },
                &spec,
                seed * 1000 + i as u64,
            );
            let path = dir.join(format!("{prefix}{i:02}.wav"));
            write_wav(&path, &audio, spec.sample_rate as u32);
            (path, r)
        })
        .collect()
}

/// A tiny seeded uniform generator (0..1), so the test needs no RNG crate.
fn fastrand_like(seed: u64) -> impl FnMut() -> f32 {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// The training corpus: 30 centre one-shots in `center/`, 30 edge one-shots in `edge/`.
fn training_corpus(root: &Path) {
    snare_files(&root.join("center"), "c", 30, (0.0, CENTER_MAX), 1);
    snare_files(&root.join("edge"), "e", 30, (EDGE_MIN, 0.95), 2);
}

/// One parsed `classify` row.
#[derive(Debug)]
struct Row {
    file: String,
    onset_s: f64,
    class: String,
    confidence: f64,
    interpolation: f64,
    probabilities: Vec<f64>,
}

fn parse_classify(text: &str) -> (Vec<String>, Vec<Row>) {
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .expect("header")
        .split(',')
        .map(String::from)
        .collect();
    let rows = lines
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f.len(), header.len(), "{line}");
            Row {
                file: f[0].to_string(),
                onset_s: f[1].parse().unwrap(),
                class: f[2].to_string(),
                confidence: f[3].parse().unwrap(),
                interpolation: f[4].parse().unwrap(),
                probabilities: f[5..].iter().map(|v| v.parse().unwrap()).collect(),
            }
        })
        .collect();
    (header, rows)
}

fn train_lda(root: &Path, output: &str) {
    let out = timbrel(
        &[
            "train",
            "-c",
            "center=center",
            "-c",
            "edge=edge",
            "--model",
            "lda",
            "-o",
            output,
        ],
        root,
    );
    stdout(&out);
}

#[test]
fn train_then_classify_held_out_hits() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path();
    training_corpus(root);
    let centre_test = snare_files(&root.join("test"), "c", 20, (0.0, CENTER_MAX), 11);
    let edge_test = snare_files(&root.join("test"), "e", 20, (EDGE_MIN, 0.95), 12);
    let middle_test = snare_files(&root.join("test"), "m", 10, (0.4, 0.55), 13);

    let start = Instant::now();
    let out = timbrel(
        &[
            "train",
            "-c",
            "center=center",
            "-c",
            "edge=edge",
            "-o",
            "snare.timbrel",
        ],
        root,
    );
    let train_s = start.elapsed().as_secs_f64();
    stdout(&out);
    let summary = String::from_utf8_lossy(&out.stderr);
    eprintln!("train (auto) took {train_s:.2} s:\n{summary}");
    assert!(summary.contains("center: 30 hits in 30 files"), "{summary}");
    assert!(summary.contains("edge: 30 hits in 30 files"), "{summary}");
    assert!(summary.contains("cross-validated accuracy"), "{summary}");
    assert!(summary.contains("ECE"), "{summary}");

    let mut args: Vec<String> = vec!["classify".into(), "-m".into(), "snare.timbrel".into()];
    let names = |files: &[(PathBuf, f32)]| -> Vec<String> {
        files
            .iter()
            .map(|(p, _)| p.strip_prefix(root).unwrap().to_str().unwrap().to_string())
            .collect()
    };
    args.extend(names(&centre_test));
    args.extend(names(&edge_test));
    args.extend(names(&middle_test));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let text = stdout(&timbrel(&args, root));
    let (header, rows) = parse_classify(&text);
    assert_eq!(
        header,
        [
            "file",
            "onset_s",
            "class",
            "confidence",
            "interpolation",
            "p_center",
            "p_edge"
        ]
    );

    let (mut correct, mut total) = (0, 0);
    let (mut ci, mut ei, mut mi) = (vec![], vec![], vec![]);
    for row in &rows {
        let name = row.file.rsplit('/').next().unwrap();
        // A third of the files have another drum's stroke (the synthesizer's kick or tom bleed,
        // up to 40 ms before the snare); a detection there is not the snare and must not be
        // called one of its classes.
        if (row.onset_s - f64::from(timbrel_learn::synthetic::PRE_ROLL_S)).abs() > 0.01 {
            assert!(
                row.class == "unknown" || row.class == "ignored",
                "a bleed detection called a class of the drum: {row:?}"
            );
            continue;
        }
        let sum: f64 = row.probabilities.iter().sum();
        assert!((sum - 1.0).abs() < 2e-3, "{row:?}");
        assert!(
            (0.0..=1.0).contains(&row.interpolation) && (0.0..=1.0).contains(&row.confidence),
            "{row:?}"
        );
        let truth = match &name[..1] {
            "c" => {
                ci.push(row.interpolation);
                "center"
            }
            "e" => {
                ei.push(row.interpolation);
                "edge"
            }
            _ => {
                mi.push(row.interpolation);
                continue;
            }
        };
        total += 1;
        correct += usize::from(row.class == truth);
        if row.class != truth {
            eprintln!("wrong: {row:?}");
        }
    }
    let accuracy = correct as f64 / total as f64;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    eprintln!(
        "held-out: {correct}/{total} correct ({:.1} %); mean interpolation centre {:.3}, middle {:.3}, edge {:.3}",
        100.0 * accuracy,
        mean(&ci),
        mean(&mi),
        mean(&ei)
    );
    assert!(
        total >= 38,
        "the detector missed held-out hits: {total} rows of 40"
    );
    assert!(accuracy >= 0.95, "accuracy {accuracy}");
    assert!(
        mean(&ci) < 0.25 && mean(&ei) > 0.75,
        "centre {} edge {}",
        mean(&ci),
        mean(&ei)
    );
    assert!(
        mean(&ci) < mean(&mi) && mean(&mi) < mean(&ei),
        "middle hits are not in between"
    );
}

#[test]
fn sounds_that_are_not_the_snare() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path();
    training_corpus(root);
    train_lda(root, "snare.timbrel");
    let spec = SynthSpec::default();
    let mut files = Vec::new();
    for (k, sound) in [Sound::Cymbal, Sound::Noise, Sound::Tom, Sound::Kick]
        .into_iter()
        .enumerate()
    {
        for i in 0..3 {
            let (audio, _, _) = render(sound, &spec, 100 + 10 * k as u64 + i);
            let name = format!("{sound:?}{i}.wav").to_lowercase();
            write_wav(&root.join(&name), &audio, spec.sample_rate as u32);
            files.push(name);
        }
    }
    let mut args = vec!["classify", "-m", "snare.timbrel"];
    args.extend(files.iter().map(String::as_str));
    let (_, rows) = parse_classify(&stdout(&timbrel(&args, root)));
    let unknown = rows.iter().filter(|r| r.class == "unknown").count();
    for r in &rows {
        eprintln!(
            "{} -> {} (confidence {:.3}, interpolation {:.3})",
            r.file, r.class, r.confidence, r.interpolation
        );
    }
    eprintln!("{unknown} of {} non-snare hits unknown", rows.len());
    for r in rows.iter().filter(|r| r.class == "unknown") {
        // Rejected hits still have their probabilities and interpolation.
        assert!(
            (r.probabilities.iter().sum::<f64>() - 1.0).abs() < 2e-3,
            "{r:?}"
        );
    }
    // NOTE: cymbals and noise bursts are far from any snare hit and must be rejected; toms and
    // kicks are drums too, and timbrel-learn does not promise to reject every one of them
    // (its goal test reports that rate without asserting it), so they are only printed.
    let far: Vec<&Row> = rows
        .iter()
        .filter(|r| r.file.starts_with("cymbal") || r.file.starts_with("noise"))
        .collect();
    assert!(
        far.len() >= 6,
        "hits missed in the cymbal and noise files: {far:?}"
    );
    for r in far {
        assert_eq!(r.class, "unknown", "{r:?}");
    }
}

#[test]
fn folders_globs_and_repeated_classes_give_the_same_examples() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path();
    training_corpus(root);
    // A folder, and the same files by glob and by repeating -c with halves of the folder.
    train_lda(root, "folder.timbrel");
    stdout(&timbrel(
        &[
            "train",
            "-c",
            "center=center/c*.wav",
            "-c",
            "edge=edge/*.wav",
            "--model",
            "lda",
            "-o",
            "glob.timbrel",
        ],
        root,
    ));
    let out = timbrel(
        &[
            "train",
            "-c",
            "center=center/c0*.wav",
            "-c",
            "edge=edge",
            "-c",
            "center=center/c[12]*.wav",
            "--model",
            "lda",
            "-o",
            "repeated.timbrel",
        ],
        root,
    );
    stdout(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("center: 30 hits in 30 files"));
    let folder = std::fs::read(root.join("folder.timbrel")).unwrap();
    // NOTE: assert! rather than assert_eq!, which would print megabytes of bytes.
    assert!(
        folder == std::fs::read(root.join("glob.timbrel")).unwrap(),
        "glob differs from folder"
    );
    assert!(
        folder == std::fs::read(root.join("repeated.timbrel")).unwrap(),
        "repeated -c differs from folder"
    );
    // A nested folder reached through a symlink is searched too.
    #[cfg(unix)]
    {
        std::fs::create_dir_all(root.join("linked")).unwrap();
        std::os::unix::fs::symlink(root.join("edge"), root.join("linked/edge-link")).unwrap();
        stdout(&timbrel(
            &[
                "train",
                "-c",
                "center=center",
                "-c",
                "edge=linked",
                "--model",
                "lda",
                "-o",
                "link.timbrel",
            ],
            root,
        ));
        let linked = std::fs::read(root.join("link.timbrel")).unwrap();
        // NOTE: the example times (onsets) and descriptors match; only the file order could
        // differ, and both are sorted by name.
        assert!(folder == linked, "symlinked folder differs");
    }
}

#[test]
fn training_is_deterministic_and_stores_the_analysis_settings() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path();
    training_corpus(root);
    for name in ["a.timbrel", "b.timbrel"] {
        stdout(&timbrel(
            &[
                "train",
                "-c",
                "center=center",
                "-c",
                "edge=edge",
                "--window",
                "512",
                "-o",
                name,
            ],
            root,
        ));
    }
    let a = std::fs::read(root.join("a.timbrel")).unwrap();
    assert!(
        a == std::fs::read(root.join("b.timbrel")).unwrap(),
        "two trainings differ"
    );
    let json: serde_json::Value = serde_json::from_slice(&a).unwrap();
    assert_eq!(json["format"], "timbrel-model");
    assert_eq!(json["format_version"], 2);
    assert_eq!(json["analysis"]["window_ref_samples"], 512);
    assert!(json["created_by"].as_str().unwrap().starts_with("timbrel "));
    let examples = json["dataset"]["examples"].as_array().unwrap();
    assert_eq!(examples.len(), 60);
    // Every training hit is also kept under the analyzer's synthetic hi-hat, and the model
    // reaches from each class to those hits (a segment with both ends on one class).
    assert!(examples.iter().all(|e| {
        let (plain, hat) = (&e["descriptor"], &e["hat_descriptor"]);
        hat.as_array().map(Vec::len) == plain.as_array().map(Vec::len) && hat != plain
    }));
    assert_eq!(json["model_format_version"], 5);
    let segments = json["model"]["novelty"]["Box"]["segments"]
        .as_array()
        .unwrap();
    let ends: Vec<(u64, u64)> = segments
        .iter()
        .map(|s| {
            (
                s["ends"][0].as_u64().unwrap(),
                s["ends"][1].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(ends, [(0, 1), (0, 0), (1, 1)]);
    // classify takes its settings from the model: no --window to conflict with.
    let out = timbrel(
        &[
            "classify",
            "-m",
            "a.timbrel",
            "--window",
            "256",
            "center/c00.wav",
        ],
        root,
    );
    assert_eq!(out.status.code(), Some(2));
    let (_, rows) = parse_classify(&stdout(&timbrel(
        &["classify", "-m", "a.timbrel", "center/c00.wav"],
        root,
    )));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].class, "center");
    // Without the dataset the file is smaller and still loads.
    stdout(&timbrel(
        &[
            "train",
            "-c",
            "center=center",
            "-c",
            "edge=edge",
            "--model",
            "lda",
            "--no-dataset",
            "-o",
            "small.timbrel",
        ],
        root,
    ));
    let small: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("small.timbrel")).unwrap()).unwrap();
    assert!(small.get("dataset").is_none());
    stdout(&timbrel(
        &["classify", "-m", "small.timbrel", "edge/e00.wav"],
        root,
    ));
}

#[test]
fn bad_model_files_fail_cleanly_naming_the_file() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path();
    training_corpus(root);
    train_lda(root, "good.timbrel");
    let good = std::fs::read(root.join("good.timbrel")).unwrap();
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v: serde_json::Value = serde_json::from_slice(&good).unwrap();
        f(&mut v);
        serde_json::to_vec(&v).unwrap()
    };
    let corrupt = String::from_utf8(good.clone()).unwrap().replacen(
        "\"format_version\":2,",
        "\"format_version\":2;",
        1,
    );
    assert_ne!(corrupt.as_bytes(), good.as_slice());
    let corrupt = corrupt.into_bytes();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated.timbrel",
            good[..good.len() / 2].to_vec(),
            "truncated",
        ),
        ("cut-early.timbrel", good[..30].to_vec(), "truncated"),
        ("empty.timbrel", Vec::new(), "not a timbrel model file"),
        (
            "garbage.timbrel",
            (0..5000u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect(),
            "not a timbrel model file",
        ),
        ("corrupt.timbrel", corrupt, "corrupt JSON at line 1 column"),
        (
            "future.timbrel",
            edit(&|v| v["format_version"] = 7.into()),
            "unsupported format version 7 (this timbrel reads versions 1 to 2)",
        ),
        (
            "layout.timbrel",
            edit(&|v| v["layout_version"] = 2.into()),
            "descriptor layout 2, expected 1",
        ),
        (
            "magic.timbrel",
            edit(&|v| v["format"] = "wav".into()),
            "not a timbrel model file",
        ),
        (
            "infinite.timbrel",
            edit(&|v| v["model"]["temperature"] = 1e300.into()),
            "invalid model",
        ),
        (
            "shape.timbrel",
            edit(&|v| v["model"]["pca"] = 3.into()),
            "corrupt model file",
        ),
    ];
    std::fs::copy(root.join("center/c00.wav"), root.join("sound.timbrel")).unwrap();
    for (name, bytes, _) in &cases {
        std::fs::write(root.join(name), bytes).unwrap();
    }
    let mut all = cases.iter().map(|(n, _, e)| (*n, *e)).collect::<Vec<_>>();
    // A good model with one unreadable WAV: the other file's rows come out, the bad one is
    // named, and the exit status is 1.
    let out = timbrel(
        &[
            "classify",
            "-m",
            "good.timbrel",
            "center/c00.wav",
            "nope.wav",
        ],
        root,
    );
    fails_with(&out, "nope.wav: cannot open");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
    all.push(("sound.timbrel", "not a timbrel model file"));
    all.push(("missing.timbrel", "cannot open"));
    for (name, needle) in all {
        let out = timbrel(&["classify", "-m", name, "center/c00.wav"], root);
        let err = fails_with(&out, needle);
        assert!(err.contains(name), "{err}");
        assert!(out.stdout.is_empty(), "{name}: wrote output");
        eprintln!("{}", err.trim_end());
    }
}

#[test]
fn training_errors_are_clear() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path();
    snare_files(&root.join("center"), "c", 4, (0.0, CENTER_MAX), 1);
    snare_files(&root.join("edge"), "e", 4, (EDGE_MIN, 0.95), 2);
    std::fs::create_dir_all(root.join("silent")).unwrap();
    write_wav(&root.join("silent/quiet.wav"), &vec![0.0; 44_100], 44_100);
    std::fs::create_dir_all(root.join("broken")).unwrap();
    std::fs::write(root.join("broken/bad.wav"), b"RIFF junk").unwrap();
    let cases: [(&[&str], &str); 8] = [
        (&["-c", "center=center"], "at least 2 classes"),
        (
            &["-c", "center=center", "-c", "edge=silent"],
            "class `edge`: no hits found",
        ),
        (
            &["-c", "center=center", "-c", "edge=broken"],
            "broken/bad.wav",
        ),
        (
            &["-c", "center=center", "-c", "edge=nowhere"],
            "nowhere: cannot open",
        ),
        (
            &["-c", "center=center", "-c", "edge=edge/zz*.wav"],
            "matches no files",
        ),
        (
            &[
                "-c",
                "center=center",
                "-c",
                "edge=edge",
                "--pair",
                "center,rim",
            ],
            "no class named `rim`",
        ),
        (&["-c", "center=center", "-c", "unknown=edge"], "reserved"),
        (
            &["-c", "center=center", "-c", "edge=edge", "-c", "rim=silent"],
            "class `rim`: no hits found",
        ),
    ];
    for (args, needle) in cases {
        let mut all = vec!["train"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--model", "lda", "-o", "m.timbrel"]);
        fails_with(&timbrel(&all, root), needle);
        assert!(!root.join("m.timbrel").exists());
    }
    // The pair can be any two classes.
    let out = timbrel(
        &[
            "train",
            "-c",
            "center=center",
            "-c",
            "edge=edge",
            "-c",
            "mid=center/c00.wav",
            "--pair",
            "edge,center",
            "--model",
            "lda",
            "-o",
            "m.timbrel",
        ],
        root,
    );
    stdout(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("interpolation: edge = 0 to center = 1"));
}

#[test]
fn eval_prints_a_labelled_confusion_matrix_and_advice() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path();
    training_corpus(root);
    // One edge hit filed as centre: it should come out as a doubtful hit.
    std::fs::copy(
        root.join("edge/e05.wav"),
        root.join("center/x-mislabelled.wav"),
    )
    .unwrap();
    let text = stdout(&timbrel(
        &[
            "eval",
            "-c",
            "center=center",
            "-c",
            "edge=edge",
            "--model",
            "lda",
        ],
        root,
    ));
    eprintln!("{text}");
    assert!(
        text.starts_with("lda by leave-one-out on 61 hits"),
        "{text}"
    );
    assert!(text.contains("accuracy"));
    assert!(text.contains("ECE"));
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("confusion matrix"))
        .expect("confusion matrix");
    let head: Vec<&str> = lines[at + 1].split_whitespace().collect();
    assert_eq!(head, ["center", "edge", "error"]);
    let centre: Vec<&str> = lines[at + 2].split_whitespace().collect();
    let edge: Vec<&str> = lines[at + 3].split_whitespace().collect();
    assert_eq!((centre[0], edge[0]), ("center", "edge"));
    let count = |row: &[&str], i: usize| row[i].parse::<u32>().unwrap();
    assert_eq!(count(&centre, 1) + count(&centre, 2), 31);
    assert_eq!(count(&edge, 1) + count(&edge, 2), 30);
    assert!(
        text.lines().any(|l| l.contains("center/x-mislabelled.wav")
            && l.contains(", center, edge, misclassified")),
        "the mislabelled hit is not listed:\n{text}"
    );
    assert!(text.contains("advice:"));
    assert!(
        text.lines()
            .any(|l| l.contains("center has") && l.contains("doubtful hits")),
        "{text}"
    );
}

/// The model-file fixtures of `timbrel-learn` (`learn/tests/fixtures/`).
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../learn/tests/fixtures")
        .join(name)
}

#[test]
fn classify_loads_format_1_and_format_2_model_files() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path();
    let spec = SynthSpec {
        sample_rate: 48_000.0,
        ..SynthSpec::default()
    };
    for (name, radius) in [("centre.wav", 0.05), ("edge.wav", 0.9)] {
        let (audio, _, _) = render(
            Sound::Snare {
                radius,
                velocity: 0.7,
            },
            &spec,
            31,
        );
        write_wav(&root.join(name), &audio, 48_000);
    }
    let mut outputs = Vec::new();
    for version in ["v1", "v2"] {
        let model = fixture(&format!("model-{version}.timbrel"));
        let text = stdout(&timbrel(
            &[
                "classify",
                "-m",
                model.to_str().unwrap(),
                "centre.wav",
                "edge.wav",
            ],
            root,
        ));
        let (header, rows) = parse_classify(&text);
        assert_eq!(&header[5..], ["p_center", "p_edge"], "{text}");
        assert_eq!(rows.len(), 2, "{text}");
        assert_eq!(
            (rows[0].class.as_str(), rows[1].class.as_str()),
            ("center", "edge"),
            "{text}"
        );
        outputs.push(text);
    }
    // The same model in both formats: the same rows.
    assert_eq!(outputs[0], outputs[1]);
}
