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

mod support {
    pub mod every_command;
}

/// One `@command(...)` decorator: the command's name and its arguments, each with the
/// Python type names of its `arg(...)` (or `vec(...)`: a list) and whether nil is a value.
struct Decorator {
    name: String,
    args: Vec<(String, Vec<String>, bool)>,
}

/// Splits `text` at commas outside brackets and string literals.
fn split_top(text: &str) -> Vec<&str> {
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0);
    let mut parts = Vec::new();
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                parts.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(text[start..].trim());
    parts.retain(|p| !p.is_empty());
    parts
}

/// The text between `open` (just after a `(`) and its matching `)`.
fn inside_parens(text: &str) -> &str {
    let (mut depth, mut quote) = (1i32, None::<char>);
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth -= 1;
                if depth == 0 {
                    return &text[..i];
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced parentheses in {text:.80}")
}

fn decorators(source: &str) -> Vec<Decorator> {
    let mut out = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find("@command(") {
        rest = &rest[at + "@command(".len()..];
        let parts = split_top(inside_parens(rest));
        let name = parts[0].trim_matches(|c| c == '"' || c == '\'').to_owned();
        let mut args = Vec::new();
        for part in &parts[1..] {
            if *part == "/" {
                continue;
            }
            let (key, value) = part.split_once('=').expect("key=arg(...)");
            let value = value.trim();
            let (types, nullable) = if let Some(inner) = value.strip_prefix("arg(") {
                let inner = split_top(inside_parens(inner));
                let types = inner
                    .iter()
                    .filter(|p| !p.contains('=') && !p.starts_with("**"))
                    .map(|p| (*p).to_owned())
                    .collect();
                (types, inner.contains(&"nullable=True"))
            } else if value.starts_with("vec(") {
                (vec!["list".to_owned()], false)
            } else {
                panic!("{name}.{key}: unknown schema {value}")
            };
            args.push((key.trim().to_owned(), types, nullable));
        }
        out.push(Decorator { name, args });
    }
    out
}

fn add_on_decorators() -> Vec<Decorator> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../python/nngbridge/blender/commands");
    let mut all = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("the add-on's command sources") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_some_and(|e| e == "py") {
            all.extend(decorators(&std::fs::read_to_string(&path).expect("read")));
        }
    }
    all
}

fn python_type(v: &nngbridge_scene::Value) -> &'static [&'static str] {
    use nngbridge_scene::Value;
    match v {
        Value::Nil => &["None"],
        Value::Boolean(_) => &["bool"],
        Value::Integer(_) => &["int", "float"],
        Value::F32(_) | Value::F64(_) => &["float"],
        Value::String(_) => &["str"],
        Value::Array(_) => &["list"],
        Value::Map(_) => &["dict"],
        Value::Binary(_) => &["bytes"],
        Value::Ext(..) => &[],
    }
}

#[test]
fn every_typed_command_sends_the_add_on_argument_names_and_types() {
    let decorators = add_on_decorators();
    let full = support::every_command::every_command_fully_populated().expect("encode");
    assert_eq!(
        full.len(),
        ALL_COMMANDS.len(),
        "every command populated once"
    );
    for (name, args) in &full {
        let dec = decorators
            .iter()
            .find(|d| d.name == *name)
            .unwrap_or_else(|| panic!("{name} is not in the add-on"));
        let nngbridge_scene::Value::Map(sent) = args else {
            panic!("{name}: arguments are not a map")
        };
        let sent_names: BTreeSet<&str> = sent.iter().filter_map(|(k, _)| k.as_str()).collect();
        let wanted: BTreeSet<&str> = dec.args.iter().map(|(k, _, _)| k.as_str()).collect();
        assert_eq!(sent_names, wanted, "{name}: argument names");
        for (k, v) in sent {
            let key = k.as_str().unwrap_or_default();
            let (_, types, nullable) = dec
                .args
                .iter()
                .find(|(a, _, _)| a == key)
                .expect("checked above");
            let fits = python_type(v).iter().any(|t| types.iter().any(|x| x == t))
                || (v.is_nil() && *nullable);
            assert!(fits, "{name}.{key}: {v} is not {types:?}");
        }
    }
}

#[test]
fn decorator_parser_reads_names_types_and_nullability() {
    let src = r#"@command("wm.progress", value=arg(float, nullable=True, minimum=0.0),
             pos=vec(3), choice=arg(str, default=None, choices=("A", "B,C")), n=arg(int, **CH))"#;
    let d = &decorators(src)[0];
    assert_eq!(d.name, "wm.progress");
    let names: Vec<_> = d
        .args
        .iter()
        .map(|(k, t, n)| (k.as_str(), t.clone(), *n))
        .collect();
    assert_eq!(
        names,
        [
            ("value", vec!["float".to_owned()], true),
            ("pos", vec!["list".to_owned()], false),
            ("choice", vec!["str".to_owned()], false),
            ("n", vec!["int".to_owned()], false),
        ]
    );
}
