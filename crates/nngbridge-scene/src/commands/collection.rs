//! `collection.*`: create (nested), list, get, link and unlink objects, delete.

use serde::Deserialize;

use super::DeletedOne;

/// A collection's description.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CollectionInfo {
    /// Name (the scene's own collection is `Scene Collection`).
    pub name: String,
    /// The collection it is a child of (`None` for the scene's collection).
    pub parent: Option<String>,
    /// Objects directly in it.
    pub objects: Vec<String>,
    /// Child collections.
    pub children: Vec<String>,
}

command! {
    /// `collection.create`: a collection under `parent` (default: the scene's), or the
    /// existing one of that name.
    #[derive(Default)]
    pub struct CollectionCreate => "collection.create" -> CollectionInfo {
        /// The name.
        pub name: String,
        /// The parent collection.
        pub parent: Option<String>,
    }
}

/// The result of `collection.list`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CollectionListing {
    /// The scene's collection first, then every collection.
    pub collections: Vec<CollectionInfo>,
}

command! {
    /// `collection.list`: every collection, the scene's first.
    #[derive(Default)]
    pub struct CollectionList => "collection.list" -> CollectionListing {}
}

command! {
    /// `collection.get`: one collection's description.
    pub struct CollectionGet => "collection.get" -> CollectionInfo {
        /// The collection.
        pub name: String,
    }
}

command! {
    /// `collection.link`: links objects into a collection (nothing changes if a name is
    /// unknown).
    #[derive(Default)]
    pub struct CollectionLink => "collection.link" -> CollectionInfo {
        /// The collection.
        pub collection: String,
        /// The objects.
        pub objects: Vec<String>,
        /// Unlink them from their other collections (`move` on the wire; default false).
        #[serde(rename = "move")]
        pub move_objects: Option<bool>,
    }
}

command! {
    /// `collection.unlink`: unlinks objects from a collection.
    pub struct CollectionUnlink => "collection.unlink" -> CollectionInfo {
        /// The collection.
        pub collection: String,
        /// The objects.
        pub objects: Vec<String>,
    }
}

command! {
    /// `collection.delete`: its objects are deleted too when `objects`, otherwise moved
    /// to the scene's collection if left in none.
    #[derive(Default)]
    pub struct CollectionDelete => "collection.delete" -> DeletedOne {
        /// The collection.
        pub name: String,
        /// Delete its objects too (default false).
        pub objects: Option<bool>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::*;
    use crate::Value;

    #[test]
    fn collection_args_encode_as_the_add_on_expects() {
        let link = args(&CollectionLink {
            collection: "C".into(),
            objects: vec!["A".into()],
            move_objects: Some(true),
        });
        assert_eq!(
            link,
            map(vec![
                ("collection", "C".into()),
                ("objects", Value::Array(vec!["A".into()])),
                ("move", true.into()),
            ])
        );
        assert_eq!(
            args(&CollectionCreate {
                name: "C".into(),
                parent: None
            }),
            map(vec![("name", "C".into())])
        );
        assert_eq!(
            keys(&args(&CollectionDelete {
                name: "C".into(),
                objects: Some(true)
            })),
            ["name", "objects"]
        );
    }
}
