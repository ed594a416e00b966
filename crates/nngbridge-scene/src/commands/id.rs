//! `id.*`: custom properties of any datablock, addressed as `(kind, name)`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::DeletedOne;
use crate::wire::Value;

/// The kind of datablock an `id.*` command addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdKind {
    /// `bpy.data.objects`.
    #[default]
    Object,
    /// `bpy.data.scenes`.
    Scene,
    /// `bpy.data.materials`.
    Material,
    /// `bpy.data.meshes`.
    Mesh,
    /// `bpy.data.images`.
    Image,
    /// `bpy.data.movieclips`.
    Clip,
    /// `bpy.data.masks`.
    Mask,
    /// `bpy.data.collections`.
    Collection,
}

/// The result of `id.property_list`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct IdProperties {
    /// Every custom property with its value.
    pub properties: BTreeMap<String, Value>,
}

command! {
    /// `id.property_list`: every custom property of a datablock.
    #[derive(Default)]
    pub struct IdPropertyList => "id.property_list" -> IdProperties {
        /// What the datablock is.
        pub kind: IdKind,
        /// Its name.
        pub name: String,
    }
}

command! {
    /// `id.property_get`: one custom property of a datablock.
    #[derive(Default)]
    pub struct IdPropertyGet => "id.property_get" -> Value {
        /// What the datablock is.
        pub kind: IdKind,
        /// Its name.
        pub name: String,
        /// The custom property.
        pub key: String,
    }
}

command! {
    /// `id.property_set`: stores a custom property (maps, lists of numbers, scalars), only
    /// if Blender gives it back as sent; the result is the value as stored.
    pub struct IdPropertySet => "id.property_set" -> Value {
        /// What the datablock is.
        pub kind: IdKind,
        /// Its name.
        pub name: String,
        /// The custom property.
        pub key: String,
        /// Its value.
        pub value: Value,
    }
}

command! {
    /// `id.property_delete`: removes a custom property.
    #[derive(Default)]
    pub struct IdPropertyDelete => "id.property_delete" -> DeletedOne {
        /// What the datablock is.
        pub kind: IdKind,
        /// Its name.
        pub name: String,
        /// The custom property.
        pub key: String,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::*;

    #[test]
    fn id_args_encode_as_the_add_on_expects() {
        let set = args(&IdPropertySet {
            kind: IdKind::Clip,
            name: "C".into(),
            key: "k".into(),
            value: Value::from(2),
        });
        assert_eq!(keys(&set), ["kind", "name", "key", "value"]);
        assert_eq!(set["kind"], Value::from("clip"));
        let listed: IdProperties = result(&map(vec![(
            "properties",
            map(vec![("k", Value::Array(vec![1.into(), 2.into()]))]),
        )]));
        assert_eq!(
            listed.properties["k"],
            Value::Array(vec![1.into(), 2.into()])
        );
    }
}
