//! A 2-D map of the examples for the editor: the first two principal components of the
//! standardised level-normalised timbre block, so that the map shows how hits sound rather than
//! how loud they were.

use crate::dataset::Dataset;
use crate::pca::Pca;
use crate::scaler::Scaler;
use timbrel_core::analysis::descriptor::timbre_indices;

/// Fewest examples a map is drawn for.
pub const MIN_MAP_EXAMPLES: usize = 3;

/// A fitted 2-D projection.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    scaler: Scaler,
    pca: Pca,
    /// Scale that maps the examples' 99th-percentile radius to about 1.
    scale: f32,
}

impl Projection {
    /// Fits on every example of `data`; `None` with fewer than [`MIN_MAP_EXAMPLES`] examples
    /// or descriptors of the wrong length.
    pub fn fit(data: &Dataset) -> Option<Self> {
        let rows: Vec<&[f32]> = data
            .examples
            .iter()
            .map(|e| e.descriptor.as_slice())
            .collect();
        Self::fit_descriptors(&rows)
    }

    /// Fits on full hit descriptors (for hits that are not examples, such as the unlabelled
    /// hits of a free-play take); `None` with fewer than [`MIN_MAP_EXAMPLES`] descriptors or
    /// any of the wrong length.
    pub fn fit_descriptors(descriptors: &[&[f32]]) -> Option<Self> {
        let timbre = timbre_indices();
        let rows: Vec<&[f32]> = descriptors
            .iter()
            .filter_map(|d| d.get(timbre.clone()))
            .collect();
        if rows.len() < MIN_MAP_EXAMPLES || rows.len() != descriptors.len() {
            return None;
        }
        let scaler = Scaler::fit(&rows);
        let z: Vec<Vec<f64>> = rows.iter().map(|r| scaler.transform_f64(r)).collect();
        let pca = Pca::fit(&z, 2);
        let mut projection = Self {
            scaler,
            pca,
            scale: 1.0,
        };
        let mut radii: Vec<f32> = descriptors
            .iter()
            .map(|d| {
                let [x, y] = projection.project(d);
                (x * x + y * y).sqrt()
            })
            .collect();
        radii.sort_by(f32::total_cmp);
        let r99 = radii[((radii.len() - 1) as f32 * 0.99) as usize];
        projection.scale = if r99 > 0.0 && r99.is_finite() {
            1.0 / r99
        } else {
            1.0
        };
        Some(projection)
    }

    /// The map position of a descriptor; the examples lie mostly within the unit circle.
    pub fn project(&self, descriptor: &[f32]) -> [f32; 2] {
        let timbre = timbre_indices();
        let Some(x) = descriptor.get(timbre) else {
            return [0.0; 2];
        };
        let mut z = vec![0.0f32; x.len()];
        self.scaler.transform(x, &mut z);
        let mut out = [0.0f32; 2];
        let m = self.pca.components().min(2);
        self.pca.project(&z, &mut out[..m]);
        out.map(|v| if v.is_finite() { v * self.scale } else { 0.0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{snare_hits, SynthSpec};
    use crate::Example;

    #[test]
    fn centre_and_edge_hits_land_apart_on_the_map() {
        let spec = SynthSpec::default();
        let mut data = Dataset::default();
        for (class, radius) in [(0usize, (0.0f32, 0.15f32)), (1, (0.8, 0.95))] {
            let (hits, _) = snare_hits(20, radius, &spec, &[256], 10 + class as u64);
            for hit in hits {
                data.examples
                    .push(Example::new(&hit.descriptors[0], class, -20.0, 0.0));
            }
        }
        let map = Projection::fit(&data).unwrap();
        let points: Vec<[f32; 2]> = data
            .examples
            .iter()
            .map(|e| map.project(&e.descriptor))
            .collect();
        let centre = |c: usize| {
            let p: Vec<_> = points
                .iter()
                .zip(&data.examples)
                .filter(|(_, e)| e.class == c)
                .map(|(p, _)| *p)
                .collect();
            let n = p.len() as f32;
            [
                p.iter().map(|q| q[0]).sum::<f32>() / n,
                p.iter().map(|q| q[1]).sum::<f32>() / n,
            ]
        };
        let (a, b) = (centre(0), centre(1));
        let gap = ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
        assert!(gap > 0.5, "class centres {a:?} and {b:?} are {gap} apart");
        assert!(points.iter().all(|p| p[0].abs() < 3.0 && p[1].abs() < 3.0));
    }

    #[test]
    fn too_few_examples_give_no_map() {
        assert!(Projection::fit(&Dataset::default()).is_none());
    }
}
