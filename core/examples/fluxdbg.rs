use timbrel_core::analysis::{AnalysisSettings, Analyzer, DetectorKind};
use timbrel_core::synth::{Performance, PerformanceSpec};
fn main() {
    let sr = 44100.0;
    let perf = Performance::generate(PerformanceSpec::default(), 1);
    let audio = perf.render(sr);
    let mut s = AnalysisSettings::default();
    s.detector.kind = DetectorKind::Flux;
    let mut an = Analyzer::new(sr, s);
    let mut vals = Vec::new();
    for c in audio.chunks(64) { an.process(c, |_| {}); vals.push((an.position(), an.detection_meter())); }
    let truth: Vec<u64> = perf.main_hits().map(|h| h.onset_sample(sr)).collect();
    // For each hop: is it within [t, t+8ms] of a true onset?
    let near = |p: u64| truth.iter().any(|&t| p >= t && p <= t + (0.008 * sr) as u64);
    let mut on = Vec::new(); let mut off = Vec::new();
    for (p, (f, thr)) in &vals { let mean = (thr - 0.05) / 1.12; if near(*p) { on.push((*f, *f / mean.max(1e-6))) } else { off.push((*f, *f/mean.max(1e-6))) } }
    // per onset max flux
    let mut per: Vec<f32> = truth.iter().map(|&t| vals.iter().filter(|(p,_)| *p >= t && *p <= t + (0.008*sr) as u64).map(|(_, (f,_))| *f).fold(0.0, f32::max)).collect();
    per.sort_by(f32::total_cmp);
    let mut offf: Vec<f32> = off.iter().map(|x| x.0).collect(); offf.sort_by(f32::total_cmp);
    let mut offr: Vec<f32> = off.iter().map(|x| x.1).collect(); offr.sort_by(f32::total_cmp);
    println!("onset max flux: min {:?} p10 {:?} median {:?}", per[0], per[per.len()/10], per[per.len()/2]);
    let n = offf.len();
    println!("off flux: median {} p99 {} p999 {} max {}", offf[n/2], offf[n*99/100], offf[n*999/1000], offf[n-1]);
    println!("off ratio: median {} p99 {} p999 {} max {}", offr[n/2], offr[n*99/100], offr[n*999/1000], offr[n-1]);
}
