//! What a trained model sends in a real-kit groove, offline, over many kits, rooms and seeds
//! (issue #14: "real kit groove: snare recall >= 0.98, accuracy >= 0.95, notes that are not
//! snare hits <= 2 per 100 snare hits"). The CLAP host check (`tests/tests/clap_real_kit.rs`)
//! does the same through the plugin on one GMRockKit groove; this report repeats it on every
//! groove kit with a snare and a rimshot or side stick and several seeds, with the library as
//! the plugin uses it (`timbrel_host_tests::kit::notes`: the three ways to train, what counts).
//!
//! `cargo run --release -p timbrel-host-tests --example groove_notes -- [SEEDS]`
//!
//! Default 3 seeds; one-shots trained soft to loud (`ACCENTS=1`: accents only, -12..0 dB;
//! `NO_HATS=1`: without their hat descriptors, as before model format 4; `CRESCENDO=1`: each
//! take a crescendo, every slice of the level range played once, instead of random levels;
//! `WINDOW=N`: training and grooves analysed at that window, in reference samples, instead of
//! the plugin's default 256; `CONFIRM=N`: the later confirmation prototype, a second set of
//! models at window N whose novelty is averaged with the first's, unknown over
//! `CONFIRM_LIMIT`, default 1; see `kit::notes::confirmed`).
//! Printed per kit and over all: snare strokes, the shares with a class note, with the right
//! class, called unknown, ignored; class notes at no snare stroke per 100 snare strokes, by the
//! piece whose stroke is nearest; per stroke kind (ghosts, rolls, flam graces, the rest) the
//! shares with a class note and ignored; the noted strokes' classes against the truth.

use rayon::prelude::*;
use std::collections::BTreeMap;
use timbrel_host_tests::env_parsed;
use timbrel_host_tests::kit::material::{drumkits_or_skip, kits, GROOVE_KITS};
use timbrel_host_tests::kit::notes::{
    groove_tallies, Tally, Training, ACCENTS_DB, SOFT_TO_LOUD_DB, WAYS,
};

/// Render rate, in Hz.
const SAMPLE_RATE: f32 = 44_100.0;

fn main() {
    if drumkits_or_skip("groove_notes").is_none() {
        return;
    }
    let seeds: u64 = std::env::args()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let training = Training {
        levels_db: if std::env::var_os("ACCENTS").is_some() {
            ACCENTS_DB
        } else {
            SOFT_TO_LOUD_DB
        },
        crescendo: std::env::var_os("CRESCENDO").is_some(),
        hats: std::env::var_os("NO_HATS").is_none(),
        window_ref_samples: env_parsed("WINDOW").unwrap_or(Training::default().window_ref_samples),
        confirm: env_parsed("CONFIRM").map(|w| (w, env_parsed("CONFIRM_LIMIT").unwrap_or(1.0))),
    };
    let kits = kits(&GROOVE_KITS, SAMPLE_RATE).expect("kits load");
    let jobs: Vec<(usize, u64)> = (0..kits.len())
        .flat_map(|k| (0..seeds).map(move |s| (k, s)))
        .collect();
    let results: Vec<(String, [Tally; 3])> = jobs
        .par_iter()
        .filter_map(|&(k, s)| {
            let tallies = groove_tallies(&kits[k], 500 + 37 * s, &training)?;
            Some((kits[k].name.clone(), tallies))
        })
        .collect();
    let mut per_kit: BTreeMap<String, [Tally; 3]> = BTreeMap::new();
    let mut all: [Tally; 3] = Default::default();
    for (name, t) in &results {
        let e = per_kit.entry(name.clone()).or_default();
        for w in 0..3 {
            e[w].add(&t[w]);
            all[w].add(&t[w]);
        }
    }
    per_kit.insert("all".into(), all);
    println!("| kit | way | snare strokes | class note | right class | unknown | ignored | class notes elsewhere per 100 | class note / ignored: ghosts, rolls, flam graces, others | noted centre -> centre, edge; edge -> centre, edge |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (name, t) in &per_kit {
        for (way, t) in WAYS.iter().zip(t) {
            let pct = |k: usize| 100.0 * k as f64 / t.strokes.max(1) as f64;
            let kinds: Vec<String> = t
                .kinds
                .iter()
                .map(|&[n, noted, ignored]| {
                    let n = n.max(1) as f64;
                    format!(
                        "{:.0} / {:.0} %",
                        100.0 * noted as f64 / n,
                        100.0 * ignored as f64 / n
                    )
                })
                .collect();
            println!(
                "| {name} | {way} | {} | {:.1} % | {:.1} % | {:.1} % | {:.1} % | {:.1} {:?} | {} | {:?} |",
                t.strokes,
                pct(t.noted),
                pct(t.right),
                pct(t.unknown),
                pct(t.ignored),
                t.elsewhere_per_100(),
                t.elsewhere,
                kinds.join(", "),
                t.confusion
            );
        }
    }
}
