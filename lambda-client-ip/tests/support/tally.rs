//! Counting how many generated cases a property ran and how many of them reached an answer, so a
//! property about answers can be shown not to be vacuous. Shared by the library's property tests
//! and the function's (`#[path]` from there).

use std::cell::Cell;
use std::fmt;

use proptest::strategy::Strategy;
use proptest::test_runner::{TestCaseError, TestRunner};

/// How many cases a property ran, and how many of them reached an answer.
#[derive(Debug, Clone, Copy)]
pub struct Tally {
    pub answered: u32,
    pub cases: u32,
}

impl Tally {
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

pub fn report(name: &str, tally: Tally) {
    println!(
        "{name}: {} of {} cases reached an answer ({:.0}%)",
        tally.answered,
        tally.cases,
        100.0 * tally.fraction()
    );
}
