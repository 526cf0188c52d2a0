//! The CLI on real drum recordings (Hydrogen kits; skipped with a message when they are not
//! installed, except under CI): one example per one-shot file, doubtful training hits in
//! `timbrel eval`, and other instruments of other kits rejected as unknown.

mod common;
#[path = "common/kit.rs"]
mod kit;

use common::{stdout, timbrel};

#[test]
fn one_shot_files_give_one_example_each_and_eval_lists_doubts() {
    if !kit::available("one_shot_files_give_one_example_each_and_eval_lists_doubts") {
        return;
    }
    let k = format!("{}/GMRockKit", kit::KITS_DIR);
    let dir = std::env::temp_dir();
    let center = format!("center={k}/Snare-*.wav");
    let rim = format!("rim={k}/SnareRimshot-*.wav");
    let out = timbrel(&["eval", "-c", &center, "-c", &rim, "--floor", "-70"], &dir);
    let text = stdout(&out);
    let log = String::from_utf8_lossy(&out.stderr);
    // Five layers per class, one example each, whatever the detector finds in their tails.
    assert!(text.contains("on 10 hits"), "{text}");
    assert!(log.contains("center 5 hits, rim 5 hits"), "{log}");
    assert!(text.contains("doubtful training hits ("), "{text}");
    // With --every-hit every detection is an example; the retrigger mask finds exactly one hit
    // in each of these layers, so the count is the same.
    let all = stdout(&timbrel(
        &[
            "eval",
            "-c",
            &center,
            "-c",
            &rim,
            "--floor",
            "-70",
            "--every-hit",
        ],
        &dir,
    ));
    assert!(all.contains("on 10 hits"), "{all}");
}

#[test]
fn other_instruments_of_other_kits_are_unknown() {
    if !kit::available("other_instruments_of_other_kits_are_unknown") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("snare.timbrel");
    let k = format!("{}/GMRockKit", kit::KITS_DIR);
    stdout(&timbrel(
        &[
            "train",
            "-c",
            &format!("center={k}/Snare-*.wav"),
            "-c",
            &format!("rim={k}/SnareRimshot-*.wav"),
            "--floor",
            "-70",
            "-o",
            model.to_str().unwrap(),
        ],
        dir.path(),
    ));
    // Hi-hats and kicks of another kit.
    let f = format!("{}/ForzeeStereo", kit::KITS_DIR);
    let mut args = vec![
        "classify".to_string(),
        "-m".into(),
        model.to_str().unwrap().into(),
    ];
    for name in ["HiHatClosed", "HiHatSemiopen", "Kick"] {
        for l in 0..5 {
            args.push(format!("{f}/{name}-{l}.wav"));
        }
    }
    let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    let text = stdout(&timbrel(&args, dir.path()));
    let rows: Vec<&str> = text.lines().skip(1).filter(|l| !l.is_empty()).collect();
    let unknown = rows.iter().filter(|l| l.contains("unknown")).count();
    assert!(rows.len() >= 15, "{text}");
    assert!(
        unknown as f64 >= 0.9 * rows.len() as f64,
        "{unknown} of {}:\n{text}",
        rows.len()
    );
}
