//! `material.*`: create, list, get, and assign to an object's material slots. A
//! material's node tree is `node.*` with [`NodeTree::Material`](super::NodeTree).

use serde::{Deserialize, Serialize};

use super::Properties;

/// A material (`material.create`, `material.get`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MaterialInfo {
    /// Its name.
    pub name: String,
    /// The viewport colour, RGBA.
    pub color: [f64; 4],
    /// The names of its tree's nodes (`node.list` describes them).
    pub nodes: Vec<String>,
    /// Its user count.
    pub users: u32,
    /// The objects with it in a slot (sorted).
    pub objects: Vec<String>,
    /// The RNA paths asked for, with their values (`material.get`'s `properties`).
    #[serde(default)]
    pub properties: Option<Properties>,
}

/// One material in `material.list`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MaterialSummary {
    /// Its name.
    pub name: String,
    /// Its user count.
    pub users: u32,
    /// How many nodes its tree has (0 without one).
    pub nodes: u32,
}

/// The result of `material.list`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MaterialListing {
    /// Every material.
    pub materials: Vec<MaterialSummary>,
}

/// The result of `material.assign`: the object's slots after it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MaterialSlots {
    /// The object.
    pub object: String,
    /// Each slot's material (`None`: an empty slot).
    pub slots: Vec<Option<String>>,
}

command! {
    /// `material.create`: a node material (Principled BSDF into Material Output).
    #[derive(Default)]
    pub struct MaterialCreate => "material.create" -> MaterialInfo {
        /// Its name (Blender may add a suffix).
        pub name: String,
        /// Viewport and Principled base colour, RGBA.
        pub color: Option<[f64; 4]>,
    }
}

command! {
    /// `material.list`: every material.
    #[derive(Default)]
    pub struct MaterialList => "material.list" -> MaterialListing {}
}

command! {
    /// `material.get`: a material, and any RNA paths (`roughness`, `blend_method`).
    #[derive(Default)]
    pub struct MaterialGet => "material.get" -> MaterialInfo {
        /// The material.
        pub name: String,
        /// RNA paths to read.
        pub properties: Option<Vec<String>>,
    }
}

/// `material.assign`: puts a material (or none) in an object's slot; without `slot`,
/// into a new slot at the end unless one holds it already.
///
/// Arguments, result and errors: `material.assign` in `docs/commands.json`, the table in
/// docs/protocol.md §11.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MaterialAssign {
    /// The object (its data's slots).
    pub object: String,
    /// The material; `None` (sent as `nil`) empties the slot.
    pub material: Option<String>,
    /// The slot index; the slot count appends one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slot: Option<u32>,
}

impl super::Command for MaterialAssign {
    const NAME: &'static str = "material.assign";
    type Output = MaterialSlots;
    const ARGS: &'static [super::ArgInfo] = &[
        ("object", "String", false),
        ("material", "String", true),
        ("slot", "u32", true),
    ];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::*;
    use crate::Value;

    #[test]
    fn assign_sends_nil_to_empty_a_slot() {
        let a = args(&MaterialAssign {
            object: "Cube".into(),
            material: None,
            slot: Some(1),
        });
        assert_eq!(
            a,
            map(vec![
                ("object", "Cube".into()),
                ("material", Value::Nil),
                ("slot", 1.into())
            ])
        );
        let b = args(&MaterialAssign {
            object: "Cube".into(),
            material: Some("Paint".into()),
            slot: None,
        });
        assert_eq!(keys(&b), ["object", "material"]);
    }

    #[test]
    fn slots_decode_with_empty_ones() {
        let s: MaterialSlots = result(&map(vec![
            ("object", "Cube".into()),
            ("slots", Value::Array(vec!["Paint".into(), Value::Nil])),
        ]));
        assert_eq!(s.slots, [Some("Paint".to_owned()), None]);
    }
}
