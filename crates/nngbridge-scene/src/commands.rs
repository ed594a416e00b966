//! Typed commands: one struct per command of docs/protocol.md §11 that the add-on serves,
//! each naming its wire name and its result type. `SceneClient::run(&cmd)` sends it.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::wire::Array;

/// A command: its wire name and the type of its result.
pub trait Command: Serialize {
    /// `domain.verb`.
    const NAME: &'static str;
    /// What a successful call returns.
    type Output: DeserializeOwned;
}

macro_rules! command {
    ($ty:ty, $name:literal, $out:ty) => {
        impl Command for $ty {
            const NAME: &'static str = $name;
            type Output = $out;
        }
    };
}

/// `{}` for commands without arguments.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NoArgs {}

/// `session.hello`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Hello {}
/// The result of `session.hello`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct HelloInfo {
    /// The server's protocol version.
    pub protocol: u32,
    /// Server name and version.
    pub server: String,
    /// Blender's version.
    pub blender: String,
    /// Every command the server serves.
    pub commands: Vec<String>,
}
command!(Hello, "session.hello", HelloInfo);

/// `session.ping` → `"pong"`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Ping {}
command!(Ping, "session.ping", String);

/// `session.shutdown` → `true`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Shutdown {}
command!(Shutdown, "session.shutdown", bool);

/// A result naming one data-block.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Named {
    /// Its name (Blender may have added a suffix such as `.001`).
    pub name: String,
}

/// `object.create`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ObjectCreate {
    /// `CUBE`, `PLANE`, `UV_SPHERE`, `ICO_SPHERE`, `CYLINDER`, `CONE`, `TORUS`, `MONKEY`,
    /// `EMPTY`, `CAMERA` or `LIGHT`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The object's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A collection, created on demand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collection: Option<String>,
    /// Location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<[f64; 3]>,
    /// XYZ Euler rotation in radians.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation: Option<[f64; 3]>,
    /// Scale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<[f64; 3]>,
    /// Primitive size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<f64>,
    /// For empties: `PLAIN_AXES`, `ARROWS`, `CUBE`, `SPHERE`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub empty_display_type: Option<String>,
    /// For empties: display size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub empty_display_size: Option<f64>,
    /// For lights: `POINT`, `SUN`, `SPOT`, `AREA`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub light_type: Option<String>,
    /// A parent object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}
command!(ObjectCreate, "object.create", Named);

/// `object.get`.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectGet {
    /// The object.
    pub name: String,
}
/// An object's description.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ObjectInfo {
    /// Name.
    pub name: String,
    /// Blender type (`MESH`, `EMPTY`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Location.
    pub location: [f64; 3],
    /// XYZ Euler rotation (radians).
    pub rotation: [f64; 3],
    /// Scale.
    pub scale: [f64; 3],
    /// Parent, if any.
    pub parent: Option<String>,
    /// Children's names.
    pub children: Vec<String>,
    /// Collections it is in.
    pub collections: Vec<String>,
}
command!(ObjectGet, "object.get", ObjectInfo);

/// `object.set`: only the given fields change.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ObjectSet {
    /// The object.
    pub name: String,
    /// New location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<[f64; 3]>,
    /// New rotation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation: Option<[f64; 3]>,
    /// New scale.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<[f64; 3]>,
}
command!(ObjectSet, "object.set", ObjectInfo);

/// `object.delete`: all or nothing.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectDelete {
    /// The objects.
    pub names: Vec<String>,
}
/// The result of `object.delete`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Deleted {
    /// What was deleted.
    pub deleted: Vec<String>,
}
command!(ObjectDelete, "object.delete", Deleted);

/// `scene.get`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SceneGet {}
/// A scene's frame range and render settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SceneInfo {
    /// Scene name.
    pub name: String,
    /// Current frame.
    pub frame_current: i64,
    /// First frame.
    pub frame_start: i64,
    /// Last frame.
    pub frame_end: i64,
    /// Frames per second.
    pub fps: f64,
    /// Render resolution.
    pub resolution: [u32; 2],
    /// Render resolution percentage.
    pub resolution_percentage: u32,
}
command!(SceneGet, "scene.get", SceneInfo);

/// `scene.set`: only the given fields change.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SceneSet {
    /// Current frame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame_current: Option<i64>,
    /// First frame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame_start: Option<i64>,
    /// Last frame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame_end: Option<i64>,
    /// Frames per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fps: Option<u32>,
    /// Render resolution.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<[u32; 2]>,
    /// Render resolution percentage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution_percentage: Option<u32>,
}
command!(SceneSet, "scene.set", SceneInfo);

/// `image.new`.
#[derive(Debug, Clone, Serialize)]
pub struct ImageNew {
    /// Image name.
    pub name: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}
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
command!(ImageNew, "image.new", ImageInfo);

/// `image.pixels_get` → a float32 `[h, w, c]` array.
#[derive(Debug, Clone, Serialize)]
pub struct ImagePixelsGet {
    /// The image.
    pub name: String,
}
command!(ImagePixelsGet, "image.pixels_get", Array);

/// `image.pixels_set`: the array must match the image's shape.
#[derive(Debug, Clone, Serialize)]
pub struct ImagePixelsSet {
    /// The image.
    pub name: String,
    /// `f4`, `[h, w, c]`.
    pub pixels: Array,
}
command!(ImagePixelsSet, "image.pixels_set", Named);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;

    fn args<C: Command>(c: &C) -> Value {
        crate::codec::decode(&crate::codec::encode(c).expect("encode")).expect("decode")
    }

    #[test]
    fn typed_commands_encode_the_argument_maps_the_add_on_expects() {
        let c = ObjectCreate {
            kind: "CUBE".into(),
            name: Some("Box".into()),
            location: Some([1.0, 2.0, 3.0]),
            ..Default::default()
        };
        let v = args(&c);
        assert_eq!(v["type"], Value::from("CUBE"));
        assert_eq!(v["name"], Value::from("Box"));
        assert!(
            matches!(v["collection"], Value::Nil),
            "absent fields are not sent"
        );
        assert_eq!(ObjectCreate::NAME, "object.create");
        let set = args(&SceneSet {
            frame_current: Some(5),
            ..Default::default()
        });
        assert_eq!(set, Value::Map(vec![("frame_current".into(), 5.into())]));
    }
}
