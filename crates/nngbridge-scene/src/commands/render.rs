//! `render.*`: stills and animations, as jobs (one step per frame), so the server keeps
//! answering between frames. The job's result is a [`RenderedPaths`].

use serde::{Deserialize, Serialize};

use super::JobStarted;

/// A render engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RenderEngine {
    /// Cycles (path tracing; works headless on the CPU).
    Cycles,
    /// EEVEE (needs a GPU context).
    BlenderEevee,
    /// EEVEE Next (Blender 4.2+).
    BlenderEeveeNext,
    /// Workbench.
    BlenderWorkbench,
}

command! {
    /// `render.still`: renders the scene's camera view to `path` (format from the
    /// extension, PNG by default); a job. The scene's settings are restored afterwards.
    #[derive(Default)]
    pub struct RenderStill => "render.still" -> JobStarted {
        /// The image file to write.
        pub path: String,
        /// Frame (default: the current one).
        pub frame: Option<i64>,
        /// Engine for this render (default: the scene's).
        pub engine: Option<RenderEngine>,
    }
}

command! {
    /// `render.animation`: renders frames to `path` with its `#` run replaced by the
    /// zero-padded frame number (`out_####.png`); a job, one step per frame.
    #[derive(Default)]
    pub struct RenderAnimation => "render.animation" -> JobStarted {
        /// The file pattern.
        pub path: String,
        /// First frame (default: the scene's).
        pub frame_start: Option<i64>,
        /// Last frame (default: the scene's).
        pub frame_end: Option<i64>,
        /// Engine for this render (default: the scene's).
        pub engine: Option<RenderEngine>,
    }
}

/// The result of a `render.*` job.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RenderedPaths {
    /// The files written, in frame order.
    pub paths: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::*;
    use crate::Value;

    #[test]
    fn render_args_encode_as_the_add_on_expects() {
        let still = args(&RenderStill {
            path: "/tmp/a.png".into(),
            engine: Some(RenderEngine::BlenderWorkbench),
            ..Default::default()
        });
        assert_eq!(
            still,
            map(vec![
                ("path", "/tmp/a.png".into()),
                ("engine", "BLENDER_WORKBENCH".into())
            ])
        );
        let anim = args(&RenderAnimation {
            path: "/tmp/a_##.png".into(),
            frame_start: Some(2),
            frame_end: Some(3),
            engine: Some(RenderEngine::BlenderEeveeNext),
        });
        assert_eq!(keys(&anim), ["path", "frame_start", "frame_end", "engine"]);
        assert_eq!(anim["engine"], Value::from("BLENDER_EEVEE_NEXT"));
    }
}
