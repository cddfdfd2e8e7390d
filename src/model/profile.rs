//! The [chosen] rules of APPFLOW.md as alternatives: a behaviour profile
//! picks one candidate per rule, and a [`ProfileSet`] holds the profiles a
//! target is still consistent with.

use std::fmt;

/// One [chosen] rule with two candidates, each a bit of a profile's index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Dimension {
    /// C1: StartFlow with a new token on an Active scheduled/event flow:
    /// 409 ConflictException, or an idempotent 200 `Active`.
    ActiveStart,
    /// L5: a scheduled/event flow's status after StopFlow: Suspended or Draft.
    StoppedStatus,
    /// L1: an event flow's status after CreateFlow: Draft or Active.
    EventInitialStatus,
    /// C2: StartFlow on an on-demand flow whose last run is InProgress:
    /// accepted, or 409 ConflictException.
    InProgressStart,
    /// T2: the error of a token reused on another scheduled/event flow:
    /// 409 ConflictException, or 400 ValidationException.
    ForeignTokenError,
    /// T8: whose trigger type decides between T2 and T3 when a token is
    /// reused on another flow: the flow the new request names, or the flow
    /// the token was first used on.
    TokenTrigger,
}

impl Dimension {
    /// Every dimension, in bit order.
    pub const ALL: [Dimension; 6] = [
        Self::ActiveStart,
        Self::StoppedStatus,
        Self::EventInitialStatus,
        Self::InProgressStart,
        Self::ForeignTokenError,
        Self::TokenTrigger,
    ];

    /// The APPFLOW.md rule id.
    pub const fn rule(self) -> &'static str {
        match self {
            Self::ActiveStart => "C1",
            Self::StoppedStatus => "L5",
            Self::EventInitialStatus => "L1",
            Self::InProgressStart => "C2",
            Self::ForeignTokenError => "T2",
            Self::TokenTrigger => "T8",
        }
    }

    /// The two candidates' names; the first is the emulator's default.
    pub const fn candidates(self) -> [&'static str; 2] {
        match self {
            Self::ActiveStart => ["conflict", "idempotent"],
            Self::StoppedStatus => ["suspended", "draft"],
            Self::EventInitialStatus => ["draft", "active"],
            Self::InProgressStart => ["accept", "conflict"],
            Self::ForeignTokenError => ["conflict", "validation"],
            Self::TokenTrigger => ["new-request", "first-use"],
        }
    }

    /// The `serve` flag that picks a candidate, when the emulator has one.
    pub const fn flag(self) -> Option<&'static str> {
        match self {
            Self::ActiveStart => Some("--active-start"),
            Self::StoppedStatus => Some("--stopped-status"),
            Self::EventInitialStatus => Some("--event-initial-status"),
            Self::InProgressStart => Some("--in-progress-start"),
            Self::ForeignTokenError | Self::TokenTrigger => None,
        }
    }

    const fn bit(self) -> u32 {
        self as u32
    }
}

/// One behaviour profile: bit `d` set picks candidate 1 of dimension `d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProfileId(pub u8);

impl ProfileId {
    /// The candidate (0 or 1) this profile picks for `d`.
    pub const fn pick(self, d: Dimension) -> usize {
        ((self.0 >> d.bit()) & 1) as usize
    }
}

/// The number of profiles: every combination of candidates.
pub const PROFILES: usize = 1 << Dimension::ALL.len();

/// A set of profiles (bit `i` = profile `i`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProfileSet(pub u64);

impl ProfileSet {
    /// Every profile: nothing is known yet.
    pub const ALL: ProfileSet = ProfileSet(u64::MAX >> (64 - PROFILES));
    /// No profile.
    pub const NONE: ProfileSet = ProfileSet(0);

    /// Whether no profile is left.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The profiles of this set that pick candidate `c` of `d`.
    pub fn with(self, d: Dimension, c: usize) -> ProfileSet {
        let mut out = 0;
        for i in 0..PROFILES {
            if self.0 & (1 << i) != 0 && ProfileId(i as u8).pick(d) == c {
                out |= 1 << i;
            }
        }
        ProfileSet(out)
    }

    /// Both halves of this set along `d` (candidate 0, candidate 1).
    pub fn split(self, d: Dimension) -> [ProfileSet; 2] {
        [self.with(d, 0), self.with(d, 1)]
    }

    /// Union.
    pub const fn or(self, other: ProfileSet) -> ProfileSet {
        ProfileSet(self.0 | other.0)
    }

    /// Intersection.
    pub const fn and(self, other: ProfileSet) -> ProfileSet {
        ProfileSet(self.0 & other.0)
    }

    /// The candidates of `d` still in the set.
    pub fn candidates(self, d: Dimension) -> Vec<&'static str> {
        let names = d.candidates();
        (0..2)
            .filter(|c| !self.with(d, *c).is_empty())
            .map(|c| names[c])
            .collect()
    }

    /// The lines of a saved scenario's header (explore's findings, record's
    /// recordings) that say how to replay it on the embedded emulator with
    /// the candidates this set settled on, and which of them the emulator
    /// does not offer; none where every candidate is the emulator's default.
    pub fn replay_lines(self) -> Vec<String> {
        let (flags, unservable) = self.emulator_flags();
        let mut lines = Vec::new();
        if !flags.is_empty() {
            lines.push(format!(
                "On the embedded emulator, with the profile the target showed: appflow-harness check THIS_FILE --no-snapshots {}",
                flags.join(" ")
            ));
        }
        for u in unservable {
            lines.push(format!(
                "The target showed {u}, which the emulator does not offer."
            ));
        }
        lines
    }

    /// The emulator flags (`--active-start idempotent`, as `serve` and
    /// `check` take them) of the [chosen] candidates this set settled on
    /// where they are not the emulator's default, and the settled
    /// candidates no flag offers (`T2 validation`). A dimension still open
    /// needs no flag.
    pub fn emulator_flags(self) -> (Vec<String>, Vec<String>) {
        let (mut flags, mut unservable) = (Vec::new(), Vec::new());
        for d in Dimension::ALL {
            let [default, _] = d.candidates();
            if let [one] = self.candidates(d)[..]
                && one != default
            {
                match d.flag() {
                    Some(flag) => flags.push(format!("{flag} {one}")),
                    None => unservable.push(format!("{} {one}", d.rule())),
                }
            }
        }
        (flags, unservable)
    }
}

impl fmt::Display for ProfileSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = Dimension::ALL
            .iter()
            .map(|d| format!("{} {}", d.rule(), self.candidates(*d).join("|")))
            .collect();
        f.write_str(&parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_narrows_per_dimension_and_keeps_the_others_open() {
        let all = ProfileSet::ALL;
        assert_eq!(all.0.count_ones() as usize, PROFILES);
        let conflict = all.with(Dimension::ActiveStart, 0);
        assert_eq!(conflict.candidates(Dimension::ActiveStart), ["conflict"]);
        assert_eq!(
            conflict.candidates(Dimension::StoppedStatus),
            ["suspended", "draft"]
        );
        let [a, b] = all.split(Dimension::StoppedStatus);
        assert_eq!(a.or(b), all);
        assert!(a.and(b).is_empty());
    }
}
