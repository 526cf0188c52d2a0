//! How the onset detector does on realistic material (issue 13): the Hydrogen kits' real
//! one-shots and the membrane synthesizer, rendered as a close snare mic hears them (room, noise
//! floor, bleed of every other piece), scored against the ground truth (`timbrel_host_tests::kit`).
//!
//! `cargo run --release -p timbrel-host-tests --example detection_report -- [SEEDS] [FILES]`
//! renders SEEDS grooves (default 4) per kit and rate (44.1 and 48 kHz) and FILES single-hit
//! files (default 1200), runs `Analyzer` with default settings in random block sizes, and prints
//! one table per material:
//! (a) membrane snare in a room with flams and real-kit bleed, (b) single-hit files,
//! (c) real-kit grooves, with where the hits' analysis windows start (moved off the detection
//! by `timbrel_core::analysis::anchor` or not), (d) dry single strokes per piece.
//! It first prints what the kits hold and a few numbers on the material's realism, and writes one
//! groove as `/tmp/timbrel-groove-GMRockKit-seed1.wav` with its ground truth `.csv`, to try
//! `timbrel onsets` on.
use std::time::Instant;

use timbrel_core::analysis::{AnalysisSettings, Analyzer, AnalyzerEvent};
use timbrel_core::biquad::{Biquad, BUTTERWORTH_Q};
use timbrel_host_tests::kit::attack::{gain_to_db, peak};
use timbrel_host_tests::kit::groove::{groove, plan, GrooveSpec, Target};
use timbrel_host_tests::kit::hydrogen::{shared_kit, Category, Group};
use timbrel_host_tests::kit::material::{
    drumkits_or_skip, evaluate_dry_strokes, evaluate_grooves, evaluate_single_hits, kits,
    GROOVE_KITS, ONESHOT_KITS, RATES,
};
use timbrel_host_tests::kit::render::{render, Take};
use timbrel_host_tests::kit::score::{median, TakeScore};
use timbrel_host_tests::kit::truth::{write_csv, Tag};

fn main() {
    if drumkits_or_skip("detection_report").is_none() {
        return;
    }
    let mut args = std::env::args().skip(1);
    let seeds: u64 = args.next().and_then(|v| v.parse().ok()).unwrap_or(4);
    let files: usize = args.next().and_then(|v| v.parse().ok()).unwrap_or(1200);
    let settings = AnalysisSettings::default();
    let start = Instant::now();

    kits_summary();
    realism();
    let t = Instant::now();
    println!("\nloading the kits at both rates...");
    for rate in RATES {
        for name in ONESHOT_KITS {
            shared_kit(name, rate).expect("kit loads");
        }
    }
    println!("  {:.1} s", t.elapsed().as_secs_f64());

    let spec = GrooveSpec::default();
    let t = Instant::now();
    let a = evaluate_grooves(
        &GROOVE_KITS[..2],
        Target::Membrane,
        1..1 + seeds,
        &RATES,
        &spec,
        settings,
    )
    .expect("kits load");
    println!(
        "\n(a) membrane snare, room, flams, bleed of {} ({} takes of {} s, {:.1} s)",
        GROOVE_KITS[..2].join(", "),
        a.takes,
        spec.duration_s,
        t.elapsed().as_secs_f64()
    );
    print_take_score(&a);

    let t = Instant::now();
    let b = evaluate_single_hits(&ONESHOT_KITS, &RATES, files, 1, settings).expect("kits load");
    println!(
        "\n(b) single-hit files in rooms with bleed ({} files over {} kits, {:.1} s)",
        b.files,
        ONESHOT_KITS.len(),
        t.elapsed().as_secs_f64()
    );
    println!(
        "  hit found                 {:7.2} %  ({} of {})",
        b.found_percent(),
        b.found,
        b.files
    );
    println!("  extra detections / 100    {:7.2}    ({} extra; {} of them at the second drum, in {} files with one)",
        b.extra_per_100(), b.extra, b.extra_at_second, b.with_second);
    println!(
        "  median |timing error|     {:7.3} ms",
        median(&b.errors_ms)
    );
    let by_piece: Vec<String> = b
        .by_piece
        .iter()
        .map(|(c, r)| format!("{} {}/{}", c.name(), r.found, r.strokes))
        .collect();
    println!("  found by piece            {}", by_piece.join(", "));
    for m in b.missed.iter().take(8) {
        println!("    missed: {m}");
    }

    let t = Instant::now();
    let c = evaluate_grooves(
        &GROOVE_KITS,
        Target::Kit,
        1..1 + seeds,
        &RATES,
        &spec,
        settings,
    )
    .expect("kits load");
    println!(
        "\n(c) real-kit grooves: {} ({} takes of {} s, {:.1} s)",
        GROOVE_KITS.join(", "),
        c.takes,
        spec.duration_s,
        t.elapsed().as_secs_f64()
    );
    print_take_score(&c);
    print_window_timing(1..1 + seeds, &spec, settings);

    let t = Instant::now();
    let d = evaluate_dry_strokes(&ONESHOT_KITS, &RATES, settings).expect("kits load");
    println!(
        "\n(d) dry single strokes, every layer of {} kits ({:.1} s)",
        ONESHOT_KITS.len(),
        t.elapsed().as_secs_f64()
    );
    println!("  piece    strokes  detections/stroke  missed  >1 detection");
    for (g, s) in &d.by_group {
        println!(
            "  {:<8} {:>7}  {:>17.2}  {:>6}  {:>12}",
            g.name(),
            s.strokes,
            s.per_stroke(),
            s.missed,
            s.multiple
        );
    }
    println!("\ntotal {:.1} s", start.elapsed().as_secs_f64());
}

/// Where the hits' analysis windows start on the real-kit grooves, against the snare strokes:
/// a hit moved off its detection (`timbrel_core::analysis::anchor`) should move towards the
/// stroke. Hits are matched to the nearest snare stroke within 10 ms of their detection.
fn print_window_timing(seeds: std::ops::Range<u64>, spec: &GrooveSpec, settings: AnalysisSettings) {
    let (mut hits, mut moved, mut worse) = (0usize, 0usize, 0usize);
    let (mut window, mut detection, mut moved_window, mut moved_detection) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for rate in RATES {
        for kit in kits(&GROOVE_KITS, rate).expect("kits load") {
            for seed in seeds.clone() {
                let take = groove(&kit, Target::Kit, spec, seed);
                let mut analyzer = Analyzer::new(take.sample_rate, settings);
                let mut found = Vec::new();
                analyzer.process(&take.audio, |e| {
                    if let AnalyzerEvent::Hit(h) = e {
                        found.push((h.detected_onset_sample, h.onset_sample));
                    }
                });
                analyzer.process(&vec![0.0; 16_384], |e| {
                    if let AnalyzerEvent::Hit(h) = e {
                        found.push((h.detected_onset_sample, h.onset_sample));
                    }
                });
                let ms = |a: u64, b: u64| a.abs_diff(b) as f64 * 1000.0 / rate as f64;
                for (det, onset) in found {
                    let Some(stroke) = take
                        .events
                        .iter()
                        .filter(|e| e.target && ms(e.onset, det) <= 10.0)
                        .min_by_key(|e| e.onset.abs_diff(det))
                    else {
                        continue;
                    };
                    hits += 1;
                    window.push(ms(onset, stroke.onset));
                    detection.push(ms(det, stroke.onset));
                    if onset != det {
                        moved += 1;
                        worse += usize::from(ms(onset, stroke.onset) > ms(det, stroke.onset));
                        moved_window.push(ms(onset, stroke.onset));
                        moved_detection.push(ms(det, stroke.onset));
                    }
                }
            }
        }
    }
    println!(
        "  hit windows at snare strokes: {hits}, median |window start - onset| {:.3} ms \
         (detections {:.3} ms); moved {moved}: median {:.3} ms (their detections {:.3} ms), \
         {worse} of them further from the stroke",
        median(&window),
        median(&detection),
        median(&moved_window),
        median(&moved_detection)
    );
}

fn print_take_score(s: &TakeScore) {
    let r = |x: &timbrel_host_tests::kit::score::Recall| {
        format!("{:.4} ({} of {})", x.rate(), x.found, x.strokes)
    };
    println!(
        "  F-measure (±10 ms)        {:.4}   precision {:.4}",
        s.f_measure(),
        s.precision()
    );
    println!("  snare recall, all         {}", r(&s.target));
    println!("    backbeats and flam mains {}", r(&s.main));
    println!("    ghost notes             {}", r(&s.ghost));
    println!("    flam grace notes        {}", r(&s.flam_grace));
    println!("    roll strokes            {}", r(&s.roll));
    println!("    with a hat or kick      {}", r(&s.coinciding));
    println!("  flams with both hits      {}", r(&s.flams));
    println!("  median |timing error|     {:.3} ms", s.median_error_ms());
    println!(
        "  retriggers / 100 snare    {:.2}   ({} of {} detections)",
        s.retriggers_per_100(),
        s.retriggers,
        s.detections
    );
    println!("  detections on other pieces' strokes, per 100 snare hits:");
    for g in [Group::Hat, Group::Cymbal, Group::Tom, Group::Kick] {
        let strokes: usize = s
            .bleed
            .iter()
            .filter(|(c, _)| c.group() == g)
            .map(|(_, r)| r.strokes)
            .sum();
        println!(
            "    {:<7} {:6.2}   ({} strokes of it)",
            g.name(),
            s.bleed_detections_per_100(g),
            strokes
        );
    }
}

/// What each kit holds: instruments per category, layers, the files' rates, lead-in before the
/// attack.
fn kits_summary() {
    println!("kits (at 44.1 kHz):");
    for name in ONESHOT_KITS {
        let kit = shared_kit(name, 44_100.0).expect("kit loads");
        let layers: Vec<_> = kit.instruments.iter().flat_map(|i| &i.layers).collect();
        let mut rates: Vec<u32> = layers.iter().map(|l| l.source_rate).collect();
        rates.sort();
        rates.dedup();
        let lead: Vec<f64> = layers.iter().map(|l| l.lead_in_s as f64 * 1000.0).collect();
        let max_lead = lead.iter().cloned().fold(0.0, f64::max);
        let cats: Vec<String> = Category::ALL
            .iter()
            .filter_map(|c| {
                let n = kit.of(*c).count();
                (n > 0).then(|| format!("{}x{}", n, c.name()))
            })
            .collect();
        println!(
            "  {:<24} {:>3} layers, files at {:?} Hz, lead-in before the attack median {:.1} ms, max {:.1} ms\n      {}",
            name,
            layers.len(),
            rates,
            median(&lead),
            max_lead,
            cats.join(" ")
        );
    }
}

/// Realism by numbers: per groove kit, the levels each piece reaches at the mic relative to the
/// snare's backbeats (raw peak, and peak above 1 kHz where the detector looks), the room, what
/// the take holds; and one take saved as WAV + CSV.
fn realism() {
    println!("\nrealism (one groove per kit, seed 1, 44.1 kHz; levels are medians over strokes of the\npiece rendered alone through the room, peak in the first 20 ms, relative to the snare backbeats):");
    let spec = GrooveSpec::default();
    for name in GROOVE_KITS {
        let kit = shared_kit(name, 44_100.0).expect("kit loads");
        let (mix, strokes) = plan(&kit, Target::Kit, &spec, 1);
        let sr = mix.sample_rate;
        let room = mix.room.clone();
        let take = render(mix.clone(), &strokes);
        let w = (0.02 * sr) as usize;
        // Each group alone (no noise), then the peak of every stroke's first 20 ms.
        let level = |pred: &dyn Fn(&timbrel_host_tests::kit::truth::Event) -> bool, hp: bool| {
            let part: Vec<_> = strokes.iter().filter(|s| pred(&s.event)).cloned().collect();
            let alone = render(
                timbrel_host_tests::kit::render::Mix {
                    noise_dbfs: -300.0,
                    ..mix.clone()
                },
                &part,
            );
            let mut audio = alone.audio;
            if hp {
                let mut f = Biquad::highpass(1000.0, BUTTERWORTH_Q, sr);
                f.process_slice(&mut audio);
            }
            let peaks: Vec<f64> = part
                .iter()
                .map(|s| {
                    let o = s.event.onset as usize;
                    gain_to_db(peak(&audio[o..(o + w).min(audio.len())])) as f64
                })
                .collect();
            median(&peaks)
        };
        let backbeat = |e: &timbrel_host_tests::kit::truth::Event| {
            e.target && e.level_db > -3.0 && !e.tags.has(Tag::FlamGrace)
        };
        let (bb_raw, bb_hp) = (level(&backbeat, false), level(&backbeat, true));
        println!(
            "  {name}: {} events ({} snare: {} ghosts, {} flams, {} roll strokes, {} with hat/kick); room RT60 {:.2} s, tail {:.1} dB, target reflections at {} ms; noise {:.1} dBFS",
            take.events.len(),
            take.events.iter().filter(|e| e.target).count(),
            count(&take, Tag::Ghost),
            count(&take, Tag::FlamMain),
            count(&take, Tag::Roll),
            take.events.iter().filter(|e| e.tags.has(Tag::WithHat) || e.tags.has(Tag::WithKick)).count(),
            room.rt60_s,
            room.tail_db,
            room.paths[0].iter().map(|r| format!("{:.1} ({:.1} dB)", r.delay as f32 / sr * 1000.0, r.level_db)).collect::<Vec<_>>().join(", "),
            take.noise_dbfs,
        );
        let ghost = |e: &timbrel_host_tests::kit::truth::Event| e.tags.has(Tag::Ghost);
        print!(
            "      ghost {:+.1}/{:+.1} dB",
            level(&ghost, false) - bb_raw,
            level(&ghost, true) - bb_hp
        );
        for g in [Group::Hat, Group::Cymbal, Group::Tom, Group::Kick] {
            let pred =
                |e: &timbrel_host_tests::kit::truth::Event| !e.target && e.piece.group() == g;
            if !take.events.iter().any(pred) {
                continue;
            }
            print!(
                "  {} {:+.1}/{:+.1} dB",
                g.name(),
                level(&pred, false) - bb_raw,
                level(&pred, true) - bb_hp
            );
        }
        println!("   (raw/above 1 kHz)");
        if name == "GMRockKit" {
            let wav = "/tmp/timbrel-groove-GMRockKit-seed1.wav";
            let csv = "/tmp/timbrel-groove-GMRockKit-seed1.csv";
            let spec_wav = hound::WavSpec {
                channels: 1,
                sample_rate: sr as u32,
                bits_per_sample: 32,
                sample_format: hound::SampleFormat::Float,
            };
            let mut w = hound::WavWriter::create(wav, spec_wav).expect("create WAV");
            for &x in &take.audio {
                w.write_sample(x).expect("write WAV");
            }
            w.finalize().expect("finish WAV");
            let f = std::fs::File::create(csv).expect("create CSV");
            write_csv(std::io::BufWriter::new(f), &take.events, sr).expect("write CSV");
            println!("      saved {wav} and {csv}");
        }
    }
}

fn count(take: &Take, tag: Tag) -> usize {
    take.events.iter().filter(|e| e.tags.has(tag)).count()
}
