//! `image.*`: images: new, load, list, pixels as float32 arrays, save, mean colour.

use serde::{Deserialize, Serialize};

use super::Named;
use crate::wire::Array;

/// An image's name, size and channel count.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ImageInfo {
    /// Name.
    pub name: String,
    /// `[width, height]`.
    pub size: [u32; 2],
    /// Channels (4 for RGBA).
    pub channels: u32,
}

/// One image in `image.list`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ImageSummary {
    /// Name.
    pub name: String,
    /// `[width, height]`.
    pub size: [u32; 2],
    /// Channels.
    pub channels: u32,
    /// Blender's source (`GENERATED`, `FILE`, `SEQUENCE`, `MOVIE`, ...).
    pub source: String,
    /// Its file path (as stored, possibly relative `//...`), or empty.
    pub path: String,
}

/// The result of `image.list`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ImageListing {
    /// Every image except hidden ones (names starting with `.`).
    pub images: Vec<ImageSummary>,
}

command! {
    /// `image.list`: every image (names starting with `.` are hidden).
    #[derive(Default)]
    pub struct ImageList => "image.list" -> ImageListing {}
}

command! {
    /// `image.new`: a generated RGBA image.
    #[derive(Default)]
    pub struct ImageNew => "image.new" -> ImageInfo {
        /// Image name.
        pub name: String,
        /// Width in pixels.
        pub width: u32,
        /// Height in pixels.
        pub height: u32,
        /// Fill colour RGBA.
        pub color: Option<[f64; 4]>,
        /// A float (true, the default) or byte buffer.
        pub float_buffer: Option<bool>,
    }
}

command! {
    /// `image.load`: loads an image file.
    #[derive(Default)]
    pub struct ImageLoad => "image.load" -> ImageInfo {
        /// The file.
        pub path: String,
        /// The image's name (default: from the file).
        pub name: Option<String>,
    }
}

command! {
    /// `image.pixels_get`: an image's pixels as a float32 array, rows bottom-up.
    pub struct ImagePixelsGet => "image.pixels_get" -> Array {
        /// The image.
        pub name: String,
    }
}

command! {
    /// `image.pixels_set`: replaces an image's pixels; the array must be `f4` and match the
    /// image's shape.
    pub struct ImagePixelsSet => "image.pixels_set" -> Named {
        /// The image.
        pub name: String,
        /// `f4`, `[h, w, c]`.
        pub pixels: Array,
    }
}

/// A file format of `image.save`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ImageFormat {
    /// `.bmp`.
    Bmp,
    /// Radiance `.hdr`.
    Hdr,
    /// `.jpg`.
    Jpeg,
    /// `.exr`.
    OpenExr,
    /// `.png`.
    Png,
    /// `.tga`.
    Targa,
    /// `.tif`.
    Tiff,
    /// `.webp`.
    Webp,
}

/// The result of `image.save`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ImageSaved {
    /// The absolute path written.
    pub path: String,
    /// The format used.
    pub format: ImageFormat,
}

command! {
    /// `image.save`: to `path` (default: the image's own) in `format` (default: from the
    /// path's extension).
    #[derive(Default)]
    pub struct ImageSave => "image.save" -> ImageSaved {
        /// The image.
        pub name: String,
        /// Target file.
        pub path: Option<String>,
        /// File format.
        pub format: Option<ImageFormat>,
    }
}

/// The result of `image.mean_color`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MeanColor {
    /// Mean of each channel.
    pub color: Vec<f64>,
}

command! {
    /// `image.mean_color`: the mean of each channel.
    pub struct ImageMeanColor => "image.mean_color" -> MeanColor {
        /// The image.
        pub name: String,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::*;
    use crate::Value;

    #[test]
    fn image_args_encode_as_the_add_on_expects() {
        let new = args(&ImageNew {
            name: "P".into(),
            width: 8,
            height: 4,
            color: Some([1.0, 0.0, 0.0, 1.0]),
            ..Default::default()
        });
        assert_eq!(keys(&new), ["name", "width", "height", "color"]);
        assert_eq!(new["width"], Value::from(8));
        let save = args(&ImageSave {
            name: "P".into(),
            path: Some("/tmp/p.exr".into()),
            format: Some(ImageFormat::OpenExr),
        });
        assert_eq!(save["format"], Value::from("OPEN_EXR"));
        let set = args(&ImagePixelsSet {
            name: "P".into(),
            pixels: Array::from_f32(vec![1, 1, 4], &[0.0; 4]),
        });
        assert_eq!(set["pixels"]["dtype"], Value::from("f4"));
        assert!(matches!(set["pixels"]["data"], Value::Binary(ref b) if b.len() == 16));
        assert_eq!(
            args(&ImageLoad {
                path: "/a.png".into(),
                name: None
            }),
            map(vec![("path", "/a.png".into())])
        );
    }
}
