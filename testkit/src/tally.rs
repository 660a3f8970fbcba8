//! Counting how many generated cases a property ran and how many of them reached an answer, so a
//! property about answers can be shown not to be vacuous.

use std::cell::Cell;
use std::fmt;

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

/// How many cases a property ran, and how many of them reached an answer.
#[derive(Debug, Clone, Copy)]
pub struct Tally {
    /// Cases that reached an answer.
    pub answered: u32,
    /// Cases run.
    pub cases: u32,
}

impl Tally {
    /// The fraction of cases that reached an answer.
    pub fn fraction(self) -> f64 {
        f64::from(self.answered) / f64::from(self.cases.max(1))
    }
}

/// Runs `property` on `runner`; the property says whether the case reached an answer.
pub fn run<S>(
    runner: &mut TestRunner,
    strategy: S,
    property: impl Fn(S::Value) -> Result<bool, TestCaseError>,
) -> Tally
where
    S: Strategy,
    S::Value: fmt::Debug,
{
    let (answered, cases) = (Cell::new(0), Cell::new(0));
    let result = runner.run(&strategy, |value| {
        let reached = property(value)?;
        cases.set(cases.get() + 1);
        answered.set(answered.get() + u32::from(reached));
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    Tally {
        answered: answered.get(),
        cases: cases.get(),
    }
}

/// Prints a property's tally (`--nocapture` shows it).
pub fn report(name: &str, tally: Tally) {
    println!(
        "{name}: {} of {} cases reached an answer ({:.0}%)",
        tally.answered,
        tally.cases,
        100.0 * tally.fraction()
    );
}

/// A property that runs its cases on the runner it is given and tallies them.
pub type Property = fn(&mut TestRunner) -> Tally;

/// Runs every property on exactly `cases` cases from a fixed seed (no saved failures replayed, so
/// the same cases every run) and asserts that at least half of each reached an answer: the
/// generators make the answer path the common case, so no property is vacuous.
pub fn assert_most_cases_answer(properties: &[(&str, Property)], cases: u32) {
    let mut low = Vec::new();
    for (name, property) in properties {
        let config = Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        };
        let rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
        let tally = property(&mut TestRunner::new_with_rng(config, rng));
        report(name, tally);
        assert_eq!(tally.cases, cases, "{name}");
        if tally.fraction() < 0.5 {
            low.push(format!("{name}: {:.2}", tally.fraction()));
        }
    }
    assert!(low.is_empty(), "too few answers: {low:?}");
}
