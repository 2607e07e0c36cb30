//! The layer rule of DESIGN.md, enforced: a layer uses only the layers
//! below it. This test reads every `crate::` path in `src/` and fails on an
//! arrow that points up (or sideways, between layers of the same rank), on
//! any use of `danger` from inside the library, and on an import cycle
//! between the files of one layer (the handshake's dispatchers and the
//! version-specific states, say).
//!
//! The layers, bottom up:
//!
//! | rank | layer          | what it is |
//! |------|----------------|------------|
//! | 0    | `codec`        | Reader / Writer, DecodeError |
//! | 1    | `msgs`         | typed wire messages and registries |
//! | 2    | `error`        | Error, and the alert each error sends |
//! | 3    | `crypto`       | the only place that names `ring` |
//! | 4    | `record`       | deframing, protection, reassembly |
//! | 5    | `key_schedule` | TLS 1.3 HKDF schedule, TLS 1.2 PRF |
//! | 6    | `verify`       | certificate verification |
//! | 7    | `session`      | tickets, session caches, anti-replay |
//! | 8    | `config`       | configurations and their builders |
//! | 9    | `pem`          | PEM files into certificates and keys |
//! | 10   | `handshake`    | the state machines |
//! | 11   | `quic`         | the QUIC handshake: no records (RFC 9001) |
//! | 12   | `conn`         | the sans-IO connection |
//! | 13   | `stream`       | the blocking stream |
//! | 14   | `danger`       | the opt-outs: used by callers only |

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const LAYERS: [&str; 15] = [
    "codec",
    "msgs",
    "error",
    "crypto",
    "record",
    "key_schedule",
    "verify",
    "session",
    "config",
    "pem",
    "handshake",
    "quic",
    "conn",
    "stream",
    "danger",
];

fn rank(layer: &str) -> Option<usize> {
    LAYERS.iter().position(|l| *l == layer)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The layer a file belongs to: its top-level module under `src/`.
fn layer_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The code of a file without comments and without its test module (tests
/// may reach anywhere).
fn code(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            break;
        }
        let line = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The names that follow `prefix` (`crate::` or `super::`) in `code`.
fn targets(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        let after = &rest[at + prefix.len()..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        rest = &after[name.len()..];
        if !name.is_empty() {
            out.insert(name);
        }
    }
    out
}

#[test]
fn no_layer_uses_a_layer_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    for f in &files {
        let layer = layer_of(&src, f);
        if layer == "lib" {
            continue;
        }
        let Some(own) = rank(&layer) else {
            violations.push(format!("{}: {layer} is in no layer", f.display()));
            continue;
        };
        let text = code(&std::fs::read_to_string(f).unwrap());
        for target in targets(&text, "crate::") {
            let Some(theirs) = rank(&target) else {
                continue; // a crate-root item, a macro
            };
            if theirs > own || (theirs == own && target != layer) {
                violations.push(format!(
                    "{}: {layer} (rank {own}) uses {target} (rank {theirs})",
                    f.display()
                ));
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
    // The rule is checked on something: every layer is there.
    let present: BTreeSet<String> = files.iter().map(|f| layer_of(&src, f)).collect();
    for l in LAYERS {
        assert!(present.contains(l), "no files for layer {l}");
    }
}

/// The files of one layer (a directory) and the siblings each imports.
fn sibling_graph(dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(dir, &mut files);
    let names: BTreeSet<String> = files
        .iter()
        .map(|f| f.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    let mut graph = BTreeMap::new();
    for f in &files {
        let name = f.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "mod" {
            continue;
        }
        let text = code(&std::fs::read_to_string(f).unwrap());
        let mut uses: BTreeSet<String> = targets(&text, "super::")
            .into_iter()
            .filter(|t| names.contains(t) && *t != name)
            .collect();
        // `use super::{a, b}` names several siblings at once.
        for group in text.split("super::{").skip(1) {
            let inside = group.split('}').next().unwrap_or("");
            for part in inside.split([',', ' ', '\n']) {
                let n = part.split("::").next().unwrap_or("").trim();
                if names.contains(n) && n != name {
                    uses.insert(n.to_string());
                }
            }
        }
        graph.insert(name, uses);
    }
    graph
}

fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == n) {
            let mut cycle = path[at..].to_vec();
            cycle.push(n.to_string());
            return Some(cycle);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_string());
        for next in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for n in graph.keys() {
        if let Some(c) = visit(n, graph, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn the_files_of_a_layer_import_each_other_without_cycles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for layer in LAYERS {
        let dir = src.join(layer);
        if !dir.is_dir() {
            continue;
        }
        let graph = sibling_graph(&dir);
        if let Some(cycle) = find_cycle(&graph) {
            panic!("an import cycle in {layer}: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn the_checks_catch_what_they_look_for() {
    // An upward arrow is found in code, not in comments.
    let t = code("use crate::conn::X; // crate::stream\n#[cfg(test)]\nuse crate::danger;");
    assert_eq!(targets(&t, "crate::"), BTreeSet::from(["conn".to_string()]));
    // A cycle is found.
    let mut g = BTreeMap::new();
    g.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    g.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    assert!(find_cycle(&g).is_some());
    g.insert("b".to_string(), BTreeSet::new());
    assert!(find_cycle(&g).is_none());
}
