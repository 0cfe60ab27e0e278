//! The JSON reader against `serde_json` on generated documents (issue 12): every document
//! `serde_json` writes is read to the same values, in the same order, and a document mutated by
//! a deleted, inserted or replaced byte, or cut short, is refused by meshlb exactly when
//! `serde_json` refuses it. The two known differences are checked as such: meshlb refuses a
//! duplicate key (serde_json keeps the last), and reads a number too large for `f64` as
//! infinity where serde_json refuses it.

use meshlb_formats::parse_json;
use meshlb_formats::tree::{Node, Value};
use proptest::prelude::*;
use serde_json::{Map, Number, Value as Json};

/// JSON values of up to four levels: every scalar kind, strings with escapes and non-ASCII
/// text, integers across `i64` and `u64`, finite floats.
fn json() -> impl Strategy<Value = Json> {
    let scalar = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<i64>().prop_map(|n| Json::Number(n.into())),
        any::<u64>().prop_map(|n| Json::Number(n.into())),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| Number::from_f64(f).map_or(Json::Null, Json::Number)),
        any::<String>().prop_map(Json::String),
        "[a-z\"\\\\/\t\n\u{7f}-\u{10ffff}]{0,12}".prop_map(Json::String),
    ];
    scalar.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
            prop::collection::vec(("[a-zA-Z_\u{e9}\"]{0,6}", inner), 0..6).prop_map(|entries| {
                let mut map = Map::new();
                for (k, v) in entries {
                    map.insert(k, v);
                }
                Json::Object(map)
            }),
        ]
    })
}

/// The keys of every mapping, in the order meshlb read them (depth first).
fn key_order(node: &Node, out: &mut Vec<String>) {
    match &node.value {
        Value::Seq(items) => items.iter().for_each(|n| key_order(n, out)),
        Value::Map(entries) => {
            for (k, v) in entries {
                out.push(k.clone());
                key_order(v, out);
            }
        }
        _ => {}
    }
}

/// The keys of every object of a `serde_json` value, in its order (depth first).
fn json_key_order(value: &Json, out: &mut Vec<String>) {
    match value {
        Json::Array(items) => items.iter().for_each(|v| json_key_order(v, out)),
        Json::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                json_key_order(v, out);
            }
        }
        _ => {}
    }
}

/// meshlb's tree as a `serde_json` value, for comparison (objects lose their order here:
/// [`key_order`] checks it).
fn to_json(node: &Node) -> Json {
    match &node.value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::Number((*i).into()),
        Value::Float(f) => Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Value::Str(s) => Json::String(s.clone()),
        Value::Seq(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect(),
        ),
    }
}

/// Equal values; numbers compare by value (serde_json keeps integers past `i64` as `u64`,
/// meshlb as `f64`, the same number either way for the reader).
fn same(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, vx)| y.get(k).is_some_and(|vy| same(vx, vy)))
        }
        _ => a == b,
    }
}

/// One change to a document's bytes.
#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize),
    Insert(usize, u8),
    Replace(usize, u8),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    // Bytes that matter to JSON's grammar, and a few that do not belong in it.
    let byte = prop::sample::select(b"{}[]:,\"\\ \n\t0123456789-+.eEtrufalsn\x00\x1fx/".to_vec());
    prop_oneof![
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), byte.clone()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), byte).prop_map(|(i, b)| Mutation::Replace(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(text: &str, m: &Mutation) -> Option<String> {
    let mut bytes = text.as_bytes().to_vec();
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
    match *m {
        Mutation::Delete(i) if !bytes.is_empty() => {
            bytes.remove(at(i, bytes.len()));
        }
        Mutation::Insert(i, b) => bytes.insert(at(i, bytes.len() + 1), b),
        Mutation::Replace(i, b) if !bytes.is_empty() => {
            let i = at(i, bytes.len());
            bytes[i] = b;
        }
        Mutation::Truncate(i) => bytes.truncate(at(i, bytes.len())),
        _ => {}
    }
    // A change inside a multi-byte character is not text; both readers take text.
    String::from_utf8(bytes).ok()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, ..ProptestConfig::default() })]

    /// What serde_json writes, compact or pretty, meshlb reads to the same values.
    #[test]
    fn reads_what_serde_json_writes(value in json(), pretty in any::<bool>()) {
        let text = if pretty {
            serde_json::to_string_pretty(&value).unwrap()
        } else {
            serde_json::to_string(&value).unwrap()
        };
        let node = parse_json(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let read = to_json(&node);
        prop_assert!(same(&read, &value), "{text}\nread as {read}");
        // Mappings keep the order written (serde_json writes its keys sorted).
        let (mut ours, mut written) = (Vec::new(), Vec::new());
        key_order(&node, &mut ours);
        json_key_order(&value, &mut written);
        prop_assert_eq!(ours, written);
    }

    /// A mutated document is refused exactly when serde_json refuses it, and read to the same
    /// values when both accept it.
    #[test]
    fn refuses_what_serde_json_refuses(value in json(), m in mutation()) {
        let text = serde_json::to_string(&value).unwrap();
        let Some(text) = mutate(&text, &m) else { return Ok(()) };
        let theirs = serde_json::from_str::<Json>(&text);
        let ours = parse_json(&text);
        match (ours, theirs) {
            (Ok(node), Ok(value)) => {
                let read = to_json(&node);
                prop_assert!(same(&read, &value), "{text}\nread as {read}, serde_json {value}");
            }
            (Err(e), Ok(_)) => {
                // The one rule meshlb adds: a key appears once in an object.
                prop_assert!(e.message.starts_with("duplicate key"), "{text}\nmeshlb: {e}");
            }
            (Ok(node), Err(e)) => {
                // serde_json refuses a number past f64's range; meshlb reads infinity (and
                // every reader that takes a number refuses it there).
                let _ = node;
                prop_assert!(
                    e.to_string().contains("number out of range"),
                    "{text}\nmeshlb read it, serde_json: {e}"
                );
            }
            (Err(_), Err(_)) => {}
        }
    }
}

#[test]
fn the_differences_are_the_known_ones() {
    // A duplicate key: serde_json keeps the last, meshlb names it.
    let text = r#"{"a": 1, "a": 2}"#;
    assert_eq!(serde_json::from_str::<Json>(text).unwrap()["a"], 2);
    let e = parse_json(text).unwrap_err();
    assert_eq!(e.path.to_string(), "a");
    assert!(e.message.starts_with("duplicate key `a`"), "{e}");
    // A number past f64's range.
    assert!(serde_json::from_str::<Json>("1e400").is_err());
    let node = parse_json("1e400").unwrap();
    assert_eq!(node.value, Value::Float(f64::INFINITY));
}
