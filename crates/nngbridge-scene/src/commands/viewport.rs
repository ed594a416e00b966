//! `viewport.capture`, `render.opengl`, `image.preview`: pictures as float32 RGBA arrays
//! (`[h, w, 4]`, rows bottom-up). The first two need a GPU context (the GUI); a Blender
//! without one answers `UNKNOWN_COMMAND` saying why and leaves them out of `session.hello`.

use serde::{Deserialize, Serialize};

use crate::wire::Array;

command! {
    /// `viewport.capture`: the 3D viewport as its user sees it (without overlays).
    #[derive(Default)]
    pub struct ViewportCapture => "viewport.capture" -> Array {
        /// Which 3D viewport (index among them; default: the largest).
        pub area: Option<u32>,
        /// Width in pixels (default: the viewport region's).
        pub width: Option<u32>,
        /// Height in pixels (default: the viewport region's).
        pub height: Option<u32>,
    }
}

command! {
    /// `render.opengl`: a viewport render through the scene camera.
    #[derive(Default)]
    pub struct RenderOpengl => "render.opengl" -> Array {
        /// Width in pixels (default: the scene's output size).
        pub width: Option<u32>,
        /// Height in pixels (default: the scene's output size).
        pub height: Option<u32>,
    }
}

/// The kind of data-block whose preview `image.preview` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PreviewKind {
    /// An action.
    Action,
    /// A collection.
    Collection,
    /// An image.
    Image,
    /// A light.
    Light,
    /// A material.
    Material,
    /// A mesh.
    Mesh,
    /// A node group.
    NodeTree,
    /// An object.
    Object,
    /// A scene.
    Scene,
    /// A texture.
    Texture,
    /// A world.
    World,
}

command! {
    /// `image.preview`: a data-block's preview picture; `BUSY` while the UI still makes
    /// it, `NOT_FOUND` in background Blender for one without a saved preview.
    pub struct ImagePreview => "image.preview" -> Array {
        /// The kind of data-block.
        pub kind: PreviewKind,
        /// Its name.
        pub name: String,
    }
}
