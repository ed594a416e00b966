//! JSON <-> MessagePack values for the command line. Binary arrays print as a summary.

use nngbridge_scene::Value;
use serde_json::{json, Map, Value as Json};

/// A JSON value as a MessagePack value (integers stay integers).
pub fn to_msgpack(j: &Json) -> Value {
    match j {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::from(*b),
        Json::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Value::from(i),
            (_, Some(u), _) => Value::from(u),
            (_, _, Some(f)) => Value::from(f),
            _ => Value::Nil,
        },
        Json::String(s) => Value::from(s.as_str()),
        Json::Array(a) => Value::Array(a.iter().map(to_msgpack).collect()),
        Json::Object(o) => Value::Map(
            o.iter()
                .map(|(k, v)| (Value::from(k.as_str()), to_msgpack(v)))
                .collect(),
        ),
    }
}

/// A MessagePack value as JSON; `bin` becomes `{"bin": N}` and a binary array
/// `{dtype, shape, data}` keeps dtype and shape with `data_len` instead of the bytes.
pub fn from_msgpack(v: &Value) -> Json {
    match v {
        Value::Nil => Json::Null,
        Value::Boolean(b) => json!(b),
        Value::Integer(i) => i
            .as_i64()
            .map(Json::from)
            .or_else(|| i.as_u64().map(Json::from))
            .unwrap_or(Json::Null),
        Value::F32(f) => json!(f),
        Value::F64(f) => json!(f),
        Value::String(s) => json!(s.as_str().unwrap_or("<invalid utf-8>")),
        Value::Binary(b) => json!({"bin": b.len()}),
        Value::Array(a) => Json::Array(a.iter().map(from_msgpack).collect()),
        Value::Map(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match k {
                    Value::String(s) => s.as_str().unwrap_or("?").to_owned(),
                    other => other.to_string(),
                };
                let val = match (key.as_str(), v) {
                    ("data", Value::Binary(b)) => {
                        out.insert("data_len".into(), json!(b.len()));
                        continue;
                    }
                    _ => from_msgpack(v),
                };
                out.insert(key, val);
            }
            Json::Object(out)
        }
        Value::Ext(t, d) => json!({"ext": t, "len": d.len()}),
    }
}

/// Pretty JSON text.
pub fn pretty(j: &Json) -> String {
    serde_json::to_string_pretty(j).unwrap_or_else(|_| j.to_string())
}
