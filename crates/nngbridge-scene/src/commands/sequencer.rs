//! `sequencer.*`: the current scene's video sequence editor: ensure it exists, add movie,
//! image, effect and text strips, get and set strip properties, delete.

use serde::{Deserialize, Serialize};

use super::{Deleted, Properties};

/// The effect strip types `sequencer.add_effect` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EffectType {
    /// Cross-fade (two inputs).
    Cross,
    /// Add (two inputs).
    Add,
    /// Subtract (two inputs).
    Subtract,
    /// Alpha over (two inputs).
    AlphaOver,
    /// Alpha under (two inputs).
    AlphaUnder,
    /// Gamma cross-fade (two inputs).
    GammaCross,
    /// Multiply (two inputs).
    Multiply,
    /// Over drop (two inputs).
    OverDrop,
    /// Wipe (two inputs).
    Wipe,
    /// Glow (one input).
    Glow,
    /// Transform (one input).
    Transform,
    /// A solid colour (no input; needs `frame_end`).
    Color,
    /// Speed control (one input).
    Speed,
    /// Multicam selector (no input).
    Multicam,
    /// Adjustment layer (no input).
    Adjustment,
    /// Gaussian blur (one input).
    GaussianBlur,
    /// Text (no input; see also `sequencer.add_text`).
    Text,
    /// Colour mix (two inputs).
    Colormix,
}

impl EffectType {
    /// How many input strips the type takes.
    pub fn inputs(self) -> usize {
        use EffectType::*;
        match self {
            Cross | Add | Subtract | AlphaOver | AlphaUnder | GammaCross | Multiply | OverDrop
            | Wipe | Colormix => 2,
            Glow | Transform | Speed | GaussianBlur => 1,
            Color | Multicam | Adjustment | Text => 0,
        }
    }
}

/// A strip's description.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Strip {
    /// Name.
    pub name: String,
    /// Blender's strip type (`MOVIE`, `IMAGE`, `TEXT`, `COLOR`, `CROSS`, `SOUND`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Channel 1..128.
    pub channel: u32,
    /// Start frame (before trimming; may be fractional).
    pub frame_start: f64,
    /// First frame shown.
    pub frame_final_start: i64,
    /// Frame after the last shown.
    pub frame_final_end: i64,
    /// Frames shown.
    pub frame_final_duration: i64,
    /// Muted.
    pub mute: bool,
    /// Blend mode (`REPLACE`, `CROSS`, `ALPHA_OVER`, ...).
    pub blend_type: String,
    /// Opacity.
    pub blend_alpha: f64,
    /// Movie strips: the file.
    #[serde(default)]
    pub filepath: Option<String>,
    /// Image strips: the directory of the images.
    #[serde(default)]
    pub directory: Option<String>,
    /// Text strips: the text.
    #[serde(default)]
    pub text: Option<String>,
    /// Text strips: font size.
    #[serde(default)]
    pub font_size: Option<f64>,
    /// Text and colour strips: RGB(A).
    #[serde(default)]
    pub color: Option<Vec<f64>>,
    /// Text strips: position, 0..1.
    #[serde(default)]
    pub location: Option<[f64; 2]>,
    /// The RNA properties asked for with `sequencer.strip_get`'s `properties`.
    #[serde(default)]
    pub properties: Option<Properties>,
}

/// The result of `sequencer.ensure`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SequencerEnsured {
    /// The scene.
    pub scene: String,
    /// Number of top-level strips.
    pub strips: u32,
}

command! {
    /// `sequencer.ensure`: creates the scene's sequence editor if missing.
    #[derive(Default)]
    pub struct SequencerEnsure => "sequencer.ensure" -> SequencerEnsured {}
}

/// The result of `sequencer.list`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StripListing {
    /// Every strip (nested ones included); empty without a sequence editor.
    pub strips: Vec<Strip>,
}

command! {
    /// `sequencer.list`: every strip, nested included.
    #[derive(Default)]
    pub struct SequencerList => "sequencer.list" -> StripListing {}
}

command! {
    /// `sequencer.add_movie`: a movie strip.
    #[derive(Default)]
    pub struct SequencerAddMovie => "sequencer.add_movie" -> Strip {
        /// Strip name.
        pub name: String,
        /// The movie file.
        pub path: String,
        /// Channel 1..128.
        pub channel: u32,
        /// Start frame.
        pub frame_start: i64,
    }
}

command! {
    /// `sequencer.add_image`: an image strip; several paths (in one directory) make an
    /// image sequence.
    #[derive(Default)]
    pub struct SequencerAddImage => "sequencer.add_image" -> Strip {
        /// Strip name.
        pub name: String,
        /// Image files, in order.
        pub paths: Vec<String>,
        /// Channel 1..128.
        pub channel: u32,
        /// Start frame.
        pub frame_start: i64,
    }
}

command! {
    /// `sequencer.add_effect`: an effect strip; [`EffectType::inputs`] says how many
    /// `inputs` (strip names) it takes; types without inputs need `frame_end`. A bad
    /// property removes the strip again.
    pub struct SequencerAddEffect => "sequencer.add_effect" -> Strip {
        /// Strip name.
        pub name: String,
        /// The effect.
        #[serde(rename = "type")]
        pub kind: EffectType,
        /// Channel 1..128.
        pub channel: u32,
        /// Start frame.
        pub frame_start: i64,
        /// End frame (for effects without inputs).
        pub frame_end: Option<i64>,
        /// Input strips (default none).
        pub inputs: Option<Vec<String>>,
        /// Strip RNA properties to set (`color`, ...).
        pub properties: Option<Properties>,
    }
}

command! {
    /// `sequencer.add_text`: a text strip.
    #[derive(Default)]
    pub struct SequencerAddText => "sequencer.add_text" -> Strip {
        /// Strip name.
        pub name: String,
        /// The text.
        pub text: String,
        /// Channel 1..128.
        pub channel: u32,
        /// Start frame.
        pub frame_start: i64,
        /// End frame.
        pub frame_end: i64,
        /// Font size.
        pub font_size: Option<f64>,
        /// RGBA.
        pub color: Option<[f64; 4]>,
        /// Position `[x, y]`, 0..1.
        pub location: Option<[f64; 2]>,
    }
}

command! {
    /// `sequencer.strip_get`: a strip's description; `properties` adds any RNA paths.
    #[derive(Default)]
    pub struct SequencerStripGet => "sequencer.strip_get" -> Strip {
        /// The strip.
        pub name: String,
        /// RNA paths to read.
        pub properties: Option<Vec<String>>,
    }
}

command! {
    /// `sequencer.strip_set`: sets any strip RNA properties, all checked before any is
    /// applied.
    #[derive(Default)]
    pub struct SequencerStripSet => "sequencer.strip_set" -> Strip {
        /// The strip.
        pub name: String,
        /// `{path: value}`.
        pub properties: Properties,
    }
}

command! {
    /// `sequencer.delete`: deletes strips, all or nothing.
    pub struct SequencerDelete => "sequencer.delete" -> Deleted {
        /// The strips.
        pub names: Vec<String>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::*;
    use crate::Value;

    #[test]
    fn sequencer_args_encode_as_the_add_on_expects() {
        let fx = args(&SequencerAddEffect {
            name: "Mix".into(),
            kind: EffectType::AlphaOver,
            channel: 5,
            frame_start: 1,
            frame_end: None,
            inputs: Some(vec!["A".into(), "B".into()]),
            properties: None,
        });
        assert_eq!(
            keys(&fx),
            ["name", "type", "channel", "frame_start", "inputs"]
        );
        assert_eq!(fx["type"], Value::from("ALPHA_OVER"));
        assert_eq!(EffectType::AlphaOver.inputs(), 2);
        let cm = args(&SequencerAddEffect {
            name: "C".into(),
            kind: EffectType::Colormix,
            channel: 1,
            frame_start: 1,
            frame_end: Some(5),
            inputs: None,
            properties: Some([("color".to_owned(), Value::Nil)].into()),
        });
        assert_eq!(cm["type"], Value::from("COLORMIX"));
        assert_eq!(
            args(&SequencerAddEffect {
                kind: EffectType::GaussianBlur,
                ..SequencerAddEffect {
                    name: "B".into(),
                    kind: EffectType::Glow,
                    channel: 1,
                    frame_start: 1,
                    frame_end: None,
                    inputs: None,
                    properties: None,
                }
            })["type"],
            Value::from("GAUSSIAN_BLUR")
        );
        let text = args(&SequencerAddText {
            name: "T".into(),
            text: "Hi".into(),
            channel: 3,
            frame_start: 1,
            frame_end: 20,
            font_size: Some(40.0),
            ..Default::default()
        });
        assert_eq!(
            keys(&text),
            [
                "name",
                "text",
                "channel",
                "frame_start",
                "frame_end",
                "font_size"
            ]
        );
        assert_eq!(
            args(&SequencerAddImage {
                name: "S".into(),
                paths: vec!["/a/1.png".into()],
                channel: 2,
                frame_start: 1
            })["paths"],
            Value::Array(vec!["/a/1.png".into()])
        );
        assert_eq!(args(&SequencerEnsure {}), map(vec![]));
    }
}
