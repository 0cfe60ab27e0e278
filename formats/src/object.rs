//! The one object reader: a mapping's keys checked against the fields a reader knows, for the
//! scenario reader (meshlb's own sections and embedded Istio resources), the Envoy reader and
//! the readers of Kubernetes objects and the filter's documents ([`crate::tree::Node::members`]).
//!
//! A key is a field the reader models (returned in [`Fields`]), a field of the API the reader
//! accepts without modelling (handed to the caller, which notes it), or an error with a "did you
//! mean" hint. Proto3 JSON accepts both spellings of a field (`lbEndpoints` and `lb_endpoints`,
//! protobuf's JSON mapping); a field spelled both ways in one mapping is an error, as protobuf's
//! parser refuses it.

use crate::names::{hint, lower_camel};
use crate::tree::{Node, Value};

/// How the keys of a mapping may be spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spelling {
    /// As listed (meshlb's own sections, Kubernetes objects).
    Exact,
    /// `lowerCamelCase` or `snake_case`, whichever the list uses (proto3 JSON: Envoy's and
    /// Istio's APIs).
    Proto,
}

/// The keys a mapping may have.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape<'a> {
    /// What the mapping is, for messages (`a workload`, `Cluster`); "" says nothing.
    pub(crate) what: &'a str,
    /// Keys the reader models.
    pub(crate) modelled: &'a [&'static str],
    /// Keys of the API the reader accepts without modelling (handed to the caller).
    pub(crate) unmodelled: &'a [&'static str],
    /// How keys may be spelled.
    pub(crate) spelling: Spelling,
}

impl<'a> Shape<'a> {
    /// A mapping of meshlb's own, keys exactly as listed.
    pub(crate) const fn own(what: &'a str, modelled: &'a [&'static str]) -> Self {
        Self {
            what,
            modelled,
            unmodelled: &[],
            spelling: Spelling::Exact,
        }
    }

    /// A proto3 message: keys in either spelling; `unmodelled` fields are accepted.
    pub(crate) const fn proto(
        what: &'a str,
        modelled: &'a [&'static str],
        unmodelled: &'a [&'static str],
    ) -> Self {
        Self {
            what,
            modelled,
            unmodelled,
            spelling: Spelling::Proto,
        }
    }

    /// Whether `key`, as written, names the field `name`: in proto3 JSON, the field's name or
    /// its lowerCamelCase JSON name (`consecutive_5xx_errors` is `consecutive5xxErrors`), whichever
    /// of the two the list uses.
    fn names(&self, name: &str, key: &str) -> bool {
        name == key
            || (self.spelling == Spelling::Proto
                && ((key.contains('_') && lower_camel(key) == name)
                    || (name.contains('_') && lower_camel(name) == key)))
    }
}

/// A mapping's keys, matched against its [`Shape`]: (canonical name, key as written, value).
#[derive(Debug)]
pub(crate) struct Fields<'n> {
    /// The mapping.
    pub(crate) node: &'n Node,
    found: Vec<(&'static str, &'n str, &'n Node)>,
}

impl<'n> Fields<'n> {
    /// The field `name` (its canonical name): the key as written and the value, unless absent
    /// or `null`.
    pub(crate) fn get(&self, name: &str) -> Option<(&'n str, &'n Node)> {
        self.found
            .iter()
            .find(|(canonical, _, node)| *canonical == name && node.value != Value::Null)
            .map(|(_, key, node)| (*key, *node))
    }
}

/// Why a mapping was not read: where (a key of it, or the mapping itself) and what.
#[derive(Debug)]
pub(crate) enum Misread<'n> {
    /// The value is not a mapping (the caller says so in its own words: JSON's "object" or
    /// YAML's "mapping").
    NotAMapping,
    /// A key that is not a field, or a field spelled twice: the key, its value's line, the
    /// message.
    Key(&'n str, usize, String),
}

/// Reads `node` as a mapping of `shape`. Each accepted but unmodelled field is handed to
/// `unmodelled` (its canonical name, the key as written, the value).
pub(crate) fn read<'n>(
    node: &'n Node,
    shape: &Shape<'_>,
    mut unmodelled: impl FnMut(&'static str, &'n str, &'n Node),
) -> Result<Fields<'n>, Misread<'n>> {
    let Value::Map(entries) = &node.value else {
        return Err(Misread::NotAMapping);
    };
    let mut fields = Fields {
        node,
        found: Vec::with_capacity(entries.len()),
    };
    for (key, value) in entries {
        if let Some(&name) = shape.modelled.iter().find(|n| shape.names(n, key)) {
            if let Some((_, other, _)) = fields.found.iter().find(|(c, _, _)| *c == name) {
                return Err(Misread::Key(
                    key,
                    value.line,
                    format!("`{key}` and `{other}` are the same field spelled twice"),
                ));
            }
            fields.found.push((name, key.as_str(), value));
        } else if let Some(&name) = shape.unmodelled.iter().find(|n| shape.names(n, key)) {
            unmodelled(name, key, value);
        } else {
            let names = shape
                .modelled
                .iter()
                .chain(shape.unmodelled)
                .copied()
                .filter(|n| !n.starts_with('@'));
            let within = if shape.what.is_empty() {
                String::new()
            } else {
                format!(" in {}", shape.what)
            };
            return Err(Misread::Key(
                key,
                value.line,
                format!("unknown field `{key}`{within}{}", hint(key, names)),
            ));
        }
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(text: &str) -> Node {
        crate::tree::parse_json(text).unwrap()
    }

    const PROTO: Shape<'static> =
        Shape::proto("Cluster", &["lb_policy", "name"], &["dns_lookup_family"]);

    #[test]
    fn proto_fields_take_both_spellings() {
        let n = node(r#"{"lbPolicy": "RANDOM", "name": "a", "dnsLookupFamily": "V4_ONLY"}"#);
        let mut noted = Vec::new();
        let f = read(&n, &PROTO, |name, key, _| noted.push((name, key))).unwrap();
        assert_eq!(f.get("lb_policy").map(|(k, _)| k), Some("lbPolicy"));
        assert_eq!(noted, [("dns_lookup_family", "dnsLookupFamily")]);
        // camelCase canonical names take snake_case keys too.
        let camel = Shape::proto("DestinationRule", &["trafficPolicy"], &[]);
        let n = node(r#"{"traffic_policy": {}}"#);
        assert!(
            read(&n, &camel, |_, _, _| {})
                .unwrap()
                .get("trafficPolicy")
                .is_some()
        );
    }

    #[test]
    fn a_field_spelled_twice_is_an_error() {
        let n = node(r#"{"lb_policy": "RANDOM", "lbPolicy": "MAGLEV"}"#);
        let Err(Misread::Key(key, line, message)) = read(&n, &PROTO, |_, _, _| {}) else {
            panic!("read");
        };
        assert_eq!((key, line), ("lbPolicy", 1));
        assert_eq!(
            message,
            "`lbPolicy` and `lb_policy` are the same field spelled twice"
        );
    }

    #[test]
    fn unknown_fields_get_a_hint_and_exact_shapes_one_spelling() {
        let n = node(r#"{"lb_polcy": 1}"#);
        let Err(Misread::Key(_, _, message)) = read(&n, &PROTO, |_, _, _| {}) else {
            panic!("read");
        };
        assert_eq!(
            message,
            "unknown field `lb_polcy` in Cluster; did you mean `lb_policy`?"
        );
        let own = Shape::own("a workload", &["service_name"]);
        let n = node(r#"{"serviceName": 1}"#);
        assert!(matches!(
            read(&n, &own, |_, _, _| {}),
            Err(Misread::Key("serviceName", 1, _))
        ));
        assert!(matches!(
            read(&node("[]"), &own, |_, _, _| {}),
            Err(Misread::NotAMapping)
        ));
    }
}
