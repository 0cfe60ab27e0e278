//! Scalars, lists, labels and localities, with the path and line of every error.

use meshlb::Note;
use std::collections::BTreeSet;

use meshlb::mesh::Labels;

use super::{Parser, fail};
use crate::error::InputError;
use crate::names::enum_hint;
use crate::object::{self, Fields, Misread, Shape};
use crate::path::At;
use crate::tree::{self, Node, Value};

impl<'t> Parser<'t> {
    pub(super) fn new(text: &'t str) -> Self {
        Parser {
            text,
            ignored: BTreeSet::new(),
            notes: Vec::new(),
        }
    }

    pub(super) fn finish_notes(&mut self) -> Vec<Note> {
        let mut notes = std::mem::take(&mut self.notes);
        notes.extend(crate::names::not_modelled_note(&self.ignored));
        notes
    }

    /// The text of a value as written (for messages).
    pub(super) fn raw(&self, node: &Node) -> String {
        tree::raw(self.text, node.span).trim().to_string()
    }

    /// A value for a message: `9080`, `"east"`, `a list`.
    pub(super) fn describe(&self, node: &Node) -> String {
        match &node.value {
            Value::Str(s) => format!("{s:?}"),
            Value::Int(i) => i.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Float(_) => self.raw(node),
            _ => node.kind().to_string(),
        }
    }

    pub(super) fn object<'n>(
        &mut self,
        node: &'n Node,
        at: &At<'_>,
        shape: &Shape<'_>,
    ) -> Result<Fields<'n>, InputError> {
        let ignored = &mut self.ignored;
        object::read(node, shape, |_, key, _| {
            ignored.insert(at.key(key).path().pattern());
        })
        .map_err(|e| match e {
            Misread::NotAMapping => fail(
                at,
                node.line,
                format!("expected a mapping ({}), found {}", shape.what, node.kind()),
            ),
            Misread::Key(key, line, message) => fail(&at.key(key), line, message),
        })
    }

    /// A required field.
    pub(super) fn require<'n>(
        f: &Fields<'n>,
        name: &str,
        at: &At<'_>,
        what: &str,
    ) -> Result<(&'n str, &'n Node), InputError> {
        f.get(name)
            .ok_or_else(|| fail(at, f.node.line, format!("missing field `{name}` ({what})")))
    }

    pub(super) fn string(&self, node: &Node, at: &At<'_>) -> Result<String, InputError> {
        match &node.value {
            Value::Str(s) => Ok(s.clone()),
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                let raw = self.raw(node);
                Err(fail(
                    at,
                    node.line,
                    format!(
                        "expected a string, found {} ({raw}); quote it: \"{raw}\"",
                        node.kind()
                    ),
                ))
            }
            _ => Err(fail(
                at,
                node.line,
                format!("expected a string, found {}", node.kind()),
            )),
        }
    }

    /// An optional string field ("" when absent).
    pub(super) fn str_field(
        &self,
        f: &Fields<'_>,
        name: &str,
        at: &At<'_>,
    ) -> Result<String, InputError> {
        match f.get(name) {
            Some((key, node)) => self.string(node, &at.key(key)),
            None => Ok(String::new()),
        }
    }

    pub(super) fn opt_str_field(
        &self,
        f: &Fields<'_>,
        name: &str,
        at: &At<'_>,
    ) -> Result<Option<String>, InputError> {
        f.get(name)
            .map(|(key, node)| self.string(node, &at.key(key)))
            .transpose()
    }

    pub(super) fn boolean(&self, node: &Node, at: &At<'_>) -> Result<bool, InputError> {
        match node.value {
            Value::Bool(b) => Ok(b),
            _ => Err(fail(
                at,
                node.line,
                format!("expected true or false, found {}", self.describe(node)),
            )),
        }
    }

    pub(super) fn bool_field(
        &self,
        f: &Fields<'_>,
        name: &str,
        at: &At<'_>,
    ) -> Result<Option<bool>, InputError> {
        f.get(name)
            .map(|(key, node)| self.boolean(node, &at.key(key)))
            .transpose()
    }

    /// An integer in `min..=max`. In Istio's sections (`proto`), a decimal string too, as
    /// proto3 JSON allows.
    pub(super) fn integer(
        &self,
        node: &Node,
        at: &At<'_>,
        proto: bool,
        min: i128,
        max: i128,
    ) -> Result<i128, InputError> {
        let n = match &node.value {
            Value::Int(i) => Some(i128::from(*i)),
            Value::Str(s) if proto => s.trim().parse::<i128>().ok(),
            Value::Float(f) if proto && f.fract() == 0.0 && f.abs() < 1e30 => Some(*f as i128),
            _ => None,
        };
        match n {
            Some(n) if (min..=max).contains(&n) => Ok(n),
            Some(n) => Err(fail(
                at,
                node.line,
                format!("{n} is out of range ({min}..{max})"),
            )),
            None => Err(fail(
                at,
                node.line,
                format!("expected an integer, found {}", self.describe(node)),
            )),
        }
    }

    pub(super) fn uint(
        &self,
        node: &Node,
        at: &At<'_>,
        proto: bool,
        max: u64,
    ) -> Result<u64, InputError> {
        // The range keeps the value within u64.
        self.integer(node, at, proto, 0, i128::from(max))
            .map(|n| u64::try_from(n).unwrap_or(max))
    }

    /// A port, 1..=65535.
    pub(super) fn port(&self, node: &Node, at: &At<'_>, proto: bool) -> Result<u16, InputError> {
        let n = self.integer(node, at, proto, i128::MIN, i128::MAX)?;
        u16::try_from(n).ok().filter(|p| *p != 0).ok_or_else(|| {
            fail(
                at,
                node.line,
                format!("port must be between 1 and 65535 (got {n})"),
            )
        })
    }

    pub(super) fn list<'n>(&self, node: &'n Node, at: &At<'_>) -> Result<&'n [Node], InputError> {
        match &node.value {
            Value::Seq(items) => Ok(items),
            Value::Str(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                let raw = self.raw(node);
                Err(fail(
                    at,
                    node.line,
                    format!(
                        "expected a list, found {} ({raw}); write [{raw}]",
                        node.kind()
                    ),
                ))
            }
            _ => Err(fail(
                at,
                node.line,
                format!("expected a list, found {}", node.kind()),
            )),
        }
    }

    /// The items of a list field, with their paths' key as written (empty when absent).
    pub(super) fn items<'n>(
        &self,
        f: &Fields<'n>,
        name: &str,
        at: &At<'_>,
    ) -> Result<(&'n str, &'n [Node]), InputError> {
        match f.get(name) {
            Some((key, node)) => Ok((key, self.list(node, &at.key(key))?)),
            None => Ok(("", &[])),
        }
    }

    pub(super) fn strings(
        &self,
        f: &Fields<'_>,
        name: &str,
        at: &At<'_>,
    ) -> Result<Vec<String>, InputError> {
        let (key, items) = self.items(f, name, at)?;
        let at = at.key(key);
        items
            .iter()
            .enumerate()
            .map(|(i, n)| self.string(n, &at.index(i)))
            .collect()
    }

    /// Kubernetes labels: a mapping of strings to strings.
    pub(super) fn labels(&self, node: &Node, at: &At<'_>) -> Result<Labels, InputError> {
        let Value::Map(entries) = &node.value else {
            return Err(fail(
                at,
                node.line,
                format!("expected a mapping of labels, found {}", node.kind()),
            ));
        };
        let mut labels = Labels::new();
        for (key, value) in entries {
            let at = at.key(key);
            let v = match &value.value {
                Value::Str(s) => s.clone(),
                Value::Null => {
                    return Err(fail(
                        &at,
                        value.line,
                        "label values are strings; write \"\" for an empty value",
                    ));
                }
                Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                    return Err(fail(
                        &at,
                        value.line,
                        format!("label values are strings; quote {}", self.raw(value)),
                    ));
                }
                _ => {
                    return Err(fail(
                        &at,
                        value.line,
                        format!("label values are strings, found {}", value.kind()),
                    ));
                }
            };
            labels.insert(key.clone(), v);
        }
        Ok(labels)
    }

    pub(super) fn labels_field(
        &self,
        f: &Fields<'_>,
        name: &str,
        at: &At<'_>,
    ) -> Result<Labels, InputError> {
        f.get(name).map_or_else(
            || Ok(Labels::new()),
            |(key, node)| self.labels(node, &at.key(key)),
        )
    }

    /// An optional field read by `read` (`None` when absent).
    pub(super) fn opt<T>(
        &mut self,
        f: &Fields<'_>,
        name: &str,
        at: &At<'_>,
        read: impl FnOnce(&mut Self, &Node, &At<'_>) -> Result<T, InputError>,
    ) -> Result<Option<T>, InputError> {
        f.get(name)
            .map(|(key, node)| read(self, node, &at.key(key)))
            .transpose()
    }

    /// The items of a list field, each read by `read` (empty when absent).
    pub(super) fn each<T>(
        &mut self,
        f: &Fields<'_>,
        name: &str,
        at: &At<'_>,
        mut read: impl FnMut(&mut Self, &Node, &At<'_>) -> Result<T, InputError>,
    ) -> Result<Vec<T>, InputError> {
        let (key, items) = self.items(f, name, at)?;
        let list_at = at.key(key);
        items
            .iter()
            .enumerate()
            .map(|(i, node)| read(self, node, &list_at.index(i)))
            .collect()
    }

    /// An optional port field (Istio's sections: `proto`).
    pub(super) fn opt_port(
        &self,
        f: &Fields<'_>,
        name: &str,
        at: &At<'_>,
        proto: bool,
    ) -> Result<Option<u16>, InputError> {
        f.get(name)
            .map(|(key, node)| self.port(node, &at.key(key), proto))
            .transpose()
    }

    /// An optional proto `int32` field.
    pub(super) fn opt_i32(
        &self,
        f: &Fields<'_>,
        name: &str,
        at: &At<'_>,
    ) -> Result<Option<i32>, InputError> {
        f.get(name)
            .map(|(key, node)| {
                let min = i128::from(i32::MIN);
                let max = i128::from(i32::MAX);
                self.integer(node, &at.key(key), true, min, max)
                    .map(|n| i32::try_from(n).unwrap_or_default())
            })
            .transpose()
    }

    /// An optional locality field (the empty locality when absent).
    pub(super) fn locality_field(
        &self,
        f: &Fields<'_>,
        name: &str,
        at: &At<'_>,
    ) -> Result<meshlb::Locality, InputError> {
        f.get(name).map_or_else(
            || Ok(meshlb::Locality::default()),
            |(key, node)| self.locality(node, &at.key(key)),
        )
    }

    pub(super) fn locality(
        &self,
        node: &Node,
        at: &At<'_>,
    ) -> Result<meshlb::Locality, InputError> {
        let s = self.string(node, at)?;
        meshlb::mesh::parse_locality(&s).map_err(|e| fail(at, node.line, e))
    }

    /// An enum given by name (or, in Istio's sections, by number).
    pub(super) fn enumeration(
        &self,
        node: &Node,
        at: &At<'_>,
        names: &[(&str, i64)],
        proto: bool,
    ) -> Result<i64, InputError> {
        let expected = || names.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
        match &node.value {
            Value::Str(s) => names
                .iter()
                .find(|(n, _)| n == s)
                .map(|(_, v)| *v)
                .ok_or_else(|| {
                    let hint = enum_hint(names, s, true);
                    fail(
                        at,
                        node.line,
                        format!("unknown value {s:?} (expected one of {}){hint}", expected()),
                    )
                }),
            Value::Int(i) if proto => names
                .iter()
                .find(|(_, v)| v == i)
                .map(|(_, v)| *v)
                .ok_or_else(|| {
                    fail(
                        at,
                        node.line,
                        format!("unknown enum number {i} (expected one of {})", expected()),
                    )
                }),
            _ => Err(fail(
                at,
                node.line,
                format!(
                    "expected one of {}, found {}",
                    expected(),
                    self.describe(node)
                ),
            )),
        }
    }

    // ---- meshlb's sections ----
}
