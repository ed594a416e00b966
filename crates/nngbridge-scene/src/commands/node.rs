//! `node.*`: the nodes and links of a material's, a world's or the compositor's node
//! tree. Nodes by name, sockets by identifier, input values as Blender types them.

use serde::{Deserialize, Serialize};

use super::Properties;
use crate::wire::Value;

/// Whose node tree a `node.*` command works on (with the owner's name in `id`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NodeTree {
    /// A material's (`id`: the material, required).
    #[default]
    Material,
    /// A world's (`id` default: the scene's world).
    World,
    /// A scene's compositor (`id` default: the current scene).
    Compositor,
}

/// One socket of a node.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Socket {
    /// Unique on its node; what `node.link`/`node.set` take (`Base Color`, `Value_001`).
    pub identifier: String,
    /// The name shown (several sockets may share one).
    pub name: String,
    /// Blender's socket type (`VALUE`, `RGBA`, `VECTOR`, `SHADER`, `STRING`, `INT`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether the node uses it in its current mode.
    pub enabled: bool,
    /// Whether a link ends (input) or starts (output) here.
    pub linked: bool,
    /// An input's value, where it has one (`None` for outputs and shader inputs): a
    /// number, a list of numbers, a string or an enum item.
    #[serde(default)]
    pub value: Option<Value>,
}

/// A node (`node.list`, `node.add`, `node.set`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Node {
    /// Its name, unique in the tree.
    pub name: String,
    /// Blender's type (`ShaderNodeTexImage`, `CompositorNodeBlur`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Its label (empty: none).
    pub label: String,
    /// Where it sits in the editor.
    pub location: [f64; 2],
    /// The image of an image node (`None`: none, or no such property).
    #[serde(default)]
    pub image: Option<String>,
    /// Its inputs, in order.
    pub inputs: Vec<Socket>,
    /// Its outputs, in order.
    pub outputs: Vec<Socket>,
}

/// A link from an output socket to an input socket.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Link {
    /// The node it starts at.
    pub from_node: String,
    /// Its output socket's identifier.
    pub from_socket: String,
    /// The node it ends at.
    pub to_node: String,
    /// Its input socket's identifier.
    pub to_socket: String,
}

/// The result of `node.list`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct NodeListing {
    /// Every node.
    pub nodes: Vec<Node>,
    /// Every link.
    pub links: Vec<Link>,
}

/// The result of `node.remove`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NodesRemoved {
    /// The nodes removed.
    pub removed: Vec<String>,
}

/// The result of `node.unlink`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LinksRemoved {
    /// The links removed.
    pub removed: Vec<Link>,
}

command! {
    /// `node.list`: every node with its sockets and input values, and every link.
    #[derive(Default)]
    pub struct NodeList => "node.list" -> NodeListing {
        /// Whose tree.
        pub tree: NodeTree,
        /// The owner's name.
        pub id: Option<String>,
    }
}

command! {
    /// `node.add`: adds a node of a Blender type, with input values and properties; if
    /// any is refused, the tree is as it was.
    #[derive(Default)]
    pub struct NodeAdd => "node.add" -> Node {
        /// Whose tree.
        pub tree: NodeTree,
        /// The owner's name.
        pub id: Option<String>,
        /// Blender's node type (`ShaderNodeTexImage`).
        #[serde(rename = "type")]
        pub kind: String,
        /// Its name (default: Blender's).
        pub name: Option<String>,
        /// Where it sits.
        pub location: Option<[f64; 2]>,
        /// Input values by socket identifier.
        pub inputs: Option<Properties>,
        /// Node properties by RNA path (`operation`; an ID pointer such as `image` by name).
        pub properties: Option<Properties>,
    }
}

command! {
    /// `node.remove`: removes nodes and their links (none if a name is unknown).
    #[derive(Default)]
    pub struct NodeRemove => "node.remove" -> NodesRemoved {
        /// Whose tree.
        pub tree: NodeTree,
        /// The owner's name.
        pub id: Option<String>,
        /// The nodes.
        pub names: Vec<String>,
    }
}

command! {
    /// `node.link`: links an output socket to an input socket.
    #[derive(Default)]
    pub struct NodeLink => "node.link" -> Link {
        /// Whose tree.
        pub tree: NodeTree,
        /// The owner's name.
        pub id: Option<String>,
        /// The node the link starts at.
        pub from_node: String,
        /// Its output socket's identifier.
        pub from_socket: String,
        /// The node the link ends at.
        pub to_node: String,
        /// Its input socket's identifier.
        pub to_socket: String,
    }
}

command! {
    /// `node.unlink`: removes the links into an input socket (only those from
    /// `from_node`/`from_socket` if given).
    #[derive(Default)]
    pub struct NodeUnlink => "node.unlink" -> LinksRemoved {
        /// Whose tree.
        pub tree: NodeTree,
        /// The owner's name.
        pub id: Option<String>,
        /// The node the links end at.
        pub to_node: String,
        /// Its input socket's identifier.
        pub to_socket: String,
        /// Only links from this node.
        pub from_node: Option<String>,
        /// Only links from this output socket.
        pub from_socket: Option<String>,
    }
}

command! {
    /// `node.set`: renames, moves, labels a node and sets input values and properties,
    /// all checked before any is applied.
    #[derive(Default)]
    pub struct NodeSet => "node.set" -> Node {
        /// Whose tree.
        pub tree: NodeTree,
        /// The owner's name.
        pub id: Option<String>,
        /// The node.
        pub node: String,
        /// A new name.
        pub name: Option<String>,
        /// Where it sits.
        pub location: Option<[f64; 2]>,
        /// A label.
        pub label: Option<String>,
        /// Input values by socket identifier.
        pub inputs: Option<Properties>,
        /// Node properties by RNA path (an ID pointer such as `image` by name).
        pub properties: Option<Properties>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::*;

    #[test]
    fn node_args_encode_as_the_add_on_expects() {
        let add = args(&NodeAdd {
            tree: NodeTree::Material,
            id: Some("Paint".into()),
            kind: "ShaderNodeTexImage".into(),
            properties: Some([("image".to_owned(), Value::from("Checker"))].into()),
            ..Default::default()
        });
        assert_eq!(keys(&add), ["tree", "id", "type", "properties"]);
        assert_eq!(add["tree"], Value::from("MATERIAL"));
        let list = args(&NodeList {
            tree: NodeTree::Compositor,
            id: None,
        });
        assert_eq!(list, map(vec![("tree", "COMPOSITOR".into())]));
    }

    #[test]
    fn a_node_decodes_with_and_without_values() {
        let socket = |value: Option<Value>| {
            let mut entries = vec![
                ("identifier", "Color".into()),
                ("name", "Color".into()),
                ("type", "RGBA".into()),
                ("enabled", true.into()),
                ("linked", false.into()),
            ];
            if let Some(v) = value {
                entries.push(("value", v));
            }
            map(entries)
        };
        let n: Node = result(&map(vec![
            ("name", "Tex".into()),
            ("type", "ShaderNodeTexImage".into()),
            ("label", "".into()),
            ("location", Value::Array(vec![1.0.into(), 2.into()])),
            ("image", Value::Nil),
            ("inputs", Value::Array(vec![socket(Some(0.5.into()))])),
            ("outputs", Value::Array(vec![socket(None)])),
        ]));
        assert_eq!(n.location, [1.0, 2.0]);
        assert_eq!(n.inputs[0].value, Some(Value::from(0.5)));
        assert_eq!(n.outputs[0].value, None);
    }
}
