//! The interactive map: one self-contained HTML file (inline CSS, JS and JSON data, canvas
//! rendering, no network). Audio is played from paths relative to the HTML file.

use std::path::Path;

use serde::Serialize;

use crate::pipeline::{Collection, SampleMap};
use crate::walk::relative_path;
use crate::MapError;

const TEMPLATE: &str = include_str!("map.html");

#[derive(Serialize)]
struct VecData {
    dims: usize,
    /// Per dimension: the value of one quantisation step.
    scale: Vec<f32>,
    /// Point-major signed bytes, base64.
    b64: String,
}

#[derive(Serialize)]
struct QualityData {
    silhouette_labels: Option<f32>,
    silhouette_clusters: Option<f32>,
    silhouette_labels_2d: Option<f32>,
    purity: f32,
    counts: Vec<Vec<usize>>,
    cluster_purity: Vec<f32>,
    tried: Vec<(usize, f32)>,
    timings: Vec<(&'static str, f64)>,
    explained: f32,
}

#[derive(Serialize)]
struct Data {
    title: String,
    method: &'static str,
    features: &'static str,
    k: usize,
    labels: Vec<String>,
    x: Vec<f32>,
    y: Vec<f32>,
    name: Vec<String>,
    folder: Vec<usize>,
    cluster: Vec<usize>,
    src: Vec<String>,
    vec: VecData,
    quality: QualityData,
}

/// Percent-encodes a `/`-separated relative path for use as a URL (each segment; `/` kept).
pub fn url_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Quantises rows to signed bytes with one scale per dimension (max |value| / 127).
fn quantise(space: &crate::linalg::Matrix) -> VecData {
    let d = space.cols;
    let mut scale = vec![0.0f32; d];
    for r in space.data.chunks(d.max(1)) {
        for (s, v) in scale.iter_mut().zip(r) {
            *s = s.max(v.abs());
        }
    }
    scale
        .iter_mut()
        .for_each(|s| *s = if *s > 0.0 { *s / 127.0 } else { 1.0 });
    let bytes: Vec<u8> = space
        .data
        .iter()
        .enumerate()
        .map(|(i, v)| ((v / scale[i % d]).round().clamp(-127.0, 127.0) as i8) as u8)
        .collect();
    VecData {
        dims: d,
        scale,
        b64: base64(&bytes),
    }
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        s.push(A[(n >> 18) as usize & 63] as char);
        s.push(A[(n >> 12) as usize & 63] as char);
        s.push(if c.len() > 1 {
            A[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        s.push(if c.len() > 2 {
            A[n as usize & 63] as char
        } else {
            '='
        });
    }
    s
}

/// Escapes text for an HTML element's content.
fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Renders the map as HTML, with audio paths relative to the folder `html_dir` (where the
/// file will be written).
pub fn render(c: &Collection, map: &SampleMap, html_dir: &Path) -> String {
    let round = |v: f32| (v * 1000.0).round() / 1000.0;
    let q = &map.quality;
    let title = format!(
        "Timbrel map: {}",
        c.root.file_name().map_or_else(
            || c.root.display().to_string(),
            |n| n.to_string_lossy().into_owned()
        )
    );
    let data = Data {
        title: title.clone(),
        method: map.options.method.name(),
        features: map.options.features.name(),
        k: map.clustering.k,
        labels: c.labels.clone(),
        x: map.positions.iter().map(|p| round(p[0])).collect(),
        y: map.positions.iter().map(|p| round(p[1])).collect(),
        name: c
            .files
            .iter()
            .map(|f| {
                f.path
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
            })
            .collect(),
        folder: c.label_of.clone(),
        cluster: map.clustering.labels.clone(),
        src: c
            .files
            .iter()
            .map(|f| url_path(&relative_path(&f.path, html_dir)))
            .collect(),
        vec: quantise(&map.space),
        quality: QualityData {
            silhouette_labels: q.silhouette_labels,
            silhouette_clusters: q.silhouette_clusters,
            silhouette_labels_2d: q.silhouette_labels_2d,
            purity: q.contingency.purity,
            counts: q.contingency.counts.clone(),
            cluster_purity: q.contingency.cluster_purity.clone(),
            tried: map.clustering.tried.clone(),
            timings: map.timings.stages().to_vec(),
            explained: map.explained,
        },
    };
    // NOTE: "</" inside the JSON would end the <script> element; "<\/" is the same JSON string.
    let json = serde_json::to_string(&data)
        .expect("plain data serialises")
        .replace("</", "<\\/");
    // Split the template at its two markers, so nothing in the data is ever taken for one.
    let (head, rest) = TEMPLATE
        .split_once("__TITLE__")
        .expect("template has a title marker");
    let (middle, tail) = rest
        .split_once("__DATA__")
        .expect("template has a data marker");
    let mut out = String::with_capacity(TEMPLATE.len() + json.len() + title.len());
    out.push_str(head);
    out.push_str(&escape_html(&title));
    out.push_str(middle);
    out.push_str(&json);
    out.push_str(tail);
    out
}

/// Renders and writes the map to `path`; audio paths are relative to `path`'s folder.
pub fn write(c: &Collection, map: &SampleMap, path: &Path) -> Result<(), MapError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::write(path, render(c, map, dir)).map_err(|e| MapError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn url_paths_are_percent_encoded_per_byte() {
        assert_eq!(url_path("../a b/c#1.wav"), "../a%20b/c%231.wav");
        assert_eq!(url_path("é.wav"), "%C3%A9.wav");
    }
}
