use timbrel_core::analysis::{AnalysisSettings, Analyzer, AnalyzerEvent, DetectorKind};
use timbrel_core::synth::{Performance, PerformanceSpec};
fn main() {
    let args: Vec<f32> = std::env::args().skip(1).map(|a| a.parse().unwrap()).collect();
    let (sr, seed) = (args[0], args[1] as u64);
    let perf = Performance::generate(PerformanceSpec::default(), seed);
    let audio = perf.render(sr);
    for e in perf.events.iter().filter(|e| (e.time_s as f32 - args[2]).abs() < 0.3) { println!("event {:.4} {:?} v{:.2}", e.time_s, e.source, e.velocity); }
    let mut s = AnalysisSettings::default();
    s.detector.kind = DetectorKind::Flux;
    let mut an = Analyzer::new(sr, s);
    let (a, b) = ((args[2] * sr) as usize, (args[3] * sr) as usize);
    let hop = (32.0 * sr / 44100.0f32).round() as usize;
    for c in audio[..b].chunks(hop) {
        let pos = an.position();
        an.process(c, |e| if let AnalyzerEvent::Onset { onset_sample } = e { if pos as usize > a { println!("  onset {:.4}", onset_sample as f32 / sr) } });
        if an.position() as usize > a { let (f, t) = an.detection_meter(); println!("{:.4} flux {f:.3} thr {t:.3}", an.position() as f32 / sr); }
    }
}
