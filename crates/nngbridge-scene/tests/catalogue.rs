//! The typed commands against `docs/commands.json`, the catalogue the add-on's registry
//! emits (`python -m nngbridge.blender.catalogue`; `tests/test_catalogue.py` keeps the file
//! current): the same command names, and for each the same argument names, compatible
//! types, the same optionality and values inside the choices. The real-Blender check is
//! `tests/typed_domains.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use nngbridge_scene::commands::{ArgInfo, ALL_COMMANDS, COMMAND_ARGS};
use nngbridge_scene::Value;
use serde_json::Value as Json;

mod support {
    pub mod every_command;
}

/// `docs/commands.json`'s `commands`: name -> description.
fn catalogue() -> BTreeMap<String, Json> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/commands.json");
    let text = std::fs::read_to_string(&path).expect("docs/commands.json");
    let mut all: BTreeMap<String, Json> = serde_json::from_str(&text).expect("valid JSON");
    let Some(Json::Object(commands)) = all.remove("commands") else {
        panic!("{path:?} has no commands map")
    };
    commands.into_iter().collect()
}

/// An argument's description: `{type: [str], required, nullable?, choices?, ...}`.
fn arg_of<'a>(cat: &'a BTreeMap<String, Json>, cmd: &str, arg: &str) -> Option<&'a Json> {
    cat.get(cmd)?.get("args")?.get(arg)
}

fn types_of(spec: &Json) -> Vec<&str> {
    spec["type"]
        .as_array()
        .map(|a| a.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default()
}

/// The Python type names a Rust argument type is sent as, or `None` for a type whose
/// values are checked instead (enums, nested structs, free-form [`Value`]s).
fn python_types_of_rust(ty: &str) -> Option<&'static [&'static str]> {
    let ty: String = ty.chars().filter(|c| !c.is_whitespace()).collect();
    Some(match ty.as_str() {
        "String" => &["str"],
        "bool" => &["bool"],
        "i32" | "i64" | "u32" | "u64" | "usize" => &["int"],
        "f32" | "f64" => &["float"],
        "Properties" => &["dict"],
        t if t.starts_with("Vec<") || (t.starts_with('[') && t.contains(';')) => &["list"],
        t if t.starts_with("BTreeMap<") => &["dict"],
        _ => return None,
    })
}

#[test]
fn typed_commands_equal_the_catalogue() {
    let cat = catalogue();
    assert!(
        cat.len() > 70,
        "only {} commands in the catalogue",
        cat.len()
    );
    let listed: BTreeSet<&str> = cat.keys().map(String::as_str).collect();
    let typed: BTreeSet<&str> = ALL_COMMANDS.iter().copied().collect();
    assert_eq!(typed.len(), ALL_COMMANDS.len(), "a name is listed twice");
    let untyped: Vec<_> = listed.difference(&typed).collect();
    let unserved: Vec<_> = typed.difference(&listed).collect();
    assert!(
        untyped.is_empty() && unserved.is_empty(),
        "add-on commands without a typed struct: {untyped:?}; typed but not served: {unserved:?}"
    );
}

#[test]
fn typed_arguments_equal_the_catalogue_names_types_and_optionality() {
    let cat = catalogue();
    let mut problems = Vec::new();
    for (name, args) in COMMAND_ARGS {
        let wanted: BTreeSet<&str> = cat[*name]["args"]
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let have: BTreeSet<&str> = args.iter().map(|a| a.0).collect();
        if have != wanted {
            problems.push(format!(
                "{name}: arguments {have:?}, the add-on's {wanted:?}"
            ));
            continue;
        }
        for &(arg, ty, optional) in args.iter() {
            let spec = arg_of(&cat, name, arg).expect("checked above");
            problems.extend(mismatch(name, (arg, ty, optional), spec));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// What is wrong with one typed argument against its catalogue entry.
fn mismatch(cmd: &str, (arg, ty, optional): ArgInfo, spec: &Json) -> Vec<String> {
    let mut out = Vec::new();
    let required = spec["required"].as_bool().unwrap_or(true);
    let nullable = spec["nullable"].as_bool().unwrap_or(false);
    // An Option is left out when None (the add-on's default) or, for a required or
    // Option<Option<..>> argument, sent as nil: the add-on must accept one of those.
    if optional != (!required || nullable) {
        out.push(format!(
            "{cmd}.{arg}: Rust optional={optional}, add-on required={required} nullable={nullable}"
        ));
    }
    let compact: String = ty.chars().filter(|c| !c.is_whitespace()).collect();
    let inner = compact
        .strip_prefix("Option<")
        .and_then(|t| t.strip_suffix('>'));
    if inner.is_some() && (required || !nullable) {
        out.push(format!(
            "{cmd}.{arg}: Option<Option<..>> but nil is not a value"
        ));
    }
    if let Some(py) = python_types_of_rust(inner.unwrap_or(&compact)) {
        let types = types_of(spec);
        if !py.iter().any(|t| types.contains(t)) {
            out.push(format!(
                "{cmd}.{arg}: Rust {ty} is not the add-on's {types:?}"
            ));
        }
    }
    out
}

fn python_type(v: &Value) -> &'static [&'static str] {
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

/// Enums and nested structs, which the type names above leave out, by their values: every
/// command with every optional argument given sends values of the add-on's types, inside
/// its choices.
#[test]
fn every_typed_command_sends_values_the_catalogue_accepts() {
    let cat = catalogue();
    let full = support::every_command::every_command_fully_populated().expect("encode");
    let names: BTreeSet<&str> = full.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names.len(),
        ALL_COMMANDS.len(),
        "every command populated once"
    );
    for (name, args) in &full {
        let Value::Map(sent) = args else {
            panic!("{name}: arguments are not a map")
        };
        let wanted: BTreeSet<&str> = cat[*name]["args"]
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let sent_names: BTreeSet<&str> = sent.iter().filter_map(|(k, _)| k.as_str()).collect();
        assert_eq!(sent_names, wanted, "{name}: every argument given");
        for (k, v) in sent {
            let key = k.as_str().unwrap_or_default();
            let spec = arg_of(&cat, name, key).expect("checked above");
            let types = types_of(spec);
            let fits = python_type(v).iter().any(|t| types.contains(t))
                || (v.is_nil() && spec["nullable"].as_bool().unwrap_or(false));
            assert!(fits, "{name}.{key}: {v} is not {types:?}");
            if let (Some(choices), Some(s)) = (spec["choices"].as_array(), v.as_str()) {
                assert!(
                    choices.iter().any(|c| c.as_str() == Some(s)),
                    "{name}.{key}: {s:?} is not one of {choices:?}"
                );
            }
            if let Some(x) = v.as_f64().or_else(|| v.as_i64().map(|i| i as f64)) {
                let low = spec["minimum"].as_f64().unwrap_or(f64::MIN);
                let high = spec["maximum"].as_f64().unwrap_or(f64::MAX);
                assert!(
                    (low..=high).contains(&x),
                    "{name}.{key}: {x} is outside {low}..={high}"
                );
            }
            if let (Some(most), Some(s)) = (spec["max_bytes"].as_u64(), v.as_str()) {
                assert!(
                    s.len() as u64 <= most,
                    "{name}.{key}: {s:?} is over {most} bytes"
                );
            }
        }
    }
}

#[test]
fn a_mismatch_is_reported() {
    let spec: Json = serde_json::json!({"type": ["str"], "required": true});
    assert!(mismatch("x.y", ("a", "String", false), &spec).is_empty());
    assert_eq!(mismatch("x.y", ("a", "String", true), &spec).len(), 1);
    assert_eq!(mismatch("x.y", ("a", "f64", false), &spec).len(), 1);
    let nil: Json = serde_json::json!({"type": ["str"], "required": false, "nullable": true});
    assert!(mismatch("x.y", ("a", "Option<String>", true), &nil).is_empty());
}

#[test]
fn the_catalogue_decodes_as_session_commands_does() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/commands.json");
    let text = std::fs::read_to_string(path).expect("docs/commands.json");
    let listing: nngbridge_scene::commands::CommandSchemaListing =
        serde_json::from_str(&text).expect("the typed schema listing");
    let clip = &listing.commands["clip.info"];
    assert_eq!(clip.result.as_deref(), Some("<clip>"));
    assert!(listing.shapes["clip"].contains("frame_offset"));
    let render = &listing.commands["render.still"];
    assert!(render.job && render.domain == "render" && !render.since.is_empty());
    assert!(render.errors.iter().any(|e| e == "FORBIDDEN"));
    let progress = &listing.commands["wm.progress"].args["value"];
    assert!(progress.required && progress.nullable);
    assert_eq!(progress.maximum, Some(1.0));
}
