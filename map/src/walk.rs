//! Finding the audio files of a collection: a folder tree walked with symlinks followed.

use std::path::{Path, PathBuf};

use crate::decode::audio_extension;
use crate::MapError;

/// One audio file of a collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleFile {
    /// Full path (as found under the walked folder).
    pub path: PathBuf,
    /// Path of the file relative to the walked folder, with `/` separators.
    pub relative: String,
    /// The folder label: the file's parent folder relative to the walked folder (`/`
    /// separated), or `.` for files directly in it.
    pub label: String,
}

/// The files found and the problems met on the way (each a readable warning).
#[derive(Debug, Default)]
pub struct WalkResult {
    /// Audio files, sorted by relative path (so results do not depend on directory order).
    pub files: Vec<SampleFile>,
    /// Unreadable folders, broken links, symlink loops: one message each.
    pub warnings: Vec<String>,
}

/// Walks `dir` recursively, following symlinks, and lists the audio files in it (by
/// extension, see [`crate::decode::audio_extension`]). Unreadable entries become warnings.
pub fn walk(dir: &Path) -> Result<WalkResult, MapError> {
    let meta = std::fs::metadata(dir).map_err(|e| MapError::io(dir, e))?;
    if !meta.is_dir() {
        return Err(MapError::io(dir, std::io::Error::other("not a folder")));
    }
    let mut result = WalkResult::default();
    for entry in walkdir::WalkDir::new(dir).follow_links(true) {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let what = e
                    .path()
                    .map_or_else(|| dir.display().to_string(), |p| p.display().to_string());
                result.warnings.push(format!("{what}: skipped: {e}"));
                continue;
            }
        };
        if !entry.file_type().is_file() || audio_extension(entry.path()).is_none() {
            continue;
        }
        let path = entry.path().to_path_buf();
        let rel = path.strip_prefix(dir).unwrap_or(&path);
        let relative = slash_path(rel);
        let label = rel
            .parent()
            .map(slash_path)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| ".".into());
        result.files.push(SampleFile {
            path,
            relative,
            label,
        });
    }
    result.files.sort_by(|a, b| a.relative.cmp(&b.relative));
    Ok(result)
}

/// `path`'s components joined with `/` (lossy for non-UTF-8 names).
pub fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// The path of `target` relative to the folder `base`, `/`-separated, both made absolute first
/// (symlinks are not resolved, so the link path the walk found is kept). Falls back to the
/// absolute path when the two share no root (another drive).
pub fn relative_path(target: &Path, base: &Path) -> String {
    let abs = |p: &Path| {
        let p = if p.is_absolute() {
            p.to_path_buf()
        } else {
            std::env::current_dir()
                .map(|c| c.join(p))
                .unwrap_or_else(|_| p.to_path_buf())
        };
        normalize(&p)
    };
    let (t, b) = (abs(target), abs(base));
    let tc: Vec<_> = t.components().collect();
    let bc: Vec<_> = b.components().collect();
    if tc.first() != bc.first() {
        return slash_path(&t);
    }
    let common = tc.iter().zip(&bc).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".into(); bc.len() - common];
    parts.extend(
        tc[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

/// Removes `.` and resolves `..` lexically.
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            c => out.push(c.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative_path(Path::new("/a/b/c.wav"), Path::new("/a")),
            "b/c.wav"
        );
        assert_eq!(
            relative_path(Path::new("/a/b/c.wav"), Path::new("/a/x/y")),
            "../../b/c.wav"
        );
        assert_eq!(
            relative_path(Path::new("/a/./b/../c.wav"), Path::new("/a")),
            "c.wav"
        );
    }
}
