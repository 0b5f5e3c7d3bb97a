//! Typed dense indices: an actor, a relation, a variable, an action or a kind, each its own
//! type, so one cannot be passed for another. They are what [`crate::Model`]'s methods take and
//! return, like petgraph's `NodeIndex`: `#[repr(transparent)]` over the integer that indexes the
//! state arrays, and as cheap.
//!
//! They type the public API: [`crate::Model`]'s methods, [`crate::graph::Adjacency`],
//! [`crate::RuntimeError`]. Inside the crate — the compiled items, the compile stages' tables,
//! the stepper's and the interpreter's loops — the same indices are plain `u32`/`u16` columns,
//! which the vectorised loops take as slices.

macro_rules! id {
    ($(#[$doc:meta])* $name:ident($int:ty)) => {
        $(#[$doc])*
        #[repr(transparent)]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub(crate) $int);

        impl $name {
            /// The id of dense index `index` (which must fit the id's width).
            #[inline]
            #[allow(dead_code)] // not every kind of id is made from an index in the crate
            pub(crate) const fn new(index: usize) -> $name {
                $name(index as $int)
            }

            /// The dense index: the position in the model's (and the state's) arrays.
            #[inline]
            pub const fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id!(
    /// An actor: a node of the relation graph. Actors are numbered in the order of their ids
    /// (as text).
    ActorId(u32)
);
id!(
    /// A relation: an edge of the relation graph. Relations are numbered in (from, to) order, so
    /// an actor's out-relations are consecutive. "No relation" is
    /// [`Adjacency::none`](crate::graph::Adjacency::none), the index one past the last, which
    /// addresses the state's default slot.
    RelationId(u32)
);
id!(
    /// A declared variable: an index among the relation variables or among the actor
    /// variables, as the context says ([`Place`](crate::sim::Place) says which, in an error).
    VarId(u16)
);
id!(
    /// A declared action, in the order of their names.
    ActionId(u16)
);
id!(
    /// An actor kind, in the order of the kinds' names.
    ActorKindId(u16)
);
id!(
    /// A relation kind, in the order of the kinds' names.
    RelationKindId(u16)
);

impl ActorId {
    /// No actor: the target of a lane or an event that has none.
    pub const NONE: ActorId = ActorId(u32::MAX);

    /// Whether this is [`ActorId::NONE`].
    #[inline]
    pub const fn is_none(self) -> bool {
        self.0 == u32::MAX
    }
}
