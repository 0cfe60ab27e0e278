//! Field and enum names: proto3 JSON spellings and "did you mean" hints.

use meshlb::{Note, NoteCode};
/// `port_level_settings` → `portLevelSettings` (proto3 JSON's lowerCamelCase).
pub(crate) fn lower_camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Edit distance, for "did you mean" hints: Levenshtein, or with `transpositions` the optimal
/// string alignment distance (`prot` is one edit from `port`).
pub(crate) fn distance(a: &str, b: &str, transpositions: bool) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0_usize; (a.len() + 1) * width];
    for (i, row) in d.chunks_mut(width).enumerate() {
        if let Some(first) = row.first_mut() {
            *first = i;
        }
    }
    for (j, cell) in d.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if transpositions && i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

/// A "did you mean" hint for the enum value `s` among `names` (a name that differs only in
/// case, or by at most two edits).
pub(crate) fn enum_hint(names: &[(&str, i64)], s: &str, transpositions: bool) -> String {
    names
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(s) || distance(n, s, transpositions) <= 2)
        .map_or_else(String::new, |(n, _)| format!("; did you mean {n}?"))
}

/// A "did you mean" hint for `key` among `names`.
pub(crate) fn hint(key: &str, names: impl Iterator<Item = &'static str>) -> String {
    if key.len() > 64 {
        return String::new();
    }
    let squash = |s: &str| s.to_ascii_lowercase().replace(['_', '-'], "");
    names
        .map(|n| {
            let d = distance(&squash(key), &squash(n), true).min(distance(key, n, true));
            (d, n)
        })
        .filter(|(d, n)| *d <= (n.len() / 3).clamp(1, 3))
        .min()
        .map_or_else(String::new, |(_, n)| format!("; did you mean `{n}`?"))
}

/// What the note of accepted but unmodelled fields starts with.
const NOT_MODELLED: &str =
    "accepted but not modelled by meshlb (read and checked; what they do is not simulated): ";

/// The note naming fields of Envoy's or Istio's API that were accepted but are not modelled
/// (as path patterns), or `None` when there were none.
pub(crate) fn not_modelled_note(patterns: &std::collections::BTreeSet<String>) -> Option<Note> {
    (!patterns.is_empty()).then(|| {
        let list: Vec<&str> = patterns.iter().map(String::as_str).collect();
        Note::new(
            NoteCode::NotModelled,
            format!("{NOT_MODELLED}{}", list.join(", ")),
        )
    })
}

/// The field patterns a [`not_modelled_note`] names (none for a note of another code).
pub(crate) fn not_modelled_fields(note: &Note) -> impl Iterator<Item = &str> {
    let list = match note.code {
        NoteCode::NotModelled => note.text.strip_prefix(NOT_MODELLED),
        _ => None,
    };
    list.into_iter().flat_map(|l| l.split(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_camel_joins_words() {
        assert_eq!(lower_camel("lb_endpoints"), "lbEndpoints");
        assert_eq!(lower_camel("port"), "port");
    }

    #[test]
    fn transpositions_are_one_edit_only_when_asked() {
        assert_eq!(distance("prot", "port", true), 1);
        assert_eq!(distance("prot", "port", false), 2);
        assert_eq!(distance("", "abc", false), 3);
        assert_eq!(distance("kitten", "sitting", true), 3);
    }
}
