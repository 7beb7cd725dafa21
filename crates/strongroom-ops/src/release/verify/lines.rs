//! The report's lines as the verification stages write them: typed check ids, in order, with
//! passes of one kind folded into one line when there are many.

use std::collections::BTreeMap;

use strongroom_core::verify::{CheckId, Outcome};
use strongroom_policy::Fix;

use crate::release::CheckLine;

/// Checks collected in the order the stages ran.
#[derive(Debug, Default)]
pub(crate) struct Lines(Vec<CheckLine>);

impl Lines {
    pub fn push(&mut self, id: CheckId, outcome: Outcome, detail: impl Into<String>) {
        self.push_fix(id, outcome, detail.into(), None);
    }

    /// A line that names what to do about it (each shell words the fix).
    pub fn push_fix(&mut self, id: CheckId, outcome: Outcome, detail: String, fix: Option<Fix>) {
        self.0.push(CheckLine {
            id,
            outcome,
            detail,
            fix,
        });
    }

    /// `Fail` if any check failed, else `Warn` if any warned, else `Pass`.
    pub fn verdict(&self) -> Outcome {
        match self.0.iter().map(|l| l.outcome).max() {
            Some(Outcome::Fail) => Outcome::Fail,
            Some(Outcome::Warn) => Outcome::Warn,
            _ => Outcome::Pass,
        }
    }

    /// The lines of one check, in order.
    #[cfg(test)]
    pub fn of(&self, id: CheckId) -> Vec<&CheckLine> {
        self.0.iter().filter(|l| l.id == id).collect()
    }

    /// Problems stay one per line, in the order the checks first ran; more than three passes of
    /// one check become one line.
    pub fn folded(self) -> Vec<CheckLine> {
        let mut order: Vec<CheckId> = Vec::new();
        for l in &self.0 {
            if !order.contains(&l.id) {
                order.push(l.id);
            }
        }
        let mut by_id: BTreeMap<CheckId, Vec<CheckLine>> = BTreeMap::new();
        for l in self.0 {
            by_id.entry(l.id).or_default().push(l);
        }
        let mut out = Vec::new();
        for id in order {
            let (passes, problems): (Vec<CheckLine>, Vec<CheckLine>) = by_id
                .remove(&id)
                .unwrap_or_default()
                .into_iter()
                .partition(|l| l.outcome == Outcome::Pass);
            out.extend(problems);
            if passes.len() <= 3 {
                out.extend(passes);
            } else {
                out.push(CheckLine {
                    detail: format!("{} passed, for example: {}", passes.len(), passes[0].detail),
                    ..passes[0].clone()
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_passes_fold_and_problems_stay_in_order() {
        let mut l = Lines::default();
        l.push(CheckId::Manifest, Outcome::Pass, "m");
        for i in 0..5 {
            l.push(CheckId::ArtifactDigest, Outcome::Pass, format!("a{i}"));
        }
        l.push(CheckId::ArtifactDigest, Outcome::Fail, "bad");
        l.push(CheckId::Policy, Outcome::Warn, "w");
        assert_eq!(l.verdict(), Outcome::Fail);
        let f = l.folded();
        let got: Vec<(CheckId, Outcome, &str)> = f
            .iter()
            .map(|c| (c.id, c.outcome, c.detail.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (CheckId::Manifest, Outcome::Pass, "m"),
                (CheckId::ArtifactDigest, Outcome::Fail, "bad"),
                (
                    CheckId::ArtifactDigest,
                    Outcome::Pass,
                    "5 passed, for example: a0"
                ),
                (CheckId::Policy, Outcome::Warn, "w"),
            ]
        );
    }
}
