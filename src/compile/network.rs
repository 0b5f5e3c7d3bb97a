//! The network: actors and relations from `[actors]`, `[[relations]]` and relation files, given
//! dense ids (actors sorted by id, relations by (from, to)), checked for duplicates, and laid out
//! as the relation graph and the columns of initial values.

use super::relation_file::{self, ActorIds, Columns, Created, Origin, RawRelations, Reading};
use super::settings::MAX_KINDS;
use super::variables::{ActorRow, Variables};
use super::Compiler;
use crate::diag::{quoted, Diagnostic, Loc};
use crate::graph::{counting_sort, Adjacency};
use crate::model::{Actor, Kin};
use crate::rng;
use petgraph::csr::Csr;
use rustc_hash::FxHashMap as HashMap;
use std::collections::{BTreeMap, BTreeSet};

/// The network of a scenario, with dense ids.
pub(super) struct Network {
    /// Node i is actor i, edge e is relation e.
    pub graph: Csr<Actor, ()>,
    /// Who each relation joins (without the in-relation index yet).
    pub adj: Adjacency,
    pub edge_kind: Vec<u16>,
    /// Actor ids in dense-id order (sorted).
    pub actor_ids: Vec<String>,
    pub actor_keys: Vec<u64>,
    pub actor_kinds: Vec<String>,
    pub actor_kind_idx: BTreeMap<String, u16>,
    pub relation_kinds: Vec<String>,
    pub relation_kind_idx: BTreeMap<String, u16>,
    /// Per relation variable, one value per relation plus the sentinel's default.
    pub init_relation: Vec<Vec<f64>>,
    pub init_actor: Vec<Vec<f64>>,
}

/// Actors and relations as read, in reading order, before dense ids.
struct Read {
    actors: ActorIds,
    declared: Vec<ActorRow>,
    created: Created,
    raw: RawRelations,
    /// Relation kind names and the provisional id each was given.
    kind_ids: HashMap<String, u16>,
}

/// The renumbering from reading order to dense ids.
struct Dense {
    /// Actor ids in reading order (emptied as they move into the graph).
    ids: Vec<String>,
    /// Reading-order index of each dense actor id.
    order: Vec<u32>,
    actor_kinds: Vec<String>,
    actor_kind_idx: BTreeMap<String, u16>,
    relation_kinds: Vec<String>,
    relation_kind_idx: BTreeMap<String, u16>,
}

impl Compiler<'_> {
    /// Builds the network, or `None` when it is too large to index.
    pub(super) fn network(&mut self, vars: &Variables, default_cap: u32) -> Option<Network> {
        let mut read = self.read_network(vars)?;
        self.lookalikes(&read);
        // Kind ids are 16 bits: past the limit they would wrap (checked before any is used).
        if read.kind_ids.len() > MAX_KINDS {
            self.too_many_kinds("relation", read.kind_ids.len());
            return None;
        }
        let dense = self.dense_ids(&mut read);
        if dense.actor_kinds.len() > MAX_KINDS {
            self.too_many_kinds("actor", dense.actor_kinds.len());
            return None;
        }
        let n_actors = dense.ids.len();
        let (out_start, order) = sort_relations(&read.raw, n_actors);
        let duplicates = self.duplicates(&read.raw, &order, &dense);
        // Relation files are not pointed into after this: let their text go before the
        // columns are built (it is given back with the diagnostics if anything failed).
        if self.errors.is_empty() && !self.warned_in_csv() {
            self.csv_texts = Vec::new();
        }
        Some(lay_out(
            read,
            dense,
            out_start,
            &order,
            duplicates,
            vars,
            default_cap,
        ))
    }

    /// Warns about actor ids and kinds that look like one another or mix scripts (see
    /// [`crate::lookalike`]), at the actor's table or the first relation that names it.
    fn lookalikes(&mut self, read: &Read) {
        use crate::lookalike::{find, spelled, Lookalike};
        let ids = &read.actors.ids;
        for finding in find(ids.iter().map(String::as_str)) {
            if !self.will_warn() {
                self.warnings_found += 1;
                continue;
            }
            let (at, message, hint) = match finding {
                Lookalike::MixedScripts { at, scripts } => (
                    at,
                    format!(
                        "actor id `{}` mixes scripts ({}): {}",
                        quoted(&ids[at]),
                        scripts.join(", "),
                        spelled(&ids[at])
                    ),
                    match crate::lookalike::plain(&ids[at]) {
                        Some(p) => format!("write the id in one script: `{p}` in plain letters"),
                        None => "write the id in one script".to_string(),
                    },
                ),
                Lookalike::Confusable { at, like } => (
                    at,
                    format!(
                        "actor id `{}` looks like actor `{}`, and reports would show them alike: {}",
                        quoted(&ids[at]),
                        quoted(&ids[like]),
                        spelled(&ids[at])
                    ),
                    "if both actors are meant, give one a clearly different id; if not, use one"
                        .to_string(),
                ),
            };
            let loc = self.actor_loc(read, at as u32);
            self.warn(Diagnostic::at(loc, message).with_hint(hint));
        }
        self.lookalike_kinds(read);
    }

    /// Warns about relation and actor kind names that look alike or mix scripts.
    fn lookalike_kinds(&mut self, read: &Read) {
        use crate::lookalike::{find, spelled, Lookalike};
        let mut relation: Vec<(&str, u16)> = read
            .kind_ids
            .iter()
            .map(|(k, &i)| (k.as_str(), i))
            .collect();
        relation.sort_by_key(|&(_, i)| i);
        let actor: Vec<&str> = read
            .declared
            .iter()
            .map(|row| row.kind.as_str())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        for (what, names) in [
            ("relation", relation.iter().map(|r| r.0).collect::<Vec<_>>()),
            ("actor", actor),
        ] {
            for finding in find(names.iter().copied()) {
                let (at, message) = match finding {
                    Lookalike::MixedScripts { at, scripts } => {
                        (at, format!("mixes scripts ({})", scripts.join(", ")))
                    }
                    Lookalike::Confusable { at, like } => (
                        at,
                        format!("looks like {what} kind `{}`", quoted(names[like])),
                    ),
                };
                let name = names[at];
                let loc = if what == "relation" {
                    let k = relation[at].1;
                    let e = read.raw.kind.iter().position(|&x| x == k);
                    e.map_or_else(|| self.main_loc(), |e| self.origin_loc(read.raw.origins[e]))
                } else {
                    let i = read.declared.iter().position(|row| row.kind == name);
                    i.map_or_else(|| self.main_loc(), |i| self.actor_loc(read, i as u32))
                };
                self.warn(Diagnostic::at(
                    loc,
                    format!(
                        "{what} kind `{}` {message}: {}",
                        quoted(name),
                        spelled(name)
                    ),
                ));
            }
        }
    }

    /// Where actor `a` (reading order) was declared, or the first relation naming it.
    fn actor_loc(&self, read: &Read, a: u32) -> Loc {
        if let Some((_, table)) = self.r.spec.actors.iter().nth(a as usize) {
            return table.loc.clone();
        }
        let e = (0..read.raw.src.len()).find(|&e| read.raw.src[e] == a || read.raw.dst[e] == a);
        e.map_or_else(|| self.main_loc(), |e| self.origin_loc(read.raw.origins[e]))
    }

    /// Whether a warning points into a relation file (whose text must then be kept).
    fn warned_in_csv(&self) -> bool {
        self.warnings.iter().any(|w| {
            w.loc
                .as_ref()
                .is_some_and(|l| self.r.csv.iter().any(|c| c.file == l.file))
        })
    }

    fn too_many_kinds(&mut self, what: &str, n: usize) {
        self.error(
            Diagnostic::at(
                self.main_loc(),
                format!("too many {what} kinds: {n}, and a scenario may have at most {MAX_KINDS}"),
            )
            .with_hint(format!(
                "a kind names a group of {what}s; use a {what} variable to tell {what}s apart"
            )),
        );
    }

    /// Reads declared actors, inline relations and relation files, in the order written.
    fn read_network(&mut self, vars: &Variables) -> Option<Read> {
        let spec = &self.r.spec;
        let csv_bytes: usize = self.csv_texts.iter().map(String::len).sum();
        let mut actors = ActorIds::new((1 << 16) + csv_bytes / 2);
        let mut declared = Vec::new();
        for (id, table) in &spec.actors {
            if !valid_actor_id(id) {
                self.error(Diagnostic::at(
                    table.loc.clone(),
                    format!("actor id `{id}` may only hold letters, digits, `_` and `-`"),
                ));
            }
            declared.push(self.actor_row(id, table, vars));
            actors.insert(id, true);
        }
        // Rows of relation files, counted by their line ends, so the columns grow once.
        let capacity = spec.relations.len()
            + self
                .csv_texts
                .iter()
                .map(|t| relation_file::max_rows(t))
                .sum::<usize>();
        let mut read = Read {
            actors,
            declared,
            created: Created::default(),
            raw: RawRelations::new(vars.relation.len(), capacity),
            kind_ids: HashMap::default(),
        };
        self.inline_relations(&mut read, vars);
        let before = self.errors.len();
        self.relation_files(&mut read, vars);
        // After a relation file that could not be read, "no actors" would only be a knock-on
        // error.
        if read.actors.len() == 0 && self.errors.len() == before {
            self.error(
                Diagnostic::at(self.main_loc(), "the scenario has no actors")
                    .with_hint("declare actors as [actors.ID] tables, or load relations with create_actors = true"),
            );
        }
        if read.actors.len() > u32::MAX as usize / 2 || read.raw.src.len() > u32::MAX as usize / 2 {
            self.error(Diagnostic::bare(
                "too many actors or relations (more than 2^31)",
            ));
            return None;
        }
        Some(read)
    }

    /// Reads every relation file into `read`, creating actors where a file asks for it.
    fn relation_files(&mut self, read: &mut Read, vars: &Variables) {
        let columns = Columns {
            vars: &vars.relation_idx,
            specs: &vars.relation,
            broken: &self.r.spec.broken.variables,
        };
        let mut reading = Reading {
            actors: &mut read.actors,
            created: &mut read.created,
            raw: &mut read.raw,
            kinds: &mut read.kind_ids,
        };
        for (k, text) in self.csv_texts.iter().enumerate() {
            let source = &self.r.csv[k];
            let spec = &self.r.spec.relation_files[source.spec_index].value;
            let file = relation_file::File::new(k, source.file, spec);
            relation_file::read(&file, text, &columns, &mut reading, &mut self.errors.kept);
        }
    }

    /// `[[relations]]` entries into `read`.
    fn inline_relations(&mut self, read: &mut Read, vars: &Variables) {
        for (index, rel) in self.r.spec.relations.iter().enumerate() {
            let mut ends: [Option<u32>; 2] = [None, None];
            let mut kind = "related".to_string();
            let mut values = vec![f64::NAN; vars.relation.len()];
            for (i, key) in ["from", "to"].iter().enumerate() {
                let Some(v) = rel.value.get(*key).map(|e| &e.value) else {
                    self.error(
                        Diagnostic::at(rel.loc.clone(), format!("relation without `{key}`"))
                            .with_hint("a relation needs from = \"ID\" and to = \"ID\""),
                    );
                    continue;
                };
                let Some(id) = self.string(v, key) else {
                    continue;
                };
                match read.actors.get(&id) {
                    Some(a) => ends[i] = Some(a),
                    None => {
                        let d = Diagnostic::at(
                            v.loc.clone(),
                            format!("unknown actor `{}`", quoted(&id)),
                        );
                        let d = if self.will_show(v.loc.file) {
                            d.suggest(&id, read.actors.ids.iter().map(String::as_str))
                        } else {
                            d
                        };
                        self.error(d);
                    }
                }
            }
            for (key, entry) in &rel.value {
                match key.as_str() {
                    "from" | "to" => {}
                    "kind" => kind = self.string(&entry.value, "kind").unwrap_or(kind),
                    "description" => {
                        let _ = self.string(&entry.value, "description");
                    }
                    var => self.initial_value(
                        var,
                        entry,
                        (&vars.relation_idx, &vars.relation, &mut values),
                        &["from", "to", "kind", "description"],
                        ("relation: unknown key or relation variable", "relation"),
                    ),
                }
            }
            let [Some(a), Some(b)] = ends else { continue };
            if a == b {
                self.error(
                    Diagnostic::at(
                        rel.loc.clone(),
                        format!("relation from `{}` to itself", read.actors.ids[a as usize]),
                    )
                    .with_hint("relations join two different actors"),
                );
                continue;
            }
            let next = read.kind_ids.len() as u16;
            let k = *read.kind_ids.entry(kind).or_insert(next);
            read.raw
                .push([a, b], k, &values, Origin::INLINE | index as u64);
        }
    }

    /// Dense actor ids (sorted by id) and kind ids (sorted by name); renumbers `read.raw`.
    fn dense_ids(&mut self, read: &mut Read) -> Dense {
        let ids = std::mem::take(&mut read.actors.ids);
        let order = id_order(&ids);
        let mut new_of = vec![0u32; ids.len()];
        for (new, &old) in order.iter().enumerate() {
            new_of[old as usize] = new as u32;
        }
        for actor in read.raw.src.iter_mut().chain(read.raw.dst.iter_mut()) {
            *actor = new_of[*actor as usize];
        }
        drop(new_of);
        let created = &read.created;
        let mut kind_used = vec![false; created.kinds.len()];
        for &k in &created.kind_of {
            kind_used[k as usize] = true;
        }
        let used_kinds = read.declared.iter().map(|row| &row.kind).chain(
            created
                .kinds
                .iter()
                .zip(&kind_used)
                .filter(|(_, &used)| used)
                .map(|(k, _)| k),
        );
        let actor_kinds: Vec<String> = used_kinds
            .cloned()
            .collect::<BTreeSet<String>>()
            .into_iter()
            .collect();
        // Kind ids were handed out in reading order; renumber them by name.
        let names: BTreeSet<String> = read.kind_ids.keys().cloned().collect();
        let relation_kinds: Vec<String> = names.into_iter().collect();
        let relation_kind_idx = index_of(&relation_kinds);
        let mut renumber = vec![0u16; read.kind_ids.len()];
        for (name, &old) in &read.kind_ids {
            renumber[old as usize] = relation_kind_idx[name];
        }
        for k in read.raw.kind.iter_mut() {
            *k = renumber[*k as usize];
        }
        Dense {
            ids,
            order,
            actor_kind_idx: index_of(&actor_kinds),
            actor_kinds,
            relation_kinds,
            relation_kind_idx,
        }
    }

    /// Reports every copy of a relation (same two actors, same direction) after the first
    /// written against that first one; returns whether there were any.
    fn duplicates(&mut self, raw: &RawRelations, order: &[u32], dense: &Dense) -> bool {
        let mut any = false;
        let mut i = 0;
        while i < order.len() {
            let (s, d) = (raw.src[order[i] as usize], raw.dst[order[i] as usize]);
            let n = order[i..]
                .iter()
                .take_while(|&&e| raw.src[e as usize] == s && raw.dst[e as usize] == d)
                .count();
            if n > 1 {
                any = true;
                let mut group: Vec<Loc> = order[i..i + n]
                    .iter()
                    .map(|&e| self.origin_loc(raw.origins[e as usize]))
                    .collect();
                group.sort_by_key(|l| (l.file, l.span.start));
                let id = |a: u32| &dense.ids[dense.order[a as usize] as usize];
                let label = format!("{} → {}", id(s), id(d));
                let (file, line) = self.file_line(&group[0]);
                for copy in &group[1..] {
                    self.error(
                        Diagnostic::at(copy.clone(), format!("duplicate relation {label}"))
                            .with_hint(format!("it is already declared at {file}:{line}; there is one relation per direction")),
                    );
                }
            }
            i += n;
        }
        any
    }
}

/// The relations in (from, to) order: the start of each actor's out-relations (plus the end)
/// and the reading-order index of each. A counting sort by `from` (which keeps reading order
/// within an actor), then each actor's few relations by `to`.
fn sort_relations(raw: &RawRelations, n_actors: usize) -> (Vec<u32>, Vec<u32>) {
    let (out_start, mut order) = counting_sort(&raw.src, n_actors);
    for a in 0..n_actors {
        let group = &mut order[out_start[a] as usize..out_start[a + 1] as usize];
        if !group.is_sorted_by_key(|&e| raw.dst[e as usize]) {
            group.sort_by_key(|&e| raw.dst[e as usize]);
        }
    }
    (out_start, order)
}

/// The columns, the reverse index and the graph, in dense-id order.
fn lay_out(
    read: Read,
    mut dense: Dense,
    out_start: Vec<u32>,
    order: &[u32],
    duplicates: bool,
    vars: &Variables,
    default_cap: u32,
) -> Network {
    let Read {
        declared,
        created,
        mut raw,
        ..
    } = read;
    drop(std::mem::take(&mut raw.origins));
    let (n_actors, n_edges) = (dense.ids.len(), order.len());
    let mut src: Vec<u32> = Vec::with_capacity(n_edges);
    for a in 0..n_actors {
        src.resize(out_start[a + 1] as usize, a as u32);
    }
    let dst: Vec<u32> = order.iter().map(|&e| raw.dst[e as usize]).collect();
    let edge_kind: Vec<u16> = order.iter().map(|&e| raw.kind[e as usize]).collect();
    let mut init_relation: Vec<Vec<f64>> = Vec::with_capacity(vars.relation.len());
    for (var, values) in vars.relation.iter().zip(std::mem::take(&mut raw.values)) {
        let mut col: Vec<f64> = Vec::with_capacity(n_edges + 1);
        col.extend(order.iter().map(|&e| {
            let x = values[e as usize];
            if x.is_nan() {
                var.default
            } else {
                x
            }
        }));
        col.push(var.default);
        init_relation.push(col);
    }
    drop(raw);
    // The graph itself (compressed sparse rows): node i is actor i, edge e is relation e.
    let mut graph = {
        let mut pairs: Vec<(u32, u32)> = src.iter().zip(&dst).map(|(&s, &d)| (s, d)).collect();
        if duplicates {
            pairs.dedup();
        }
        let graph = Csr::<Actor, ()>::from_sorted_edges(&pairs);
        debug_assert!(graph.is_ok(), "relations are sorted and without duplicates");
        graph.unwrap_or_default()
    };
    let mut init_actor: Vec<Vec<f64>> = vec![Vec::with_capacity(n_actors); vars.actor.len()];
    let mut sorted_ids: Vec<String> = Vec::with_capacity(n_actors);
    let n_declared = declared.len();
    for (new, &old) in dense.order.iter().enumerate() {
        let old = old as usize;
        let id = std::mem::take(&mut dense.ids[old]);
        sorted_ids.push(id.clone());
        let actor = match declared.get(old) {
            Some(row) => {
                for (v, col) in init_actor.iter_mut().enumerate() {
                    col.push(row.values[v]);
                }
                Actor {
                    id,
                    name: row.name.clone(),
                    kind: dense.actor_kind_idx[&row.kind],
                    cap: row.cap.unwrap_or(default_cap),
                }
            }
            None => {
                for (v, col) in init_actor.iter_mut().enumerate() {
                    col.push(vars.actor[v].default);
                }
                let kind = &created.kinds[created.kind_of[old - n_declared] as usize];
                Actor {
                    name: id.clone(),
                    id,
                    kind: dense.actor_kind_idx[kind],
                    cap: default_cap,
                }
            }
        };
        if new < graph.node_count() {
            graph[new as u32] = actor;
        } else {
            graph.add_node(actor);
        }
    }
    let actor_keys = sorted_ids.iter().map(|id| rng::key_of(id)).collect();
    Network {
        graph,
        adj: Adjacency::new(src, dst, out_start),
        edge_kind,
        actor_ids: sorted_ids,
        actor_keys,
        actor_kinds: dense.actor_kinds,
        actor_kind_idx: dense.actor_kind_idx,
        relation_kinds: dense.relation_kinds,
        relation_kind_idx: dense.relation_kind_idx,
        init_relation,
        init_actor,
    }
}

/// Whether `id` may name an actor: letters, digits, `_` and `-` (Unicode letters and digits
/// included), and nothing else — no space, comma, quote, control or bidirectional character.
pub(super) fn valid_actor_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// Each name's position.
fn index_of(names: &[String]) -> BTreeMap<String, u16> {
    names
        .iter()
        .enumerate()
        .map(|(i, k)| (k.clone(), i as u16))
        .collect()
}

/// Actors linked by relations of kind `k` (either direction), as compressed rows.
pub(super) fn kin_lists(n_actors: usize, src: &[u32], dst: &[u32], kind: &[u16], k: u16) -> Kin {
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    for e in 0..src.len() {
        if kind[e] == k {
            pairs.push((src[e], dst[e]));
            pairs.push((dst[e], src[e]));
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    let mut start = vec![0u32; n_actors + 1];
    for &(a, _) in &pairs {
        start[a as usize + 1] += 1;
    }
    for i in 0..n_actors {
        start[i + 1] += start[i];
    }
    Kin {
        start,
        members: pairs.into_iter().map(|(_, b)| b).collect(),
    }
}

/// The order of actor ids as strings, sorting on their first eight bytes as one integer and
/// comparing whole strings only on a tie.
fn id_order(ids: &[String]) -> Vec<u32> {
    let prefix = |s: &str| {
        let mut k = [0u8; 8];
        let n = s.len().min(8);
        k[..n].copy_from_slice(&s.as_bytes()[..n]);
        u64::from_be_bytes(k)
    };
    let mut keyed: Vec<(u64, u32)> = ids
        .iter()
        .enumerate()
        .map(|(i, s)| (prefix(s), i as u32))
        .collect();
    keyed.sort_unstable();
    // Equal prefixes (ids of more than eight bytes): order those by the whole id.
    let mut i = 0;
    while i < keyed.len() {
        let n = keyed[i..].iter().take_while(|k| k.0 == keyed[i].0).count();
        if n > 1 {
            keyed[i..i + n].sort_unstable_by(|a, b| ids[a.1 as usize].cmp(&ids[b.1 as usize]));
        }
        i += n;
    }
    keyed.into_iter().map(|(_, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_as_strings() {
        let ids: Vec<String> = [
            "b",
            "10",
            "2",
            "abcdefgh2",
            "abcdefgh10",
            "a",
            "abcdefgh",
            "1",
        ]
        .map(String::from)
        .to_vec();
        let mut expect = ids.clone();
        expect.sort();
        let got: Vec<String> = id_order(&ids)
            .into_iter()
            .map(|i| ids[i as usize].clone())
            .collect();
        assert_eq!(got, expect);
    }
}
