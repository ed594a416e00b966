//! `object.*`: create, list, get/set transforms and RNA properties, delete, selection,
//! hierarchy.

use serde::{Deserialize, Serialize};

use super::{Deleted, Named, Properties};

/// What `object.create` makes: a mesh primitive, an empty, a camera or a light.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ObjectType {
    /// A cube mesh.
    #[default]
    Cube,
    /// A plane mesh.
    Plane,
    /// A UV sphere mesh.
    UvSphere,
    /// An icosphere mesh.
    IcoSphere,
    /// A cylinder mesh.
    Cylinder,
    /// A cone mesh.
    Cone,
    /// A torus (ring) mesh.
    Torus,
    /// Suzanne.
    Monkey,
    /// An empty.
    Empty,
    /// A camera.
    Camera,
    /// A light.
    Light,
}

/// A light's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LightType {
    /// Omnidirectional.
    Point,
    /// Directional, infinitely far.
    Sun,
    /// A cone.
    Spot,
    /// An emitting surface.
    Area,
}

/// How an empty is drawn (Blender's `empty_display_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EmptyDisplayType {
    /// Three axes.
    PlainAxes,
    /// Three labelled arrows.
    Arrows,
    /// One arrow.
    SingleArrow,
    /// A circle.
    Circle,
    /// A cube.
    Cube,
    /// A sphere.
    Sphere,
    /// A cone.
    Cone,
    /// An image.
    Image,
}

command! {
    /// `object.create`: a mesh primitive, an empty, a camera or a light (no `bpy.ops`:
    /// works headless).
    #[derive(Default)]
    pub struct ObjectCreate => "object.create" -> Named {
        /// What to make.
        #[serde(rename = "type")]
        pub kind: ObjectType,
        /// The object's name.
        pub name: Option<String>,
        /// A collection, created on demand (default: the scene's).
        pub collection: Option<String>,
        /// Location.
        pub location: Option<[f64; 3]>,
        /// XYZ Euler rotation in radians.
        pub rotation: Option<[f64; 3]>,
        /// Scale.
        pub scale: Option<[f64; 3]>,
        /// Primitive size (default 2).
        pub size: Option<f64>,
        /// For empties (default `PLAIN_AXES`).
        pub empty_display_type: Option<EmptyDisplayType>,
        /// For empties: display size (default 1).
        pub empty_display_size: Option<f64>,
        /// For lights (default `POINT`).
        pub light_type: Option<LightType>,
        /// A parent object.
        pub parent: Option<String>,
    }
}

/// One object in `object.list`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ObjectSummary {
    /// Name.
    pub name: String,
    /// Blender type (`MESH`, `EMPTY`, `CAMERA`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Parent, if any.
    pub parent: Option<String>,
    /// Its first collection.
    pub collection: Option<String>,
}

/// The result of `object.list`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ObjectListing {
    /// The matching objects.
    pub objects: Vec<ObjectSummary>,
}

command! {
    /// `object.list`: the scene's objects (or a collection's, nested included), filtered.
    #[derive(Default)]
    pub struct ObjectList => "object.list" -> ObjectListing {
        /// Only this Blender type (`MESH`, `EMPTY`, ...).
        #[serde(rename = "type")]
        pub kind: Option<String>,
        /// Only objects in this collection.
        pub collection: Option<String>,
        /// Only selected (true) or unselected (false) objects.
        pub selected: Option<bool>,
        /// Only names starting with this.
        pub name_prefix: Option<String>,
    }
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
    /// Visible in the view layer.
    #[serde(default = "visible")]
    pub visible: bool,
    /// Its data-block (mesh, camera, light), if any.
    #[serde(default)]
    pub data: Option<String>,
    /// The RNA properties asked for with `object.get`'s `properties`.
    #[serde(default)]
    pub properties: Option<Properties>,
}

fn visible() -> bool {
    true
}

command! {
    /// `object.get`: transform and relations; `properties` adds any RNA paths
    /// (`data.lens`, `empty_display_size`, `["custom"]`).
    #[derive(Default)]
    pub struct ObjectGet => "object.get" -> ObjectInfo {
        /// The object.
        pub name: String,
        /// RNA paths to read.
        pub properties: Option<Vec<String>>,
    }
}

command! {
    /// `object.set`: only the given fields change, all checked before any is applied.
    #[derive(Default)]
    pub struct ObjectSet => "object.set" -> ObjectInfo {
        /// The object.
        pub name: String,
        /// New location.
        pub location: Option<[f64; 3]>,
        /// New rotation.
        pub rotation: Option<[f64; 3]>,
        /// New scale.
        pub scale: Option<[f64; 3]>,
        /// `Some(Some(name))` parents, `Some(None)` unparents (sends `nil`), `None` keeps.
        pub parent: Option<Option<String>>,
        /// Hide (true) or show (false) in the view layer.
        pub hide: Option<bool>,
        /// Any RNA properties by path.
        pub properties: Option<Properties>,
    }
}

command! {
    /// `object.delete`: deletes objects, all or nothing.
    pub struct ObjectDelete => "object.delete" -> Deleted {
        /// The objects.
        pub names: Vec<String>,
    }
}

/// The selection (result of `object.select` and `object.selection`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Selection {
    /// Selected objects.
    pub selected: Vec<String>,
    /// The active object.
    pub active: Option<String>,
}

command! {
    /// `object.select`: selects objects (nothing changes if a name is unknown).
    #[derive(Default)]
    pub struct ObjectSelect => "object.select" -> Selection {
        /// Objects to select.
        pub names: Vec<String>,
        /// The object to make active.
        pub active: Option<String>,
        /// Deselect everything else first (default true).
        pub deselect_others: Option<bool>,
    }
}

command! {
    /// `object.selection`: the current selection.
    #[derive(Default)]
    pub struct ObjectSelection => "object.selection" -> Selection {}
}

/// An object and its descendants (result of `object.hierarchy`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct HierarchyNode {
    /// Name.
    pub name: String,
    /// Children, recursively.
    pub children: Vec<HierarchyNode>,
}

command! {
    /// `object.hierarchy`: the tree below an object.
    pub struct ObjectHierarchy => "object.hierarchy" -> HierarchyNode {
        /// The object.
        pub name: String,
    }
}

/// The result of `object.root`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Root {
    /// The top-most ancestor (the object itself when it has no parent).
    pub root: String,
}

command! {
    /// `object.root`: an object's top-most ancestor (itself without a parent).
    pub struct ObjectRoot => "object.root" -> Root {
        /// The object.
        pub name: String,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::*;
    use crate::commands::Command;
    use crate::Value;

    #[test]
    fn object_args_encode_as_the_add_on_expects() {
        let c = ObjectCreate {
            kind: ObjectType::UvSphere,
            name: Some("Ball".into()),
            location: Some([1.0, 2.0, 3.0]),
            light_type: Some(LightType::Spot),
            empty_display_type: Some(EmptyDisplayType::PlainAxes),
            ..Default::default()
        };
        let v = args(&c);
        assert_eq!(v["type"], Value::from("UV_SPHERE"));
        assert_eq!(v["name"], Value::from("Ball"));
        assert_eq!(v["light_type"], Value::from("SPOT"));
        assert_eq!(v["empty_display_type"], Value::from("PLAIN_AXES"));
        assert_eq!(
            keys(&v),
            [
                "type",
                "name",
                "location",
                "empty_display_type",
                "light_type"
            ],
            "absent fields are not sent"
        );
        assert_eq!(ObjectCreate::NAME, "object.create");

        let unparent = args(&ObjectSet {
            name: "A".into(),
            parent: Some(None),
            ..Default::default()
        });
        assert_eq!(
            unparent,
            map(vec![("name", "A".into()), ("parent", Value::Nil)])
        );
        let keep = args(&ObjectSet {
            name: "A".into(),
            hide: Some(true),
            ..Default::default()
        });
        assert_eq!(keep, map(vec![("name", "A".into()), ("hide", true.into())]));
        let list = args(&ObjectList {
            kind: Some("MESH".into()),
            selected: Some(false),
            ..Default::default()
        });
        assert_eq!(
            list,
            map(vec![("type", "MESH".into()), ("selected", false.into())])
        );
        let get = args(&ObjectGet {
            name: "A".into(),
            properties: Some(vec!["data.lens".into()]),
        });
        assert_eq!(get["properties"], Value::Array(vec!["data.lens".into()]));
        let sel = args(&ObjectSelect {
            names: vec!["A".into()],
            deselect_others: Some(false),
            ..Default::default()
        });
        assert_eq!(keys(&sel), ["names", "deselect_others"]);
        assert_eq!(args(&ObjectSelection {}), map(vec![]));
    }

    #[test]
    fn object_results_decode() {
        let tree: HierarchyNode = result(&map(vec![
            ("name", "P".into()),
            (
                "children",
                Value::Array(vec![map(vec![
                    ("name", "C".into()),
                    ("children", Value::Array(vec![])),
                ])]),
            ),
        ]));
        assert_eq!(tree.children[0].name, "C");
    }
}
