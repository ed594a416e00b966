//! `clip.*`: movie clips (a movie file or an image sequence): load, describe, shift in
//! the scene, read one frame's pixels, a mean-colour pass as a job.

use serde::{Deserialize, Serialize};

use super::JobStarted;
use crate::wire::Array;

/// Where a clip's frames come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClipSource {
    /// A movie file.
    Movie,
    /// Numbered image files.
    Sequence,
}

/// A clip's description (the result of most `clip.*` commands).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Clip {
    /// Name.
    pub name: String,
    /// Absolute path of the movie or of the sequence's first file.
    pub path: String,
    /// Movie or image sequence.
    pub source: ClipSource,
    /// The scene frame the clip's first frame is shown at.
    pub frame_start: i64,
    /// Number of frames.
    pub frame_duration: i64,
    /// Frames skipped at the clip's start.
    pub frame_offset: i64,
    /// `[width, height]` in pixels.
    pub size: [u32; 2],
    /// Frames per second of the file.
    pub fps: f64,
}

command! {
    /// `clip.load`: loads a movie file or the first file of an image sequence.
    pub struct ClipLoad => "clip.load" -> Clip {
        /// The file.
        pub path: String,
        /// The clip's name (default: from the file).
        pub name: Option<String>,
    }
}

command! {
    /// `clip.info`: one clip's description.
    pub struct ClipInfo => "clip.info" -> Clip {
        /// The clip.
        pub name: String,
    }
}

/// The result of `clip.list`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ClipListing {
    /// Every clip.
    pub clips: Vec<Clip>,
}

command! {
    /// `clip.list`: every clip.
    #[derive(Default)]
    pub struct ClipList => "clip.list" -> ClipListing {}
}

command! {
    /// `clip.set`: moves the clip in the scene (only the given fields change).
    #[derive(Default)]
    pub struct ClipSet => "clip.set" -> Clip {
        /// The clip.
        pub name: String,
        /// The scene frame its first frame is shown at.
        pub frame_start: Option<i64>,
        /// Frames skipped at the clip's start.
        pub frame_offset: Option<i64>,
    }
}

command! {
    /// `clip.frame_pixels`: one frame (a scene frame, mapped through the clip's start and
    /// offset) as an array, rows bottom-up.
    pub struct ClipFramePixels => "clip.frame_pixels" -> Array {
        /// The clip.
        pub name: String,
        /// A scene frame.
        pub frame: i64,
    }
}

command! {
    /// `clip.mean_colors`: a job computing each frame's mean colour, one frame per step;
    /// its result is a [`MeanColors`].
    #[derive(Default)]
    pub struct ClipMeanColors => "clip.mean_colors" -> JobStarted {
        /// The clip.
        pub name: String,
        /// First scene frame (default: the clip's first).
        pub frame_start: Option<i64>,
        /// Last scene frame (default: the clip's last).
        pub frame_end: Option<i64>,
    }
}

/// One frame's mean colour.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FrameColor {
    /// Scene frame.
    pub frame: i64,
    /// Mean of each channel (RGBA).
    pub color: Vec<f64>,
}

/// The result of a `clip.mean_colors` job (in `job.status` / the `done` event).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MeanColors {
    /// One entry per frame, in order.
    pub frames: Vec<FrameColor>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::*;
    use crate::commands::Command;
    use crate::Value;

    #[test]
    fn clip_args_encode_as_the_add_on_expects() {
        assert_eq!(
            args(&ClipLoad {
                path: "/tmp/a.mp4".into(),
                name: None
            }),
            map(vec![("path", "/tmp/a.mp4".into())])
        );
        assert_eq!(
            args(&ClipSet {
                name: "C".into(),
                frame_offset: Some(-2),
                ..Default::default()
            }),
            map(vec![
                ("name", "C".into()),
                ("frame_offset", Value::from(-2))
            ])
        );
        assert_eq!(
            args(&ClipFramePixels {
                name: "C".into(),
                frame: 3
            }),
            map(vec![("name", "C".into()), ("frame", 3.into())])
        );
        assert_eq!(args(&ClipList {}), map(vec![]));
        let mc = args(&ClipMeanColors {
            name: "C".into(),
            frame_start: Some(1),
            frame_end: Some(9),
        });
        assert_eq!(keys(&mc), ["name", "frame_start", "frame_end"]);
        assert_eq!(ClipMeanColors::NAME, "clip.mean_colors");
        assert_eq!(ClipInfo::NAME, "clip.info");
    }

    #[test]
    fn clip_results_decode() {
        let c: Clip = result(&map(vec![
            ("name", "C".into()),
            ("path", "/x.png".into()),
            ("source", "SEQUENCE".into()),
            ("frame_start", 1.into()),
            ("frame_duration", 12.into()),
            ("frame_offset", 0.into()),
            ("size", Value::Array(vec![64.into(), 48.into()])),
            ("fps", 24.into()),
        ]));
        assert_eq!(c.source, ClipSource::Sequence);
        assert_eq!(c.size, [64, 48]);
        assert_eq!(c.fps, 24.0);
    }
}
