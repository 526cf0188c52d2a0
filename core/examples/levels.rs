use timbrel_core::biquad::Biquad;
use timbrel_core::synth::Membrane;
fn hp_peak(x: &[f32], sr: f32, lp: bool) -> f32 {
    let mut l = Biquad::lowpass(2000.0, 0.7071, sr);
    let mut h = Biquad::highpass(1000.0, 0.7071, sr);
    let mut p = 0.0f32;
    for &s in x { let s = if lp { l.process(s) } else { s }; p = p.max(h.process(s).abs()); }
    20.0 * p.log10()
}
fn main() {
    let sr = 44100.0;
    for v in [0.15f32, 0.2, 0.5, 1.0] {
        for r in [0.0f32, 0.5, 0.9] {
            let x = Membrane::snare().hit(r, v, sr, 1);
            let raw = x.iter().fold(0.0f32, |a, b| a.max(b.abs()));
            println!("snare v{v} r{r}: raw {:.1} dBFS, hp {:.1}", 20.0 * raw.log10(), hp_peak(&x, sr, false));
        }
    }
    for v in [0.4f32, 1.0] {
        let t: Vec<f32> = Membrane::tom().hit(0.4, v, sr, 1).iter().map(|x| x * 0.1).collect();
        let k: Vec<f32> = Membrane::kick().hit(0.2, v, sr, 1).iter().map(|x| x * 0.1).collect();
        println!("bleed v{v}: tom hp {:.1} (no lp {:.1}), kick hp {:.1} (no lp {:.1})", hp_peak(&t, sr, true), hp_peak(&t, sr, false), hp_peak(&k, sr, true), hp_peak(&k, sr, false));
    }
}
