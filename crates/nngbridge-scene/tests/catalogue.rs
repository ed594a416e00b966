//! The typed catalogue (`commands::ALL_COMMANDS`) names exactly the commands the add-on
//! registers: every `@command("domain.verb", ...)` decorator in
//! `python/nngbridge/blender/commands/*.py`. (The real-Blender check of names, argument
//! names, types and choices is `examples/typed_domains.rs`, run by
//! `tests/test_blender_rust_peer.py`.)

use std::collections::BTreeSet;
use std::path::Path;

use nngbridge_scene::commands::ALL_COMMANDS;

/// The first string literal after each `@command(` in `source`.
fn decorated_names(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find("@command(") {
        rest = &rest[at + "@command(".len()..];
        let start = rest.find('"').expect("a quoted command name");
        let end = rest[start + 1..].find('"').expect("closing quote");
        names.push(rest[start + 1..start + 1 + end].to_owned());
    }
    names
}

#[test]
fn typed_commands_equal_the_add_on_registry() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../python/nngbridge/blender/commands");
    let mut served = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).expect("the add-on's command sources") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_some_and(|e| e == "py") {
            let source = std::fs::read_to_string(&path).expect("read");
            for name in decorated_names(&source) {
                assert!(served.insert(name.clone()), "{name} registered twice");
            }
        }
    }
    assert!(
        served.len() > 70,
        "found only {} commands in {dir:?}",
        served.len()
    );
    let typed: BTreeSet<String> = ALL_COMMANDS.iter().map(|s| (*s).to_owned()).collect();
    let untyped: Vec<_> = served.difference(&typed).collect();
    let unserved: Vec<_> = typed.difference(&served).collect();
    assert!(
        untyped.is_empty() && unserved.is_empty(),
        "add-on commands without a typed struct: {untyped:?}; typed but not served: {unserved:?}"
    );
}

#[test]
fn decorator_scan_finds_multi_line_decorators() {
    let src = "@command(\n    \"object.create\",\n    type=arg(str),\n)\n@command(\"batch\", x=1)";
    assert_eq!(decorated_names(src), ["object.create", "batch"]);
}
