//! The words of the expression language, in one place.
//!
//! The parser, the expression compiler and the scenario compiler all read these lists, so a
//! word cannot be a keyword to one and a free name to another. A scenario may not name a
//! parameter or a variable with a keyword, a named value or a set's name ([`is_reserved`]): those
//! would shadow, or be shadowed by, the language. Function names stay free for them (a variable
//! may be called `count`), because a name followed by `(` is read as the built-in.

/// Words with a grammatical role: operators, the `for N steps` clause and the two booleans.
pub(crate) const KEYWORDS: [&str; 6] = ["and", "or", "not", "for", "true", "false"];

/// Names that stand for a value: the lane's actors, the clock and the action's CAMEO weight.
pub(crate) const NAMED_VALUES: [&str; 5] = ["self", "target", "step", "dt", "goldstein"];

/// A built-in function and the numbers of arguments it takes.
pub(crate) struct Function {
    pub name: &'static str,
    pub arities: &'static [usize],
}

const fn f(name: &'static str, arities: &'static [usize]) -> Function {
    Function { name, arities }
}

/// Every built-in function. `min`, `max`, `mean`, `sum` and `count` are also aggregates
/// (`mean(tension, out(self))`, `count(in(LTU))`); `out`, `in`, `all` and `actors` are sets,
/// which only an aggregate takes.
pub(crate) const FUNCTIONS: [Function; 34] = [
    f("if", &[3]),
    f("abs", &[1]),
    f("exp", &[1]),
    f("ln", &[1]),
    f("sqrt", &[1]),
    f("sin", &[1]),
    f("cos", &[1]),
    f("tanh", &[1]),
    f("logistic", &[1]),
    f("log10", &[1]),
    f("floor", &[1]),
    f("ceil", &[1]),
    f("round", &[1]),
    f("pow", &[2]),
    f("mod", &[2]),
    f("lookup", &[2]),
    f("clamp", &[3]),
    f("min", &[2]),
    f("max", &[2]),
    f("mean", &[2]),
    f("sum", &[2]),
    f("count", &[1]),
    f("random", &[0]),
    f("exists", &[2]),
    f("did", &[2, 3]),
    f("does", &[2, 3]),
    f("times", &[2, 3]),
    f("since", &[2, 3]),
    f("did_within", &[3, 4]),
    f("times_within", &[3, 4]),
    f("out", &[1, 2]),
    f("in", &[1, 2]),
    f("all", &[0, 1]),
    f("actors", &[0, 1]),
];

/// The numbers of arguments the built-in `name` takes (empty if it is not one).
pub(crate) fn arities(name: &str) -> &'static [usize] {
    FUNCTIONS
        .iter()
        .find(|f| f.name == name)
        .map_or(&[], |f| f.arities)
}

/// Whether `word` is a keyword.
pub(crate) fn is_keyword(word: &str) -> bool {
    KEYWORDS.contains(&word)
}

/// The sets that a bare word names (`all`, `actors`) and so cannot name a parameter or variable.
pub(crate) const BARE_SETS: [&str; 2] = ["all", "actors"];

/// Whether `name` is taken by the language as a bare word: a keyword, a named value or a set.
pub(crate) fn is_reserved(name: &str) -> bool {
    is_keyword(name) || NAMED_VALUES.contains(&name) || BARE_SETS.contains(&name)
}

/// Every word of the language, for did-you-mean hints.
pub(crate) fn words() -> impl Iterator<Item = &'static str> {
    FUNCTIONS.iter().map(|f| f.name).chain(NAMED_VALUES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_is_reserved_and_listed_once() {
        let mut all: Vec<&str> = KEYWORDS.iter().copied().chain(words()).collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n, "a word is listed twice");
        assert!(KEYWORDS
            .iter()
            .chain(&NAMED_VALUES)
            .chain(&BARE_SETS)
            .all(|w| is_reserved(w)));
        assert!(!is_reserved("tension"));
        assert!(
            !is_reserved("count"),
            "function names stay free for variables"
        );
        assert_eq!(arities("did"), &[2, 3]);
        assert!(arities("tension").is_empty());
    }
}
