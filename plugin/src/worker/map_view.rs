//! The map of the dataset the editor draws: a 2-D projection of every example, the classes'
//! centres, and the keys the editor picks examples by.

use super::thread::WorkerLoop;
use crate::zones;
use std::time::Instant;
use timbrel_learn::projection::Projection;
use timbrel_learn::{Dataset, Example};

/// Identifies an example across edits of the dataset (indices shift when examples are removed).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExampleKey {
    /// Recording time of the example, in seconds.
    pub time_s: f64,
    /// Its class when the key was taken.
    pub class: usize,
    /// Its first descriptor value, to tell apart examples recorded at the same time.
    pub first_value: f32,
}

impl ExampleKey {
    /// The key of `example`.
    pub fn of(example: &Example) -> Self {
        Self {
            time_s: example.time_s,
            class: example.class,
            first_value: example.descriptor.first().copied().unwrap_or(0.0),
        }
    }

    /// The current index of the example this key names in `data`, if it is still there.
    pub fn find(&self, data: &Dataset) -> Option<usize> {
        data.examples.iter().rposition(|e| {
            e.time_s == self.time_s
                && e.descriptor.first().copied().unwrap_or(0.0) == self.first_value
        })
    }
}

/// One example on the editor's map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapPoint {
    /// Position on the map (the examples lie mostly within the unit circle).
    pub xy: [f32; 2],
    /// Which example.
    pub key: ExampleKey,
    /// Its class.
    pub class: usize,
    /// Its level, in dBFS.
    pub level_dbfs: f32,
    /// Its snippet's length, in seconds (0 without snippet).
    pub snippet_s: f32,
}

/// The map of the dataset: a 2-D projection of every example.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MapView {
    /// Every example.
    pub points: Vec<MapPoint>,
    /// Mean position of each class with examples: (class, position).
    pub centres: Vec<(usize, [f32; 2])>,
}

impl MapView {
    /// The map of `data` through `projection`.
    fn of(data: &Dataset, projection: &Projection) -> Self {
        let points: Vec<MapPoint> = data
            .examples
            .iter()
            .map(|e| MapPoint {
                xy: projection.project(&e.descriptor),
                key: ExampleKey::of(e),
                class: e.class,
                level_dbfs: e.level_dbfs,
                snippet_s: e.snippet.duration_s(),
            })
            .collect();
        let xy: Vec<[f32; 2]> = points.iter().map(|p| p.xy).collect();
        let classes: Vec<usize> = points.iter().map(|p| p.class).collect();
        let centres = (0..data.classes.len())
            .filter_map(|c| zones::mean_xy(&xy, &classes, c).map(|centre| (c, centre)))
            .collect();
        Self { points, centres }
    }
}

impl WorkerLoop {
    /// Refits the map on the current dataset, and places the shown zones on it.
    pub(super) fn refresh_map(&mut self) {
        self.map_dirty = false;
        self.last_map = Instant::now();
        self.projection = Projection::fit(&self.project.dataset);
        let map = self
            .projection
            .as_ref()
            .map(|projection| MapView::of(&self.project.dataset, projection));
        let projection = self.projection.take();
        let proposal_hits = std::mem::take(&mut self.proposal_hits);
        let view = self.view_mut();
        view.map = map;
        if let (Some(projection), Some(zones)) = (&projection, view.zones.as_mut()) {
            zones.reproject(&proposal_hits, |d| projection.project(d));
        }
        self.projection = projection;
        self.proposal_hits = proposal_hits;
    }
}
