//! `timbrel-map`: a map of a sample collection, host-independent.
//!
//! Pipeline ([`pipeline`]): walk a folder tree ([`walk`], symlinks followed) → decode each
//! audio file to mono ([`decode`]: WAV, and FLAC/MP3/Ogg through symphonia) → one descriptor
//! per file from the core's analyzer ([`describe`]), in parallel → features (the descriptor
//! without its level dimensions, or [`learned`] autoencoder features) → standardise and PCA
//! ([`linalg`]) → 2-D layout (PCA, [`tsne`], [`umap`]) → seeded k-means ([`cluster`]) →
//! quality metrics ([`quality`]) → a self-contained HTML map ([`html`]) and a PNG ([`png`]).
//!
//! Every random choice is seeded: the same folder and seed give the same map.
//!
//! For the plugin's auto-zones, [`cluster::cluster_descriptors`] clusters raw descriptors
//! (standardise, PCA, k-means with a fixed or silhouette-chosen k).

pub mod cluster;
#[cfg(feature = "collection")]
pub mod decode;
#[cfg(feature = "collection")]
pub mod describe;
mod error;
#[cfg(feature = "collection")]
pub mod html;
pub mod knn;
#[cfg(feature = "collection")]
pub mod learned;
pub mod linalg;
#[cfg(feature = "collection")]
pub mod pipeline;
#[cfg(feature = "collection")]
pub mod png;
pub mod quality;
#[cfg(feature = "collection")]
pub mod synthetic;
#[cfg(feature = "collection")]
pub mod tsne;
pub mod umap;
#[cfg(feature = "collection")]
pub mod walk;

pub use cluster::{cluster_descriptors, ClusterCount, Clustering};
pub use error::MapError;
#[cfg(feature = "collection")]
pub use pipeline::{
    evaluate_features, ClusterSpace, Collection, FeatureSet, MapOptions, Method, SampleMap, Timings,
};
