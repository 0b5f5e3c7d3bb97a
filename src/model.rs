//! The compiled model: a validated scenario with every name resolved to a dense index.
//!
//! `compile` takes a [`Resolved`] spec and returns a [`Model`] or every diagnostic it found. The
//! model holds the relation graph (petgraph; its node and edge indices are the dense ids of the
//! state arrays), compiled expressions, and the lane sets the stepper iterates. It does not hold
//! any state that changes during a run.

use crate::cameo;
use crate::diag::{Diagnostic, Diagnostics, Loc};
use crate::expr::parse::{self, SyntaxError};
use crate::expr::{self, AggKey, AggSet, Code, CompileError, Ctx, Domain, Namespace, Type};
use crate::load::Resolved;
use crate::rng;
use crate::spec::{self, ExprText, Located, OutcomeSpec};
use petgraph::csr::Csr;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{BuildHasherDefault, Hasher};

mod csv;

/// A hash map with a fast, non-cryptographic hash (FxHash's multiply-rotate), for ids read at
/// load time: hashing actor ids with SipHash was a large share of loading a big network.
type HashMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<FxHasher>>;

#[derive(Default)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
            ]));
        }
        for &b in chunks.remainder() {
            self.add(u64::from(b));
        }
    }

    fn write_u8(&mut self, b: u8) {
        self.add(u64::from(b));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// Steps one run may have at most.
pub const MAX_STEPS: i64 = 10_000_000;
/// Longest delay or duration of an effect.
pub const MAX_DELAY: i64 = 1_000_000;

/// An actor: a node of the relation graph.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Actor {
    pub id: String,
    pub name: String,
    pub kind: u16,
    /// Most actions per step (rules only), or `u32::MAX`.
    pub cap: u32,
}

/// A relation's kind: the weight of an edge of the relation graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RelationKind(pub u16);

/// A declared variable.
#[derive(Clone, Debug, PartialEq)]
pub struct Variable {
    pub name: String,
    pub default: f64,
    pub range: Option<(f64, f64)>,
    pub description: String,
}

/// Where an effect lands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum On {
    Relation,
    Reverse,
    Both,
    Actor,
    Target,
    /// Every relation out of the actor.
    Out,
    /// Every relation into the actor.
    In,
}

#[derive(Clone, Debug)]
pub struct Effect {
    pub var: u16,
    pub on: On,
    pub amount: Code,
    pub delay: u32,
    pub duration: u32,
    /// (index into `Model::kin`, factor).
    pub spill: Option<(usize, f64)>,
}

#[derive(Clone, Debug)]
pub struct Action {
    pub name: String,
    pub description: String,
    pub cameo: Option<(String, f64)>,
    pub effects: Vec<Effect>,
    /// Whether the action needs a target (an effect or amount refers to one).
    pub needs_target: bool,
}

/// Who a rule's lanes are.
#[derive(Clone, Debug)]
pub enum Lanes {
    /// Every relation.
    AllEdges,
    /// Every actor, without a target.
    AllActors,
    /// These relations.
    Edges(Vec<u32>),
    /// These actors, each toward a fixed target (or none: `u32::MAX`), with the relation between.
    Actors {
        actors: Vec<u32>,
        target: u32,
        edges: Vec<u32>,
    },
    /// The actors that did `action` toward one of these actors in the previous step.
    Reactions { actors: Vec<bool>, action: u16 },
}

#[derive(Clone, Debug)]
pub struct Rule {
    pub name: String,
    pub key: u64,
    pub action: u16,
    pub lanes: Lanes,
    pub when: Code,
    pub probability: Code,
    pub cooldown: u32,
    pub priority: i64,
    pub domain: Domain,
}

#[derive(Clone, Debug)]
pub struct Dynamic {
    pub name: String,
    pub relation: bool,
    pub var: u16,
    pub add: Code,
    /// Relations (or actors) it applies to; `None` = all.
    pub only: Option<Vec<u32>>,
}

#[derive(Clone, Debug)]
pub enum When {
    At(Vec<u32>),
    Rate { rate: Code, from: u32, until: u32 },
}

#[derive(Clone, Debug)]
pub struct Event {
    pub name: String,
    pub key: u64,
    pub actor: u32,
    pub action: u16,
    pub target: u32,
    pub edge: u32,
    pub when: When,
}

#[derive(Clone, Debug)]
pub struct Outcome {
    pub name: String,
    pub description: String,
    pub text: String,
    pub cond: Code,
    pub hold: u32,
}

#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    pub text: String,
    pub code: Code,
}

/// Actors linked by relations of one kind (either direction), as compressed rows.
#[derive(Clone, Debug)]
pub struct Kin {
    pub start: Vec<u32>,
    pub members: Vec<u32>,
}

impl Kin {
    pub fn of(&self, actor: u32) -> &[u32] {
        &self.members[self.start[actor as usize] as usize..self.start[actor as usize + 1] as usize]
    }
}

/// A validated, compiled scenario.
#[derive(Clone, Debug)]
pub struct Model {
    pub name: String,
    pub description: String,
    pub steps: u32,
    pub time_unit: String,
    pub dt: f64,
    pub seed: u64,
    pub content_hash: u64,
    pub parameters: Vec<(String, f64)>,
    /// The relation graph, as compressed sparse rows. Node i is actor i, edge e is relation
    /// e (relations are sorted by (from, to), which is the order of its rows); the relation's
    /// kind is `edge_kind[e]`.
    pub graph: Csr<Actor, ()>,
    pub actor_kinds: Vec<String>,
    pub relation_kinds: Vec<String>,
    pub relation_vars: Vec<Variable>,
    pub actor_vars: Vec<Variable>,
    pub src: Vec<u32>,
    pub dst: Vec<u32>,
    /// Reverse relation of each relation, or `n_relations()` (the sentinel); one extra entry.
    pub rev: Vec<u32>,
    pub out_start: Vec<u32>,
    /// Relations into each actor, sorted by `from` (`in_edges[in_start[a]..in_start[a + 1]]`);
    /// built only when the model reads them (`in(...)` aggregates, effects with `on = "in"`),
    /// and empty otherwise.
    pub in_start: Vec<u32>,
    pub in_edges: Vec<u32>,
    pub edge_kind: Vec<u16>,
    pub actor_keys: Vec<u64>,
    /// Initial values: per relation variable, one per relation plus the sentinel.
    pub init_relation: Vec<Vec<f64>>,
    pub init_actor: Vec<Vec<f64>>,
    pub actions: Vec<Action>,
    /// Sorted by priority (highest first), then name.
    pub rules: Vec<Rule>,
    pub dynamics: Vec<Dynamic>,
    pub events: Vec<Event>,
    pub outcomes: Vec<Outcome>,
    pub series: Vec<Series>,
    pub agg_actor: Vec<AggKey>,
    pub agg_scalar: Vec<AggKey>,
    pub kin: Vec<Kin>,
    /// Whether any expression or rule needs who-did-what-to-whom logs.
    pub uses_pair_log: bool,
    /// Longest delay + duration of any effect.
    pub horizon: u32,
    /// Deepest operand stack any expression needs.
    pub max_depth: usize,
}

impl Model {
    pub fn n_actors(&self) -> usize {
        self.graph.node_count()
    }

    pub fn n_relations(&self) -> usize {
        self.dst.len()
    }

    pub fn actor(&self, idx: u32) -> &Actor {
        &self.graph[idx]
    }

    pub fn actor_index(&self, id: &str) -> Option<u32> {
        let n = self.n_actors();
        let (mut lo, mut hi) = (0usize, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.actor(mid as u32).id.as_str().cmp(id) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid as u32),
            }
        }
        None
    }

    /// The relation from → to, if there is one.
    pub fn edge(&self, from: u32, to: u32) -> Option<u32> {
        let (lo, hi) = (
            self.out_start[from as usize] as usize,
            self.out_start[from as usize + 1] as usize,
        );
        self.dst[lo..hi]
            .binary_search(&to)
            .ok()
            .map(|i| (lo + i) as u32)
    }

    /// The relations into `actor` (none unless the model reads them: see `in_edges`).
    pub fn in_edges_of(&self, actor: u32) -> &[u32] {
        if self.in_start.is_empty() {
            return &[];
        }
        &self.in_edges
            [self.in_start[actor as usize] as usize..self.in_start[actor as usize + 1] as usize]
    }

    pub fn relation_label(&self, e: u32) -> String {
        format!(
            "{}→{}",
            self.actor(self.src[e as usize]).id,
            self.actor(self.dst[e as usize]).id
        )
    }
}

/// Values given on the command line: `--set name=value` and `--steps`.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub parameters: Vec<(String, f64)>,
    pub steps: Option<u32>,
}

/// Compiles a resolved scenario. Relation files are released as soon as they have been read
/// into columns, so a large network is not held as text and as columns at once.
pub fn compile(mut resolved: Resolved, overrides: &Overrides) -> Result<Model, Diagnostics> {
    let csv_texts = resolved
        .csv
        .iter()
        .map(|c| resolved.sources.take_text(c.file))
        .collect();
    let mut c = Compiler {
        r: &resolved,
        errors: Vec::new(),
        csv_lines: vec![std::cell::OnceCell::new(); resolved.csv.len()],
        csv_texts,
    };
    let model = c.model(overrides);
    let (mut items, texts) = (c.errors, c.csv_texts);
    match model {
        Some(model) if items.is_empty() => Ok(model),
        _ => {
            if items.is_empty() {
                items.push(Diagnostic::bare("the scenario could not be compiled"));
            }
            // Kept whenever something failed before they were released.
            let files: Vec<_> = resolved.csv.iter().map(|c| c.file).collect();
            for (file, text) in files.into_iter().zip(texts) {
                resolved.sources.put_text(file, text);
            }
            Err(Diagnostics {
                items,
                sources: resolved.sources,
            })
        }
    }
}

struct Compiler<'a> {
    r: &'a Resolved,
    errors: Vec<Diagnostic>,
    /// The text of each relation file (`Resolved::csv` order), taken out of the source map
    /// while it is read; empty once released.
    csv_texts: Vec<String>,
    /// Line starts of each relation file, built when a diagnostic first needs a line number.
    csv_lines: Vec<std::cell::OnceCell<Vec<usize>>>,
}

/// Names visible to expressions.
struct Names {
    params: BTreeMap<String, f64>,
    rel_vars: BTreeMap<String, u16>,
    actor_vars: BTreeMap<String, u16>,
    /// Sorted (they are the dense ids' order), so looked up by binary search.
    actor_ids: Vec<String>,
    actions: BTreeMap<String, u16>,
    rel_kinds: BTreeMap<String, u16>,
    actor_kinds: BTreeMap<String, u16>,
    out_start: Vec<u32>,
    dst: Vec<u32>,
    agg_actor: Vec<AggKey>,
    agg_scalar: Vec<AggKey>,
}

impl Namespace for Names {
    fn param(&self, name: &str) -> Option<f64> {
        self.params.get(name).copied()
    }
    fn rel_var(&self, name: &str) -> Option<u16> {
        self.rel_vars.get(name).copied()
    }
    fn actor_var(&self, name: &str) -> Option<u16> {
        self.actor_vars.get(name).copied()
    }
    fn actor(&self, id: &str) -> Option<u32> {
        self.actor_ids
            .binary_search_by(|a| a.as_str().cmp(id))
            .ok()
            .map(|a| a as u32)
    }
    fn action(&self, name: &str) -> Option<u16> {
        self.actions.get(name).copied()
    }
    fn edge(&self, from: u32, to: u32) -> Option<u32> {
        let (lo, hi) = (
            self.out_start[from as usize] as usize,
            self.out_start[from as usize + 1] as usize,
        );
        self.dst[lo..hi]
            .binary_search(&to)
            .ok()
            .map(|i| (lo + i) as u32)
    }
    fn rel_kind(&self, name: &str) -> Option<u16> {
        self.rel_kinds.get(name).copied()
    }
    fn actor_kind(&self, name: &str) -> Option<u16> {
        self.actor_kinds.get(name).copied()
    }
    fn aggregate(&mut self, key: AggKey) -> u16 {
        let per_actor = matches!(key.set, AggSet::Out(_) | AggSet::In(_)) && key.actor.is_none();
        let table = if per_actor {
            &mut self.agg_actor
        } else {
            &mut self.agg_scalar
        };
        match table.iter().position(|k| *k == key) {
            Some(i) => i as u16,
            None => {
                table.push(key);
                table.len() as u16 - 1
            }
        }
    }
    fn names(&self, sort: expr::Sort) -> Vec<String> {
        use expr::Sort;
        match sort {
            Sort::Value => {
                let mut v: Vec<String> = self.params.keys().cloned().collect();
                v.extend(self.rel_vars.keys().cloned());
                v.extend(self.actor_vars.keys().cloned());
                v.extend(["step", "dt", "goldstein"].map(String::from));
                v
            }
            Sort::Actor => self.actor_ids.clone(),
            Sort::Action => self.actions.keys().cloned().collect(),
            Sort::RelKind => self.rel_kinds.keys().cloned().collect(),
            Sort::ActorKind => self.actor_kinds.keys().cloned().collect(),
        }
    }
}

impl Compiler<'_> {
    fn error(&mut self, d: Diagnostic) {
        self.errors.push(d);
    }

    fn main_loc(&self) -> Loc {
        Loc::new(self.r.main, 0..0)
    }

    /// Where a relation was written (see [`csv::Origin`]).
    fn origin_loc(&self, origin: u64) -> Loc {
        if origin & csv::Origin::INLINE != 0 {
            let i = (origin & !csv::Origin::INLINE) as usize;
            return self.r.spec.relations[i].loc.clone();
        }
        let (k, start) = csv::Origin::split(origin);
        let line = csv::line_at(&self.csv_texts[k], start);
        Loc::new(self.r.csv[k].file, start..start + line.len())
    }

    /// File name and 1-based line of a location, also in a relation file being read.
    fn file_line(&self, loc: &Loc) -> (String, usize) {
        let f = self.r.sources.get(loc.file);
        let line = match self.r.csv.iter().position(|c| c.file == loc.file) {
            Some(k) => {
                let starts =
                    self.csv_lines[k].get_or_init(|| crate::diag::line_starts(&self.csv_texts[k]));
                starts.partition_point(|&s| s <= loc.span.start)
            }
            None => f.line_col(loc.span.start).0,
        };
        (f.name.clone(), line)
    }

    fn model(&mut self, overrides: &Overrides) -> Option<Model> {
        let spec = &self.r.spec;
        let meta = &spec.scenario;
        let main_name = self.r.sources.get(self.r.main).name.clone();
        let name = meta
            .name
            .as_ref()
            .map(|n| n.value.clone())
            .unwrap_or_else(|| {
                main_name
                    .rsplit('/')
                    .next()
                    .unwrap_or("scenario")
                    .trim_end_matches(".toml")
                    .to_string()
            });
        let steps = match (&meta.steps, overrides.steps) {
            (_, Some(s)) if s >= 1 && i64::from(s) <= MAX_STEPS => s,
            (_, Some(s)) => {
                self.error(
                    Diagnostic::bare(format!("--steps {s} is out of range"))
                        .with_hint(format!("1 to {MAX_STEPS}")),
                );
                1
            }
            (Some(s), None) if (1..=MAX_STEPS).contains(&s.value) => s.value as u32,
            (Some(s), None) => {
                self.error(Diagnostic::at(
                    s.loc.clone(),
                    format!(
                        "`steps` must be between 1 and {MAX_STEPS}, found {}",
                        s.value
                    ),
                ));
                1
            }
            (None, None) => {
                self.error(
                    Diagnostic::at(self.main_loc(), "missing `steps` in [scenario]").with_hint(
                        "add `steps = 52` (how many steps one run simulates) under [scenario]",
                    ),
                );
                1
            }
        };
        let dt = match &meta.dt {
            Some(d) if d.value.is_finite() && d.value > 0.0 => d.value,
            Some(d) => {
                self.error(Diagnostic::at(
                    d.loc.clone(),
                    "`dt` must be a positive number",
                ));
                1.0
            }
            None => 1.0,
        };
        let seed = match &meta.seed {
            Some(s) if s.value >= 0 => s.value as u64,
            Some(s) => {
                self.error(Diagnostic::at(s.loc.clone(), "`seed` must not be negative"));
                0
            }
            None => 0,
        };
        let default_cap = match &meta.max_actions_per_step {
            Some(c) if c.value >= 1 => c.value.min(u32::MAX as i64) as u32,
            Some(c) => {
                self.error(Diagnostic::at(
                    c.loc.clone(),
                    "`max_actions_per_step` must be at least 1",
                ));
                u32::MAX
            }
            None => u32::MAX,
        };

        let parameters = self.parameters(overrides);
        let (relation_vars, actor_vars) = self.variables();
        let rel_var_idx: BTreeMap<String, u16> = relation_vars
            .iter()
            .enumerate()
            .map(|(i, v)| (v.name.clone(), i as u16))
            .collect();
        let actor_var_idx: BTreeMap<String, u16> = actor_vars
            .iter()
            .enumerate()
            .map(|(i, v)| (v.name.clone(), i as u16))
            .collect();

        // Actors and relations, first in the order written, then sorted by id.
        let csv_bytes: usize = self.csv_texts.iter().map(String::len).sum();
        let mut actors = csv::ActorIds::new((1 << 16) + csv_bytes / 2);
        let mut declared: Vec<(String, String, Option<u32>, Vec<f64>)> = Vec::new();
        for (id, table) in &spec.actors {
            if !valid_name(id)
                && !id
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
            {
                self.error(Diagnostic::at(
                    table.loc.clone(),
                    format!("actor id `{id}` may only hold letters, digits, `_` and `-`"),
                ));
            }
            let row = self.actor_row(id, table, &actor_var_idx, &actor_vars);
            actors.insert(id, true);
            declared.push(row);
        }
        let mut rel_kind_names: BTreeSet<String> = BTreeSet::new();
        // Rows of relation files, counted by their line ends, so the columns grow once.
        let capacity = spec.relations.len()
            + self
                .csv_texts
                .iter()
                .map(|t| csv::max_rows(t))
                .sum::<usize>();
        let mut raw = csv::RawRelations::new(relation_vars.len(), capacity);
        let mut kind_ids: HashMap<String, u16> = HashMap::default();
        self.inline_relations(
            &mut actors,
            &rel_var_idx,
            &relation_vars,
            &mut raw,
            &mut kind_ids,
        );
        let mut created = csv::Created {
            kind_of: Vec::new(),
            kinds: Vec::new(),
        };
        let columns = csv::Columns {
            vars: &rel_var_idx,
            specs: &relation_vars,
        };
        self.csv_relations(&mut actors, &mut created, &columns, &mut raw, &mut kind_ids);
        rel_kind_names.extend(kind_ids.keys().cloned());
        if actors.len() == 0 {
            self.error(
                Diagnostic::at(self.main_loc(), "the scenario has no actors")
                    .with_hint("declare actors as [actors.ID] tables, or load relations with create_actors = true"),
            );
        }
        if actors.len() > u32::MAX as usize / 2 || raw.src.len() > u32::MAX as usize / 2 {
            self.error(Diagnostic::bare(
                "too many actors or relations (more than 2^31)",
            ));
            return None;
        }

        // Dense ids: actors sorted by id, relations sorted by (from, to).
        let mut actor_ids = std::mem::take(&mut actors.ids);
        drop(actors);
        let order = id_order(&actor_ids);
        let mut new_of = vec![0u32; actor_ids.len()];
        for (new, &old) in order.iter().enumerate() {
            new_of[old as usize] = new as u32;
        }
        for actor in raw.src.iter_mut().chain(raw.dst.iter_mut()) {
            *actor = new_of[*actor as usize];
        }
        drop(new_of);
        let n_declared = declared.len();
        let mut kind_used = vec![false; created.kinds.len()];
        for &k in &created.kind_of {
            kind_used[k as usize] = true;
        }
        let mut actor_kind_names: Vec<String> = Vec::new();
        let used_kinds = declared.iter().map(|(kind, _, _, _)| kind).chain(
            created
                .kinds
                .iter()
                .zip(&kind_used)
                .filter(|(_, &used)| used)
                .map(|(k, _)| k),
        );
        for kind_name in used_kinds {
            if !actor_kind_names.contains(kind_name) {
                actor_kind_names.push(kind_name.clone());
            }
        }
        actor_kind_names.sort();
        let actor_kind_idx: BTreeMap<String, u16> = actor_kind_names
            .iter()
            .enumerate()
            .map(|(i, k)| (k.clone(), i as u16))
            .collect();
        // Kind ids were handed out in reading order; renumber them by name.
        let rel_kinds: Vec<String> = rel_kind_names.into_iter().collect();
        let rel_kind_idx: BTreeMap<String, u16> = rel_kinds
            .iter()
            .enumerate()
            .map(|(i, k)| (k.clone(), i as u16))
            .collect();
        let mut kind_renumber = vec![0u16; kind_ids.len()];
        for (name, &old) in &kind_ids {
            kind_renumber[old as usize] = rel_kind_idx[name];
        }
        for k in raw.kind.iter_mut() {
            *k = kind_renumber[*k as usize];
        }

        let n_actors = actor_ids.len();
        let n_edges = raw.src.len();
        // A counting sort by `from` (which keeps reading order within an actor), then each
        // actor's few relations by `to`.
        let (out_start, mut eorder) = counting_sort(&raw.src, n_actors);
        for a in 0..n_actors {
            let group = &mut eorder[out_start[a] as usize..out_start[a + 1] as usize];
            if !group.is_sorted_by_key(|&e| raw.dst[e as usize]) {
                group.sort_by_key(|&e| raw.dst[e as usize]);
            }
        }
        // Relations between the same two actors in one direction: report every copy after the
        // first written against that first one.
        let mut duplicates = false;
        let mut i = 0;
        while i < n_edges {
            let (s, d) = (raw.src[eorder[i] as usize], raw.dst[eorder[i] as usize]);
            let n = eorder[i..]
                .iter()
                .take_while(|&&e| raw.src[e as usize] == s && raw.dst[e as usize] == d)
                .count();
            if n > 1 {
                duplicates = true;
                let mut group: Vec<Loc> = eorder[i..i + n]
                    .iter()
                    .map(|&e| self.origin_loc(raw.origins[e as usize]))
                    .collect();
                group.sort_by_key(|l| (l.file, l.span.start));
                let label = format!(
                    "{} → {}",
                    actor_ids[order[s as usize] as usize], actor_ids[order[d as usize] as usize]
                );
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
        // Relation files are not pointed into after this: let their text go before the
        // columns are built (it is given back with the diagnostics if anything failed).
        if self.errors.is_empty() {
            self.csv_texts = Vec::new();
        }
        drop(std::mem::take(&mut raw.origins));
        let mut src: Vec<u32> = Vec::with_capacity(n_edges);
        for a in 0..n_actors {
            src.resize(out_start[a + 1] as usize, a as u32);
        }
        let dst: Vec<u32> = eorder.iter().map(|&e| raw.dst[e as usize]).collect();
        let edge_kind: Vec<u16> = eorder.iter().map(|&e| raw.kind[e as usize]).collect();
        let mut init_relation: Vec<Vec<f64>> = Vec::with_capacity(relation_vars.len());
        for (var, values) in relation_vars.iter().zip(std::mem::take(&mut raw.values)) {
            let mut col: Vec<f64> = Vec::with_capacity(n_edges + 1);
            col.extend(eorder.iter().map(|&e| {
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
        drop(eorder);
        let names_for_edges = Names {
            params: BTreeMap::new(),
            rel_vars: BTreeMap::new(),
            actor_vars: BTreeMap::new(),
            actor_ids: Vec::new(),
            actions: BTreeMap::new(),
            rel_kinds: BTreeMap::new(),
            actor_kinds: BTreeMap::new(),
            out_start,
            dst,
            agg_actor: Vec::new(),
            agg_scalar: Vec::new(),
        };
        let mut rev = vec![n_edges as u32; n_edges + 1];
        for e in 0..n_edges {
            if let Some(r) = names_for_edges.edge(names_for_edges.dst[e], src[e]) {
                rev[e] = r;
            }
        }
        // The graph itself (compressed sparse rows): node i is actor i, edge e is relation e.
        let mut graph = {
            let mut pairs: Vec<(u32, u32)> = src
                .iter()
                .zip(&names_for_edges.dst)
                .map(|(&s, &d)| (s, d))
                .collect();
            if duplicates {
                pairs.dedup();
            }
            let graph = Csr::<Actor, ()>::from_sorted_edges(&pairs);
            debug_assert!(graph.is_ok(), "relations are sorted and without duplicates");
            graph.unwrap_or_default()
        };
        let mut init_actor: Vec<Vec<f64>> = vec![Vec::with_capacity(n_actors); actor_vars.len()];
        let mut sorted_ids: Vec<String> = Vec::with_capacity(n_actors);
        for (new, &old) in order.iter().enumerate() {
            let old = old as usize;
            let id = actor_ids[old].clone();
            sorted_ids.push(std::mem::take(&mut actor_ids[old]));
            let actor = match declared.get(old) {
                Some((kind, name, cap, values)) => {
                    for (v, col) in init_actor.iter_mut().enumerate() {
                        col.push(values[v]);
                    }
                    Actor {
                        id,
                        name: name.clone(),
                        kind: actor_kind_idx[kind],
                        cap: cap.unwrap_or(default_cap),
                    }
                }
                None => {
                    for (v, col) in init_actor.iter_mut().enumerate() {
                        col.push(actor_vars[v].default);
                    }
                    let kind = &created.kinds[created.kind_of[old - n_declared] as usize];
                    Actor {
                        name: id.clone(),
                        id,
                        kind: actor_kind_idx[kind],
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
        drop(actor_ids);
        drop(declared);
        let actor_keys: Vec<u64> = sorted_ids.iter().map(|id| rng::key_of(id)).collect();

        let actions_idx: BTreeMap<String, u16> = spec
            .actions
            .keys()
            .enumerate()
            .map(|(i, k)| (k.clone(), i as u16))
            .collect();
        let mut names = Names {
            params: parameters.iter().cloned().collect(),
            rel_vars: rel_var_idx,
            actor_vars: actor_var_idx,
            actor_ids: sorted_ids,
            actions: actions_idx,
            rel_kinds: rel_kind_idx,
            actor_kinds: actor_kind_idx,
            ..names_for_edges
        };
        names.params.insert("dt".into(), dt);
        let kin_kinds = self.spill_kinds(&names);
        let actions = self.actions(&mut names, &kin_kinds);
        let rules = self.rules(&mut names, &actions, &graph, (&src, &edge_kind));
        let dynamics = self.dynamics(&mut names, &graph, &edge_kind);
        let events = self.events(&mut names, &actions, steps);
        let outcomes = self.outcomes(&mut names);
        let series = self.series(&mut names, &relation_vars, &graph, &src);
        // Relations into each actor, only for a model that reads them: `in(...)` aggregates
        // and effects with on = "in".
        let reads_in = actions
            .iter()
            .flat_map(|a| &a.effects)
            .any(|e| e.on == On::In)
            || names
                .agg_actor
                .iter()
                .chain(&names.agg_scalar)
                .any(|k| matches!(k.set, AggSet::In(_)));
        let (in_start, in_edges) = if reads_in {
            // In-relations by a counting sort on `to`; relations are visited in (from, to) order,
            // so each actor's in-relations come out sorted by `from`.
            counting_sort(&names.dst, n_actors)
        } else {
            (Vec::new(), Vec::new())
        };
        let kin = kin_kinds
            .iter()
            .map(|&k| kin_lists(n_actors, &src, &names.dst, &edge_kind, k))
            .collect();

        let uses_pair_log = rules
            .iter()
            .any(|r| matches!(r.lanes, Lanes::Reactions { .. }))
            || all_codes(&actions, &rules, &dynamics, &events, &outcomes, &series)
                .any(|c| c.uses(|op| matches!(op, expr::Op::DidPair(..))));
        let max_depth = all_codes(&actions, &rules, &dynamics, &events, &outcomes, &series)
            .map(|c| c.depth)
            .max()
            .unwrap_or(1);
        let horizon = actions
            .iter()
            .flat_map(|a| &a.effects)
            .map(|e| e.delay + e.duration)
            .max()
            .unwrap_or(1);
        let description = meta
            .description
            .as_ref()
            .map(|d| d.value.clone())
            .unwrap_or_default();
        let time_unit = meta
            .time_unit
            .as_ref()
            .map(|d| d.value.clone())
            .unwrap_or_else(|| "step".into());
        let mut params = parameters;
        params.sort_by(|a, b| a.0.cmp(&b.0));
        Some(Model {
            name,
            description,
            steps,
            time_unit,
            dt,
            seed,
            content_hash: self.r.content_hash,
            parameters: params,
            graph,
            actor_kinds: actor_kind_names,
            relation_kinds: rel_kinds,
            relation_vars,
            actor_vars,
            src,
            dst: names.dst,
            rev,
            out_start: names.out_start,
            in_start,
            in_edges,
            edge_kind,
            actor_keys,
            init_relation,
            init_actor,
            actions,
            rules,
            dynamics,
            events,
            outcomes,
            series,
            agg_actor: names.agg_actor,
            agg_scalar: names.agg_scalar,
            kin,
            uses_pair_log,
            horizon,
            max_depth,
        })
    }

    fn parameters(&mut self, overrides: &Overrides) -> Vec<(String, f64)> {
        let mut out = Vec::new();
        for (name, p) in &self.r.spec.parameters {
            let v = p.value.value();
            if !valid_name(name) {
                self.error(Diagnostic::at(
                    p.loc.clone(),
                    format!("`{name}` is not a valid parameter name"),
                ));
            }
            if RESERVED.contains(&name.as_str()) {
                self.error(Diagnostic::at(
                    p.loc.clone(),
                    format!("`{name}` is a reserved word and cannot name a parameter"),
                ));
            }
            if !v.is_finite() {
                self.error(Diagnostic::at(
                    p.loc.clone(),
                    format!("parameter `{name}` must be a finite number"),
                ));
            }
            out.push((name.clone(), v));
        }
        for (name, value) in &overrides.parameters {
            match out.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = *value,
                None => {
                    let d = Diagnostic::bare(format!(
                        "--set {name}: the scenario has no parameter `{name}`"
                    ));
                    let d = d.suggest(name, self.r.spec.parameters.keys().map(String::as_str));
                    self.error(d);
                }
            }
            if !value.is_finite() {
                self.error(Diagnostic::bare(format!(
                    "--set {name}: the value must be a finite number"
                )));
            }
        }
        out
    }

    fn variables(&mut self) -> (Vec<Variable>, Vec<Variable>) {
        let (mut rel, mut act) = (Vec::new(), Vec::new());
        for (name, v) in &self.r.spec.variables {
            let spec = &v.value;
            if !valid_name(name) || RESERVED.contains(&name.as_str()) {
                self.error(Diagnostic::at(
                    v.loc.clone(),
                    format!("`{name}` cannot name a variable"),
                ));
            }
            if self.r.spec.parameters.contains_key(name) {
                self.error(Diagnostic::at(
                    v.loc.clone(),
                    format!("`{name}` is both a parameter and a variable"),
                ));
            }
            let default = spec.default.as_ref().map_or(0.0, |d| d.value);
            if let Some(d) = &spec.default {
                if !d.value.is_finite() {
                    self.error(Diagnostic::at(
                        d.loc.clone(),
                        "a default must be a finite number",
                    ));
                }
            }
            let range = match &spec.range {
                None => None,
                Some(r) => match r.value.as_slice() {
                    [lo, hi] if lo.is_finite() && hi.is_finite() && lo <= hi => {
                        if !(default >= *lo && default <= *hi) {
                            let loc = spec
                                .default
                                .as_ref()
                                .map_or(r.loc.clone(), |d| d.loc.clone());
                            self.error(Diagnostic::at(loc, format!("default {default} of `{name}` is outside its range [{lo}, {hi}]")));
                        }
                        Some((*lo, *hi))
                    }
                    _ => {
                        self.error(
                            Diagnostic::at(
                                r.loc.clone(),
                                "a range is `[min, max]` with finite min <= max",
                            )
                            .with_hint("e.g. range = [0, 1]"),
                        );
                        None
                    }
                },
            };
            let var = Variable {
                name: name.clone(),
                default,
                range,
                description: spec.description.clone().unwrap_or_default(),
            };
            match spec.of.value.as_str() {
                "relation" => rel.push(var),
                "actor" => act.push(var),
                other => {
                    let d = Diagnostic::at(
                        spec.of.loc.clone(),
                        format!("`of` must be \"relation\" or \"actor\", found \"{other}\""),
                    );
                    self.error(d.suggest(other, ["relation", "actor"]));
                }
            }
        }
        if rel.len() > u16::MAX as usize || act.len() > u16::MAX as usize {
            self.error(Diagnostic::bare("too many variables"));
        }
        (rel, act)
    }

    /// (kind name, display name, cap, initial values) of one `[actors.ID]` table.
    fn actor_row(
        &mut self,
        id: &str,
        table: &Located<BTreeMap<String, Located<toml::Value>>>,
        vars: &BTreeMap<String, u16>,
        var_specs: &[Variable],
    ) -> (String, String, Option<u32>, Vec<f64>) {
        let mut values: Vec<f64> = var_specs.iter().map(|v| v.default).collect();
        let (mut kind, mut name, mut cap) = ("actor".to_string(), id.to_string(), None);
        for (key, value) in &table.value {
            match key.as_str() {
                "name" => name = self.string(value, "name").unwrap_or(name),
                "kind" => kind = self.string(value, "kind").unwrap_or(kind),
                "description" => {
                    let _ = self.string(value, "description");
                }
                "max_actions_per_step" => match value.value.as_integer() {
                    Some(c) if c >= 1 => cap = Some(c.min(u32::MAX as i64) as u32),
                    _ => self.error(Diagnostic::at(
                        value.loc.clone(),
                        "`max_actions_per_step` must be a whole number, at least 1",
                    )),
                },
                var => self.initial_value(
                    var,
                    value,
                    (vars, var_specs, &mut values),
                    &["name", "kind", "description", "max_actions_per_step"],
                    (
                        &format!("actor `{id}`: unknown key or actor variable"),
                        "actor",
                    ),
                ),
            }
        }
        (kind, name, cap, values)
    }

    /// A key of an actor or relation table that is not one of `keys`: the initial value of a
    /// declared variable, or an error with a hint (`what`: the message start and the `of`).
    fn initial_value(
        &mut self,
        var: &str,
        value: &Located<toml::Value>,
        (vars, specs, values): (&BTreeMap<String, u16>, &[Variable], &mut [f64]),
        keys: &[&str],
        (message, of): (&str, &str),
    ) {
        if let Some(&v) = vars.get(var) {
            if let Some(x) = self.number(value, var, specs[v as usize].range) {
                values[v as usize] = x;
            }
            return;
        }
        let candidates = keys.iter().copied().chain(vars.keys().map(String::as_str));
        let d = Diagnostic::at(value.loc.clone(), format!("{message} `{var}`"));
        let d = match crate::diag::did_you_mean(var, candidates) {
            Some(b) => d.with_hint(format!("did you mean `{b}`?")),
            None => d.with_hint(format!("declare it under [variables] with of = \"{of}\"")),
        };
        self.error(d);
    }

    fn string(&mut self, v: &Located<toml::Value>, key: &str) -> Option<String> {
        match v.value.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.error(Diagnostic::at(
                    v.loc.clone(),
                    format!("`{key}` must be text (in quotes)"),
                ));
                None
            }
        }
    }

    fn number(
        &mut self,
        v: &Located<toml::Value>,
        var: &str,
        range: Option<(f64, f64)>,
    ) -> Option<f64> {
        let x = match &v.value {
            toml::Value::Float(f) => *f,
            toml::Value::Integer(i) => *i as f64,
            _ => {
                self.error(Diagnostic::at(
                    v.loc.clone(),
                    format!("the initial value of `{var}` must be a number"),
                ));
                return None;
            }
        };
        self.check_value(x, var, range, v.loc.clone())
    }

    fn check_value(
        &mut self,
        x: f64,
        var: &str,
        range: Option<(f64, f64)>,
        loc: Loc,
    ) -> Option<f64> {
        if !x.is_finite() {
            self.error(Diagnostic::at(
                loc,
                format!("the initial value of `{var}` must be a finite number"),
            ));
            return None;
        }
        if let Some((lo, hi)) = range {
            if x < lo || x > hi {
                self.error(Diagnostic::at(
                    loc,
                    format!("initial value {x} of `{var}` is outside its range [{lo}, {hi}]"),
                ));
                return None;
            }
        }
        Some(x)
    }

    fn inline_relations(
        &mut self,
        actors: &mut csv::ActorIds,
        vars: &BTreeMap<String, u16>,
        var_specs: &[Variable],
        raw: &mut csv::RawRelations,
        kinds: &mut HashMap<String, u16>,
    ) {
        for (index, rel) in self.r.spec.relations.iter().enumerate() {
            let mut ends: [Option<u32>; 2] = [None, None];
            let mut kind = "related".to_string();
            let mut values = vec![f64::NAN; var_specs.len()];
            for (i, key) in ["from", "to"].iter().enumerate() {
                match rel.value.get(*key) {
                    None => self.error(
                        Diagnostic::at(rel.loc.clone(), format!("relation without `{key}`"))
                            .with_hint("a relation needs from = \"ID\" and to = \"ID\""),
                    ),
                    Some(v) => {
                        if let Some(id) = self.string(v, key) {
                            match actors.get(&id) {
                                Some(a) => ends[i] = Some(a),
                                None => {
                                    let d = Diagnostic::at(
                                        v.loc.clone(),
                                        format!("unknown actor `{id}`"),
                                    );
                                    self.error(
                                        d.suggest(&id, actors.ids.iter().map(String::as_str)),
                                    );
                                }
                            }
                        }
                    }
                }
            }
            for (key, value) in &rel.value {
                match key.as_str() {
                    "from" | "to" => {}
                    "kind" => kind = self.string(value, "kind").unwrap_or(kind),
                    "description" => {
                        let _ = self.string(value, "description");
                    }
                    var => self.initial_value(
                        var,
                        value,
                        (vars, var_specs, &mut values),
                        &["from", "to", "kind", "description"],
                        ("relation: unknown key or relation variable", "relation"),
                    ),
                }
            }
            if let [Some(a), Some(b)] = ends {
                if a == b {
                    self.error(
                        Diagnostic::at(
                            rel.loc.clone(),
                            format!("relation from `{}` to itself", actors.ids[a as usize]),
                        )
                        .with_hint("relations join two different actors"),
                    );
                    continue;
                }
                let next = kinds.len() as u16;
                let k = *kinds.entry(kind).or_insert(next);
                raw.push([a, b], k, &values, csv::Origin::INLINE | index as u64);
            }
        }
    }

    fn expr_loc(&self, e: &spec::Expr, span: &std::ops::Range<usize>) -> Loc {
        let (_, quoted) = e.value.source();
        let file = self.r.sources.get(e.loc.file);
        let off = if !quoted {
            0
        } else if file
            .text
            .get(e.loc.span.start..e.loc.span.start + 3)
            .is_some_and(|s| s == "\"\"\"" || s == "'''")
        {
            3
        } else {
            1
        };
        let start = e.loc.span.start + off + span.start;
        let end = (e.loc.span.start + off + span.end).max(start);
        Loc::new(e.loc.file, start..end.min(e.loc.span.end.max(start)))
    }

    fn syntax_error(&mut self, e: &spec::Expr, err: SyntaxError, what: &str) {
        let mut d = Diagnostic::at(
            self.expr_loc(e, &err.span),
            format!("{what}: {}", err.message),
        );
        d.hint = err.hint;
        self.error(d);
    }

    fn compile_error(&mut self, e: &spec::Expr, err: CompileError, what: &str) {
        let mut d = Diagnostic::at(
            self.expr_loc(e, &err.span),
            format!("{what}: {}", err.message),
        );
        d.hint = err.hint;
        self.error(d);
    }

    /// Parses and compiles one expression; errors are recorded and `None` returned.
    fn expr(
        &mut self,
        e: &spec::Expr,
        want: Type,
        ctx: Ctx,
        ns: &mut Names,
        what: &str,
    ) -> Option<Code> {
        if let ExprText::Number(x) = e.value {
            if !x.is_finite() {
                self.error(Diagnostic::at(
                    e.loc.clone(),
                    format!("{what}: must be a finite number"),
                ));
                return None;
            }
        }
        let (text, _) = e.value.source();
        let ast = match parse::parse(&text) {
            Ok(a) => a,
            Err(err) => {
                let mut err = err;
                if err.message.starts_with("expected an operator")
                    && text.get(err.span.clone()) == Some("for")
                {
                    err.message = "`for N steps` is only allowed in outcomes".into();
                    err.hint = Some(
                        "a rule reads one step; keep a count in a variable to require persistence"
                            .into(),
                    );
                }
                self.syntax_error(e, err, what);
                return None;
            }
        };
        match expr::compile(&ast, want, ctx, ns) {
            Ok(c) => Some(c),
            Err(err) => {
                self.compile_error(e, err, what);
                None
            }
        }
    }

    fn spill_kinds(&mut self, names: &Names) -> Vec<u16> {
        let mut kinds = BTreeSet::new();
        for a in self.r.spec.actions.values() {
            for e in a.value.effects.iter().flatten() {
                if let Some(s) = &e.value.spill {
                    if let Some(k) = names.rel_kinds.get(&s.value.kind.value) {
                        kinds.insert(*k);
                    }
                }
            }
        }
        kinds.into_iter().collect()
    }

    fn actions(&mut self, names: &mut Names, kin_kinds: &[u16]) -> Vec<Action> {
        let mut out = Vec::new();
        for (name, a) in &self.r.spec.actions {
            if !valid_name(name) {
                self.error(
                    Diagnostic::at(
                        a.loc.clone(),
                        format!("`{name}` is not a valid action name"),
                    )
                    .with_hint("letters, digits and `_`, starting with a letter"),
                );
            }
            let spec = &a.value;
            let cameo = match &spec.cameo {
                None => None,
                Some(code) => match cameo::goldstein(&code.value) {
                    Some(g) => Some((code.value.clone(), g)),
                    None => {
                        let d = Diagnostic::at(
                            code.loc.clone(),
                            format!("`{}` is not a CAMEO event code", code.value),
                        );
                        let d = d.suggest(&code.value, cameo::codes());
                        self.error(if d.hint.is_none() {
                            d.with_hint("codes are digits, e.g. \"036\" (express intent to meet)")
                        } else {
                            d
                        });
                        None
                    }
                },
            };
            let site = rng::key_of(&format!("action:{name}"));
            let ctx = Ctx {
                domain: Domain::ActorTarget,
                allow_does: true,
                goldstein: cameo.as_ref().map(|c| c.1),
                site,
            };
            let mut effects = Vec::new();
            let mut needs_target = false;
            for (i, eff) in spec.effects.iter().flatten().enumerate() {
                let e = &eff.value;
                let on = match e.on.value.as_str() {
                    "relation" => On::Relation,
                    "reverse" => On::Reverse,
                    "both" => On::Both,
                    "actor" => On::Actor,
                    "target" => On::Target,
                    "out" => On::Out,
                    "in" => On::In,
                    other => {
                        let d = Diagnostic::at(e.on.loc.clone(), format!("`on` must be relation, reverse, both, actor, target, out or in; found \"{other}\""));
                        self.error(d.suggest(
                            other,
                            [
                                "relation", "reverse", "both", "actor", "target", "out", "in",
                            ],
                        ));
                        continue;
                    }
                };
                let relation = !matches!(on, On::Actor | On::Target);
                let var = if relation {
                    names.rel_vars.get(&e.var.value)
                } else {
                    names.actor_vars.get(&e.var.value)
                };
                let Some(&var) = var else {
                    let (what, other) = if relation {
                        (
                            "a relation variable",
                            names.actor_vars.contains_key(&e.var.value),
                        )
                    } else {
                        (
                            "an actor variable",
                            names.rel_vars.contains_key(&e.var.value),
                        )
                    };
                    let d = Diagnostic::at(
                        e.var.loc.clone(),
                        format!("`{}` is not {what}", e.var.value),
                    );
                    let d = if other {
                        d.with_hint(if relation { "it is an actor variable: use on = \"actor\" or \"target\"" } else { "it is a relation variable: use on = \"relation\", \"reverse\" or \"both\"" })
                    } else {
                        let known: Vec<&String> = if relation {
                            names.rel_vars.keys().collect()
                        } else {
                            names.actor_vars.keys().collect()
                        };
                        d.suggest(&e.var.value, known.into_iter().map(String::as_str))
                    };
                    self.error(d);
                    continue;
                };
                let what = format!("effect {} of action `{name}`", i + 1);
                let sub = Ctx {
                    site: rng::mix(site ^ i as u64),
                    ..ctx
                };
                let Some(amount) = self.expr(&e.add, Type::Num, sub, names, &what) else {
                    continue;
                };
                let delay = self.small_count(e.delay.as_ref(), 0, 0, "delay");
                let duration = self.small_count(e.duration.as_ref(), 1, 1, "duration");
                let spill = match &e.spill {
                    None => None,
                    Some(s) => match names.rel_kinds.get(&s.value.kind.value) {
                        Some(k) => {
                            if !(s.value.factor.value.is_finite()) {
                                self.error(Diagnostic::at(
                                    s.value.factor.loc.clone(),
                                    "`factor` must be a finite number",
                                ));
                            }
                            kin_kinds
                                .iter()
                                .position(|x| x == k)
                                .map(|i| (i, s.value.factor.value))
                        }
                        None => {
                            let d = Diagnostic::at(
                                s.value.kind.loc.clone(),
                                format!("no relation has kind `{}`", s.value.kind.value),
                            );
                            self.error(d.suggest(
                                &s.value.kind.value,
                                names.rel_kinds.keys().map(String::as_str),
                            ));
                            None
                        }
                    },
                };
                needs_target |= !matches!(on, On::Actor | On::Out | On::In)
                    || amount.uses(|op| {
                        matches!(
                            op,
                            expr::Op::RelOwn(_)
                                | expr::Op::RelRev(_)
                                | expr::Op::RelPair(_, expr::Who::Target, _)
                                | expr::Op::RelPair(_, _, expr::Who::Target)
                                | expr::Op::ActorVar(_, expr::Who::Target)
                                | expr::Op::AggActor(_, expr::Who::Target)
                                | expr::Op::DidPair(expr::Who::Target, _, _, _)
                                | expr::Op::DidPair(_, expr::Who::Target, _, _)
                                | expr::Op::DidAny(expr::Who::Target, _, _)
                                | expr::Op::Since(expr::Who::Target, _)
                                | expr::Op::Times(expr::Who::Target, _)
                                | expr::Op::Exists(..)
                        )
                    });
                effects.push(Effect {
                    var,
                    on,
                    amount,
                    delay,
                    duration,
                    spill,
                });
            }
            out.push(Action {
                name: name.clone(),
                description: spec.description.clone().unwrap_or_default(),
                cameo,
                effects,
                needs_target,
            });
        }
        out
    }

    fn small_count(&mut self, v: Option<&Located<i64>>, default: u32, min: i64, what: &str) -> u32 {
        match v {
            None => default,
            Some(x) if (min..=MAX_DELAY).contains(&x.value) => x.value as u32,
            Some(x) => {
                self.error(Diagnostic::at(
                    x.loc.clone(),
                    format!(
                        "`{what}` must be a whole number from {min} to {MAX_DELAY}, found {}",
                        x.value
                    ),
                ));
                default
            }
        }
    }

    fn lookup_action(&mut self, names: &Names, n: &spec::Name) -> Option<u16> {
        match names.actions.get(&n.value) {
            Some(&a) => Some(a),
            None => {
                let d = Diagnostic::at(n.loc.clone(), format!("unknown action `{}`", n.value));
                let d = d.suggest(&n.value, names.actions.keys().map(String::as_str));
                self.error(if d.hint.is_none() {
                    d.with_hint("declare it as [actions.NAME]")
                } else {
                    d
                });
                None
            }
        }
    }

    fn lookup_actor(&mut self, names: &Names, n: &spec::Name) -> Option<u32> {
        match names.actor(&n.value) {
            Some(a) => Some(a),
            None => {
                let d = Diagnostic::at(n.loc.clone(), format!("unknown actor `{}`", n.value));
                self.error(d.suggest(&n.value, names.actor_ids.iter().map(String::as_str)));
                None
            }
        }
    }

    fn rules(
        &mut self,
        names: &mut Names,
        actions: &[Action],
        graph: &Csr<Actor, ()>,
        (src, edge_kind): (&[u32], &[u16]),
    ) -> Vec<Rule> {
        let mut out = Vec::new();
        let n_actors = graph.node_count();
        for (name, r) in &self.r.spec.rules {
            let spec = &r.value;
            if spec.enabled == Some(false) {
                continue;
            }
            let what = format!("rule `{name}`");
            let Some(action_name) = &spec.action else {
                self.error(
                    Diagnostic::at(r.loc.clone(), format!("{what} has no `action`"))
                        .with_hint("add action = \"NAME\""),
                );
                continue;
            };
            let action = self.lookup_action(names, action_name);
            // Who acts.
            let actors: Vec<u32> = match (&spec.actor, &spec.actor_kind) {
                (Some(_), Some(k)) => {
                    self.error(Diagnostic::at(
                        k.loc.clone(),
                        format!("{what}: give `actor` or `actor_kind`, not both"),
                    ));
                    continue;
                }
                (Some(a), None) if a.value == "*" => (0..n_actors as u32).collect(),
                (Some(a), None) => match self.lookup_actor(names, a) {
                    Some(i) => vec![i],
                    None => continue,
                },
                (None, Some(k)) => match names.actor_kinds.get(&k.value) {
                    Some(&kind) => (0..n_actors as u32)
                        .filter(|&a| graph[a].kind == kind)
                        .collect(),
                    None => {
                        let d = Diagnostic::at(
                            k.loc.clone(),
                            format!("no actor has kind `{}`", k.value),
                        );
                        self.error(
                            d.suggest(&k.value, names.actor_kinds.keys().map(String::as_str)),
                        );
                        continue;
                    }
                },
                (None, None) => {
                    self.error(
                        Diagnostic::at(r.loc.clone(), format!("{what} does not say who acts"))
                            .with_hint("add actor = \"ID\" (or \"*\"), or actor_kind = \"KIND\""),
                    );
                    continue;
                }
            };
            let Some(action) = action else { continue };
            // Toward whom.
            let given = [
                spec.target.is_some(),
                spec.target_relation.is_some(),
                spec.reacts_to.is_some(),
            ];
            if given.iter().filter(|g| **g).count() > 1 {
                self.error(Diagnostic::at(
                    r.loc.clone(),
                    format!("{what}: give at most one of `target`, `target_relation`, `reacts_to`"),
                ));
                continue;
            }
            let n_edges = src.len() as u32;
            let (lanes, domain) = if let Some(t) = &spec.target {
                let Some(t) = self.lookup_actor(names, t) else {
                    continue;
                };
                let actors: Vec<u32> = actors.into_iter().filter(|&a| a != t).collect();
                let edges = actors
                    .iter()
                    .map(|&a| names.edge(a, t).unwrap_or(n_edges))
                    .collect();
                (
                    Lanes::Actors {
                        actors,
                        target: t,
                        edges,
                    },
                    Domain::ActorTarget,
                )
            } else if let Some(k) = &spec.target_relation {
                let kind = if k.value == "*" {
                    None
                } else {
                    match names.rel_kinds.get(&k.value) {
                        Some(&kind) => Some(kind),
                        None => {
                            let d = Diagnostic::at(
                                k.loc.clone(),
                                format!("no relation has kind `{}`", k.value),
                            );
                            self.error(
                                d.suggest(&k.value, names.rel_kinds.keys().map(String::as_str)),
                            );
                            continue;
                        }
                    }
                };
                let all_actors = actors.len() == n_actors;
                if all_actors && kind.is_none() {
                    (Lanes::AllEdges, Domain::Relation)
                } else {
                    let mut edges = Vec::new();
                    for &a in &actors {
                        for e in names.out_start[a as usize]..names.out_start[a as usize + 1] {
                            if kind.is_none_or(|k| edge_kind[e as usize] == k) {
                                edges.push(e);
                            }
                        }
                    }
                    (Lanes::Edges(edges), Domain::Relation)
                }
            } else if let Some(re) = &spec.reacts_to {
                let Some(trigger) = self.lookup_action(names, re) else {
                    continue;
                };
                let mut mask = vec![false; n_actors];
                for &a in &actors {
                    mask[a as usize] = true;
                }
                (
                    Lanes::Reactions {
                        actors: mask,
                        action: trigger,
                    },
                    Domain::ActorTarget,
                )
            } else {
                if actions[action as usize].needs_target {
                    self.error(
                        Diagnostic::at(action_name.loc.clone(), format!("{what}: action `{}` needs a target", action_name.value))
                            .with_hint("add target = \"ID\", target_relation = \"KIND\" or reacts_to = \"ACTION\""),
                    );
                    continue;
                }
                let lanes = if actors.len() == n_actors {
                    Lanes::AllActors
                } else {
                    let edges = vec![n_edges; actors.len()];
                    Lanes::Actors {
                        actors,
                        target: u32::MAX,
                        edges,
                    }
                };
                (lanes, Domain::Actor)
            };
            let site = rng::key_of(&format!("rule:{name}"));
            let ctx = Ctx {
                domain,
                allow_does: false,
                goldstein: None,
                site,
            };
            let when = match &spec.when {
                Some(w) => self.expr(w, Type::Bool, ctx, names, &format!("{what}, `when`")),
                None => Some(Code::constant_code(1.0, Type::Bool)),
            };
            let probability = match &spec.probability {
                Some(p) => {
                    let c = self.expr(
                        p,
                        Type::Num,
                        Ctx {
                            site: rng::mix(site),
                            ..ctx
                        },
                        names,
                        &format!("{what}, `probability`"),
                    );
                    if let Some(v) = c.as_ref().and_then(Code::constant) {
                        if !(0.0..=1.0).contains(&v) {
                            self.error(Diagnostic::at(
                                p.loc.clone(),
                                format!("{what}: probability {v} is outside [0, 1]"),
                            ));
                        }
                    }
                    c
                }
                None => Some(Code::constant_code(1.0, Type::Num)),
            };
            let cooldown = self.small_count(spec.cooldown.as_ref(), 0, 0, "cooldown");
            let priority = spec.priority.as_ref().map_or(0, |p| p.value);
            if let (Some(when), Some(probability)) = (when, probability) {
                out.push(Rule {
                    name: name.clone(),
                    key: site,
                    action,
                    lanes,
                    when,
                    probability,
                    cooldown,
                    priority,
                    domain,
                });
            }
        }
        out.sort_by(|a, b| {
            b.priority
                .cmp(&a.priority)
                .then_with(|| a.name.cmp(&b.name))
        });
        out
    }

    fn dynamics(
        &mut self,
        names: &mut Names,
        graph: &Csr<Actor, ()>,
        edge_kind: &[u16],
    ) -> Vec<Dynamic> {
        let mut out = Vec::new();
        for (name, d) in &self.r.spec.dynamics {
            let spec = &d.value;
            if spec.enabled == Some(false) {
                continue;
            }
            let what = format!("dynamics `{name}`");
            let (Some(var), Some(add)) = (&spec.var, &spec.add) else {
                self.error(
                    Diagnostic::at(d.loc.clone(), format!("{what} needs `var` and `add`"))
                        .with_hint("e.g. var = \"tension\", add = \"-0.1 * tension\""),
                );
                continue;
            };
            let (relation, idx) = match (
                names.rel_vars.get(&var.value),
                names.actor_vars.get(&var.value),
            ) {
                (Some(&v), _) => (true, v),
                (None, Some(&v)) => (false, v),
                (None, None) => {
                    let d = Diagnostic::at(
                        var.loc.clone(),
                        format!("unknown variable `{}`", var.value),
                    );
                    let known: Vec<String> = names
                        .rel_vars
                        .keys()
                        .chain(names.actor_vars.keys())
                        .cloned()
                        .collect();
                    self.error(d.suggest(&var.value, known.iter().map(String::as_str)));
                    continue;
                }
            };
            let only = match &spec.kind {
                None => None,
                Some(k) if relation => match names.rel_kinds.get(&k.value) {
                    Some(&kind) => Some(
                        (0..edge_kind.len() as u32)
                            .filter(|&e| edge_kind[e as usize] == kind)
                            .collect(),
                    ),
                    None => {
                        let d = Diagnostic::at(
                            k.loc.clone(),
                            format!("no relation has kind `{}`", k.value),
                        );
                        self.error(d.suggest(&k.value, names.rel_kinds.keys().map(String::as_str)));
                        continue;
                    }
                },
                Some(k) => match names.actor_kinds.get(&k.value) {
                    Some(&kind) => Some(
                        (0..graph.node_count() as u32)
                            .filter(|&a| graph[a].kind == kind)
                            .collect(),
                    ),
                    None => {
                        let d = Diagnostic::at(
                            k.loc.clone(),
                            format!("no actor has kind `{}`", k.value),
                        );
                        self.error(
                            d.suggest(&k.value, names.actor_kinds.keys().map(String::as_str)),
                        );
                        continue;
                    }
                },
            };
            let domain = if relation {
                Domain::Relation
            } else {
                Domain::Actor
            };
            let ctx = Ctx {
                domain,
                allow_does: true,
                goldstein: None,
                site: rng::key_of(&format!("dynamics:{name}")),
            };
            if let Some(add) = self.expr(add, Type::Num, ctx, names, &what) {
                out.push(Dynamic {
                    name: name.clone(),
                    relation,
                    var: idx,
                    add,
                    only,
                });
            }
        }
        out
    }

    fn events(&mut self, names: &mut Names, actions: &[Action], steps: u32) -> Vec<Event> {
        let mut out = Vec::new();
        let n_edges = names.dst.len() as u32;
        let file_steps = self
            .r
            .spec
            .scenario
            .steps
            .as_ref()
            .map_or(0, |s| s.value)
            .max(i64::from(steps));
        for (name, ev) in &self.r.spec.events {
            let spec = &ev.value;
            if spec.enabled == Some(false) {
                continue;
            }
            let what = format!("event `{name}`");
            let (Some(actor), Some(action_name)) = (&spec.actor, &spec.action) else {
                self.error(Diagnostic::at(
                    ev.loc.clone(),
                    format!("{what} needs `actor` and `action`"),
                ));
                continue;
            };
            let actor = self.lookup_actor(names, actor);
            let action = self.lookup_action(names, action_name);
            let target = match &spec.target {
                Some(t) => self.lookup_actor(names, t).map(Some),
                None => Some(None),
            };
            let (Some(actor), Some(action), Some(target)) = (actor, action, target) else {
                continue;
            };
            if target.is_none() && actions[action as usize].needs_target {
                self.error(
                    Diagnostic::at(
                        action_name.loc.clone(),
                        format!("{what}: action `{}` needs a target", action_name.value),
                    )
                    .with_hint("add target = \"ID\""),
                );
                continue;
            }
            if target == Some(actor) {
                self.error(Diagnostic::at(
                    ev.loc.clone(),
                    format!("{what}: an actor cannot target itself"),
                ));
                continue;
            }
            let when = match (&spec.at, &spec.rate) {
                (Some(at), None) => {
                    let mut v = Vec::new();
                    for s in at.value.to_vec() {
                        if s < 1 || s > file_steps {
                            self.error(Diagnostic::at(
                                at.loc.clone(),
                                format!("{what}: step {s} is outside the run (1 to {file_steps})"),
                            ));
                        } else if s <= i64::from(steps) {
                            // A shorter run asked for on the command line simply ends first.
                            v.push(s as u32);
                        }
                    }
                    v.sort_unstable();
                    v.dedup();
                    When::At(v)
                }
                (None, Some(rate)) => {
                    let ctx = Ctx {
                        domain: Domain::Global,
                        allow_does: false,
                        goldstein: None,
                        site: rng::key_of(&format!("event-rate:{name}")),
                    };
                    let Some(code) =
                        self.expr(rate, Type::Num, ctx, names, &format!("{what}, `rate`"))
                    else {
                        continue;
                    };
                    if let Some(v) = code.constant() {
                        if !(0.0..=1.0).contains(&v) {
                            self.error(Diagnostic::at(rate.loc.clone(), format!("{what}: rate {v} is outside [0, 1] (it is a probability per step)")));
                        }
                    }
                    let from = spec.from.as_ref().map_or(1, |f| f.value.max(1)) as u32;
                    let until = spec
                        .until
                        .as_ref()
                        .map_or(i64::from(steps), |u| u.value.min(i64::from(steps)))
                        .max(0) as u32;
                    When::Rate {
                        rate: code,
                        from,
                        until,
                    }
                }
                _ => {
                    self.error(Diagnostic::at(ev.loc.clone(), format!("{what} needs exactly one of `at` (scheduled steps) or `rate` (probability per step)")));
                    continue;
                }
            };
            let target_idx = target.unwrap_or(u32::MAX);
            let edge = target.and_then(|t| names.edge(actor, t)).unwrap_or(n_edges);
            out.push(Event {
                name: name.clone(),
                key: rng::key_of(&format!("event:{name}")),
                actor,
                action,
                target: target_idx,
                edge,
                when,
            });
        }
        out
    }

    fn outcomes(&mut self, names: &mut Names) -> Vec<Outcome> {
        let mut out = Vec::new();
        for (name, o) in &self.r.spec.outcomes {
            let (text_expr, description) = match &o.value {
                OutcomeSpec::Short(s) => (
                    Located::new(ExprText::Text(s.clone()), o.loc.clone()),
                    String::new(),
                ),
                OutcomeSpec::Full(f) => (f.when.clone(), f.description.clone().unwrap_or_default()),
            };
            let (text, _) = text_expr.value.source();
            let held = match parse::parse_held(&text) {
                Ok(h) => h,
                Err(e) => {
                    self.syntax_error(&text_expr, e, &format!("outcome `{name}`"));
                    continue;
                }
            };
            let ctx = Ctx {
                domain: Domain::Global,
                allow_does: true,
                goldstein: None,
                site: rng::key_of(&format!("outcome:{name}")),
            };
            match expr::compile(&held.cond, Type::Bool, ctx, names) {
                Ok(cond) => out.push(Outcome {
                    name: name.clone(),
                    description,
                    text,
                    cond,
                    hold: held.steps,
                }),
                Err(e) => self.compile_error(&text_expr, e, &format!("outcome `{name}`")),
            }
        }
        out
    }

    fn series(
        &mut self,
        names: &mut Names,
        rel_vars: &[Variable],
        graph: &Csr<Actor, ()>,
        src: &[u32],
    ) -> Vec<Series> {
        let mut out = Vec::new();
        let ctx = |name: &str| Ctx {
            domain: Domain::Global,
            allow_does: true,
            goldstein: None,
            site: rng::key_of(&format!("series:{name}")),
        };
        if !self.r.spec.report.series.is_empty() {
            for (name, e) in &self.r.spec.report.series {
                if let Some(code) =
                    self.expr(e, Type::Num, ctx(name), names, &format!("series `{name}`"))
                {
                    out.push(Series {
                        name: name.clone(),
                        text: e.value.source().0,
                        code,
                    });
                }
            }
            return out;
        }
        // Defaults: every relation variable of every relation, or means over a large graph.
        let n_edges = src.len();
        for (v, var) in rel_vars.iter().enumerate() {
            if n_edges <= 64 {
                for e in 0..n_edges {
                    let (a, b) = (&graph[src[e]].id, &graph[names.dst[e]].id);
                    let code = Code {
                        ops: vec![expr::Op::RelEdge(v as u16, e as u32)],
                        ty: Type::Num,
                        depth: 1,
                        coefs: Vec::new(),
                    };
                    out.push(Series {
                        name: format!("{}_{a}_{b}", var.name),
                        text: format!("{}({a}, {b})", var.name),
                        code,
                    });
                }
            } else {
                let text = format!("mean({}, all)", var.name);
                let ast = parse::parse(&text).expect("generated expression parses");
                let code = expr::compile(&ast, Type::Num, ctx(&text), names)
                    .expect("generated expression compiles");
                out.push(Series {
                    name: format!("mean_{}", var.name),
                    text,
                    code,
                });
            }
        }
        out
    }
}

const RESERVED: [&str; 12] = [
    "self",
    "target",
    "step",
    "dt",
    "goldstein",
    "and",
    "or",
    "not",
    "true",
    "false",
    "all",
    "actors",
];

fn valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn all_codes<'a>(
    actions: &'a [Action],
    rules: &'a [Rule],
    dynamics: &'a [Dynamic],
    events: &'a [Event],
    outcomes: &'a [Outcome],
    series: &'a [Series],
) -> impl Iterator<Item = &'a Code> {
    actions
        .iter()
        .flat_map(|a| a.effects.iter().map(|e| &e.amount))
        .chain(rules.iter().flat_map(|r| [&r.when, &r.probability]))
        .chain(dynamics.iter().map(|d| &d.add))
        .chain(events.iter().filter_map(|e| match &e.when {
            When::Rate { rate, .. } => Some(rate),
            When::At(_) => None,
        }))
        .chain(outcomes.iter().map(|o| &o.cond))
        .chain(series.iter().map(|s| &s.code))
}

fn kin_lists(n_actors: usize, src: &[u32], dst: &[u32], kind: &[u16], k: u16) -> Kin {
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

/// A stable counting sort of `0..keys.len()` by key (each below `n_keys`): the start of each
/// key's run (plus the end), and the indices in key order, equal keys in index order.
fn counting_sort(keys: &[u32], n_keys: usize) -> (Vec<u32>, Vec<u32>) {
    let mut start = vec![0u32; n_keys + 1];
    for &k in keys {
        start[k as usize + 1] += 1;
    }
    for i in 0..n_keys {
        start[i + 1] += start[i];
    }
    let mut order = vec![0u32; keys.len()];
    let mut next = start.clone();
    for (i, &k) in keys.iter().enumerate() {
        order[next[k as usize] as usize] = i as u32;
        next[k as usize] += 1;
    }
    (start, order)
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
