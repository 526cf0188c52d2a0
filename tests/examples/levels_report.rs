//! What "Learn levels" does on realistic material: the grooves of `timbrel_host_tests::kit`
//! (membrane snare and real kits, in rooms with bleed) at their usual level and 20 dB lower and
//! higher, analysed with the default settings and with the levels a `LevelLearner` learns from
//! the first 8 s of each take.
//!
//! `cargo run --release -p timbrel-host-tests --example levels_report -- [SEEDS]` (default 2
//! seeds per kit and rate).
use timbrel_core::analysis::AnalysisSettings;
use timbrel_host_tests::kit::groove::{GrooveSpec, Target};
use timbrel_host_tests::kit::material::{
    drumkits_or_skip, evaluate_grooves_with, learned_settings, GROOVE_KITS, RATES,
};

/// Seconds of each take the levels are learned from.
const LEARN_SECONDS: f32 = timbrel_core::analysis::levels::LEARN_SECONDS;

fn main() {
    if drumkits_or_skip("levels_report").is_none() {
        return;
    }
    let seeds: u64 = std::env::args()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let spec = GrooveSpec::default();
    let defaults = AnalysisSettings::default();
    println!("material   level   settings  recall  ghosts  rolls  flams  retriggers/100  F");
    for (name, kits, target) in [
        ("membrane", &GROOVE_KITS[..2], Target::Membrane),
        ("real kit", &GROOVE_KITS[..], Target::Kit),
    ] {
        for gain_db in [-20.0f32, 0.0, 20.0] {
            let gain = 10f32.powf(gain_db / 20.0);
            for learn in [false, true] {
                let score =
                    evaluate_grooves_with(kits, target, 1..1 + seeds, &RATES, &spec, |take| {
                        take.audio.iter_mut().for_each(|x| *x *= gain);
                        if learn {
                            let s = learned_settings(take, defaults, LEARN_SECONDS);
                            if std::env::var_os("TIMBREL_SHOW_LEVELS").is_some() {
                                eprintln!("{}: {:?}", take.name, s.detector);
                            }
                            s
                        } else {
                            defaults
                        }
                    })
                    .expect("kits load");
                println!(
                    "{name:9} {gain_db:+4.0} dB  {:8}  {:.3}   {:.3}   {:.3}  {:.3}  {:14.1}  {:.3}",
                    if learn { "learned" } else { "default" },
                    score.target.rate(),
                    score.ghost.rate(),
                    score.roll.rate(),
                    score.flams.rate(),
                    score.retriggers_per_100(),
                    score.f_measure()
                );
            }
        }
    }
}
