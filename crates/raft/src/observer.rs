//! Raft's invariants, checked online by a read-only observer every server reports to.
//!
//! Servers report their elections, appended entries, commits and applies (with simulated time);
//! the observer keeps what each property needs and the first violation of each:
//!
//! - **Election Safety**: at most one leader per term.
//! - **Log Matching**: two entries with the same index and term hold the same command and
//!   follow entries of the same term (by induction, the logs agree up to there).
//! - **Leader Completeness**: a new leader's log holds every entry committed in an earlier term
//!   (a leader of an older term can still win an election after a newer term committed more —
//!   its voters granted their votes before they moved on — and the property says nothing of it).
//!   It is checked both ways round: when a leader is elected, against the commits seen so far;
//!   and when an entry is committed, against the leaders of later terms already elected (a
//!   deposed leader can commit after a later term's leader was elected), whose logs the
//!   observer keeps as they were at their election, as runs of equal terms.
//! - **State Machine Safety**: no two servers apply different commands at one index.
//!
//! Memory: a few words per log index (the history these checks need), none per message.
//! Servers share the observer through an `Arc<Mutex<…>>` captured by the node factory, so its
//! records survive the servers' crashes.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use check::outcome::CheckResult;
use sim_core::{NodeId, SimTime};

use crate::log::Log;

/// The observer as servers hold it.
pub type SharedObserver = Arc<Mutex<Observer>>;

/// A leader's election, as the observer saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Election {
    /// When.
    pub time: SimTime,
    /// The term.
    pub term: u64,
    /// The new leader.
    pub node: NodeId,
}

/// One entry version seen at an index: (term, digest, previous entry's term).
type Version = (u64, u64, u64);

/// A leader's log as it was when it was elected: a few words per term it holds.
#[derive(Debug)]
struct ElectedLog {
    node: NodeId,
    time: SimTime,
    /// Entries up to here were compacted into a snapshot: not judged.
    snapshot_index: u64,
    last_index: u64,
    /// `(first index, term)` of each run of entries of one term, in index order.
    runs: Vec<(u64, u64)>,
}

impl ElectedLog {
    fn of(node: NodeId, time: SimTime, log: &Log) -> Self {
        let mut runs: Vec<(u64, u64)> = Vec::new();
        for (i, t) in log.terms() {
            if runs.last().is_none_or(|&(_, last)| last != t) {
                runs.push((i, t));
            }
        }
        ElectedLog {
            node,
            time,
            snapshot_index: log.snapshot_index,
            last_index: log.last_index(),
            runs,
        }
    }

    /// The term of entry `i` (after the snapshot), if the log held one.
    fn term_at(&self, i: u64) -> Option<u64> {
        if i <= self.snapshot_index || i > self.last_index {
            return None;
        }
        let run = self.runs.partition_point(|&(first, _)| first <= i).checked_sub(1)?;
        Some(self.runs[run].1)
    }
}

/// What the observer knows.
#[derive(Debug, Default)]
pub struct Observer {
    leaders: BTreeMap<u64, NodeId>,
    elections: Vec<Election>,
    /// Per term, the logs its leaders held when elected (two only if Election Safety broke).
    elected_logs: BTreeMap<u64, Vec<ElectedLog>>,
    /// `appended[i]`: the first version of entry `i` seen in any log; other versions (other
    /// terms at the same index, rare) are in `other_versions`.
    appended: Vec<Option<Version>>,
    other_versions: BTreeMap<u64, Vec<Version>>,
    /// `committed[i]`: the (term, digest) a leader committed at `i`, and the lowest term of a
    /// leader that committed it.
    committed: Vec<Option<(u64, u64, u64)>>,
    /// `applied[i]`: the digest first applied at `i`, and by whom.
    applied: Vec<Option<(u64, NodeId)>>,
    first_commit: BTreeMap<u64, SimTime>,
    /// Per leader term: every commit time is not kept, only the first at or after each
    /// quiet-period start asked for; so keep the commit times per term, sorted.
    commit_times: BTreeMap<u64, Vec<SimTime>>,
    /// Commits of client commands, for messages per operation.
    pub client_commits: u64,
    /// (later leader, entry committed in an earlier term) pairs Leader Completeness compared:
    /// none, and the property had nothing to judge.
    completeness_compared: u64,
    /// Per server: the (term, index) of the last entry it stored, (0, 0) before any.
    last_stored: Vec<(u64, u64)>,
    /// Elections after the first at which every server but the previous leader ended its log
    /// with the same entry (the same term and index), so no candidate was barred by its log.
    pub elections_after_equal_logs: u64,
    election_safety: Option<(SimTime, String)>,
    log_matching: Option<(SimTime, String)>,
    leader_completeness: Option<(SimTime, String)>,
    state_machine_safety: Option<(SimTime, String)>,
}

fn slot<T: Default + Clone>(v: &mut Vec<T>, i: u64) -> &mut T {
    let i = i as usize;
    if v.len() <= i {
        v.resize(i + 1, T::default());
    }
    &mut v[i]
}

/// Keeps the first violation of a property: when it was seen, and what it was.
fn first(v: &mut Option<(SimTime, String)>, time: SimTime, message: impl FnOnce() -> String) {
    if v.is_none() {
        *v = Some((time, message()));
    }
}

impl Observer {
    /// A new observer of `servers` servers.
    pub fn new(servers: u32) -> Self {
        Observer { last_stored: vec![(0, 0); servers as usize], ..Observer::default() }
    }

    /// A new shared observer of `servers` servers.
    pub fn shared(servers: u32) -> SharedObserver {
        Arc::new(Mutex::new(Observer::new(servers)))
    }

    /// `node` became leader of `term` with `log`.
    pub fn elected(&mut self, time: SimTime, term: u64, node: NodeId, log: &Log) {
        if let Some(previous) = self.elections.last().map(|e| e.node) {
            let mut lengths =
                self.last_stored.iter().enumerate().filter(|&(n, _)| n != previous.index());
            if let Some((_, first)) = lengths.next()
                && lengths.all(|(_, l)| l == first)
            {
                self.elections_after_equal_logs += 1;
            }
        }
        self.elections.push(Election { time, term, node });
        if let Some(&other) = self.leaders.get(&term) {
            if other != node {
                first(&mut self.election_safety, time, || {
                    format!(
                        "term {term} has two leaders, n{} and n{} (at {time})",
                        other.0 + 1,
                        node.0 + 1
                    )
                });
            }
        }
        self.leaders.insert(term, node);
        self.elected_logs.entry(term).or_default().push(ElectedLog::of(node, time, log));
        for i in log.snapshot_index + 1..self.committed.len() as u64 {
            if let Some((t, _, by)) = self.committed[i as usize].filter(|c| c.2 < term) {
                self.completeness_compared += 1;
                if log.term_at(i) != Some(t) {
                    first(&mut self.leader_completeness, time, || {
                        format!(
                            "n{} leads term {term} without entry {i} (term {t}), committed in term {by} (at {time})",
                            node.0 + 1
                        )
                    });
                    return;
                }
            }
        }
    }

    /// `node` stored entry `index` of `term` (content `digest`) after an entry of `prev_term`.
    pub fn appended(
        &mut self,
        time: SimTime,
        node: NodeId,
        index: u64,
        term: u64,
        prev_term: u64,
        digest: u64,
    ) {
        *slot(&mut self.last_stored, node.index() as u64) = (term, index);
        let known = slot(&mut self.appended, index);
        let seen = match *known {
            None => {
                *known = Some((term, digest, prev_term));
                return;
            }
            Some(v) if v.0 == term => Some(v),
            Some(_) => self
                .other_versions
                .get(&index)
                .and_then(|vs| vs.iter().find(|v| v.0 == term).copied()),
        };
        match seen {
            Some((_, d, p)) if d != digest || p != prev_term => {
                first(&mut self.log_matching, time, || {
                    format!(
                        "entry {index} of term {term} differs between logs (n{} stored one that {})",
                        node.0 + 1,
                        if d != digest { "holds another command" } else { "follows another term" }
                    )
                })
            }
            Some(_) => {}
            None => self.other_versions.entry(index).or_default().push((term, digest, prev_term)),
        }
    }

    /// `node`'s log now ends with entry `index` of `term`: it started or restarted from what its
    /// disk kept, or installed a snapshot in place of its log.
    pub fn log_replaced(&mut self, node: NodeId, term: u64, index: u64) {
        *slot(&mut self.last_stored, node.index() as u64) = (term, index);
    }

    /// A leader committed entry `index` (`term`, `digest`); `client` if it is a client command.
    pub fn committed(
        &mut self,
        time: SimTime,
        leader_term: u64,
        index: u64,
        term: u64,
        digest: u64,
        client: bool,
    ) {
        let c = slot(&mut self.committed, index);
        match c {
            Some((t, d, _)) if (*t, *d) != (term, digest) => {
                let t = *t;
                first(&mut self.state_machine_safety, time, || {
                    format!(
                        "entry {index} was committed as term {t}, then as term {term} (at {time})"
                    )
                })
            }
            Some((_, _, by)) if leader_term < *by => {
                *by = leader_term;
                self.held_by_later_leaders(time, index, term, leader_term);
            }
            Some(_) => {}
            None => {
                *c = Some((term, digest, leader_term));
                self.client_commits += u64::from(client);
                self.held_by_later_leaders(time, index, term, leader_term);
            }
        }
        self.first_commit.entry(leader_term).or_insert(time);
        let times = self.commit_times.entry(leader_term).or_default();
        if times.last() != Some(&time) {
            times.push(time);
        }
    }

    /// Leader Completeness for a commit seen after the election of leaders of later terms:
    /// each of them must have held entry `index` of `term`, committed in `committed_in`.
    fn held_by_later_leaders(&mut self, time: SimTime, index: u64, term: u64, committed_in: u64) {
        if self.leader_completeness.is_some() {
            return;
        }
        let later = self.elected_logs.range(committed_in + 1..);
        self.completeness_compared += later.clone().map(|(_, logs)| logs.len() as u64).sum::<u64>();
        let missing = later.clone().find_map(|(&lead, logs)| {
            logs.iter()
                .find(|l| index > l.snapshot_index && l.term_at(index) != Some(term))
                .map(|l| (lead, l))
        });
        if let Some((lead, l)) = missing {
            let message = format!(
                "n{} led term {lead} (elected at {}) without entry {index} (term {term}), committed in term {committed_in} (at {time})",
                l.node.0 + 1,
                l.time
            );
            self.leader_completeness = Some((time, message));
        }
    }

    /// The first commit by the leader of `term` at or after `t`.
    pub fn first_commit_at_or_after(&self, term: u64, t: SimTime) -> Option<SimTime> {
        let times = self.commit_times.get(&term)?;
        times.get(times.partition_point(|&x| x < t)).copied()
    }

    /// `node` applied entry `index` with content `digest`.
    pub fn applied(&mut self, time: SimTime, node: NodeId, index: u64, digest: u64) {
        let a = slot(&mut self.applied, index);
        match *a {
            Some((d, by)) if d != digest => first(&mut self.state_machine_safety, time, || {
                format!(
                    "n{} and n{} applied different commands at index {index} (at {time})",
                    by.0 + 1,
                    node.0 + 1
                )
            }),
            Some(_) => {}
            None => *a = Some((digest, node)),
        }
    }

    /// Every election seen, in order.
    pub fn elections(&self) -> &[Election] {
        &self.elections
    }

    /// When a leader of `term` first committed an entry.
    pub fn first_commit(&self, term: u64) -> Option<SimTime> {
        self.first_commit.get(&term).copied()
    }

    /// The highest term that had a leader.
    pub fn highest_term(&self) -> u64 {
        self.leaders.keys().next_back().copied().unwrap_or(0)
    }

    /// The four safety checks.
    pub fn safety_checks(&self) -> Vec<CheckResult> {
        let never = self.elections.is_empty();
        let result = |name: &str, violation: &Option<(SimTime, String)>, ok: String| match violation
        {
            Some((t, v)) => CheckResult::fail(name, v.clone()).at(t.0),
            None if never => {
                CheckResult::unknown(name, "no leader was ever elected: nothing was tested")
            }
            None => CheckResult::pass(name, ok),
        };
        let indices = self.committed.iter().filter(|c| c.is_some()).count();
        vec![
            result(
                "Election Safety",
                &self.election_safety,
                format!(
                    "{} elections, {} terms with a leader, one leader each",
                    self.elections.len(),
                    self.leaders.len()
                ),
            ),
            result(
                "Log Matching",
                &self.log_matching,
                format!(
                    "{} log indices compared across servers",
                    self.appended.len().saturating_sub(1)
                ),
            ),
            if self.leader_completeness.is_none() && !never && self.completeness_compared == 0 {
                CheckResult::not_applicable(
                    "Leader Completeness",
                    format!(
                        "{indices} entries committed, no leader elected after any of them: no new leader to hold them"
                    ),
                )
            } else {
                result(
                    "Leader Completeness",
                    &self.leader_completeness,
                    format!(
                        "{indices} entries committed; every new leader held those of earlier terms ({} checked)",
                        self.completeness_compared
                    ),
                )
            },
            result(
                "State Machine Safety",
                &self.state_machine_safety,
                format!(
                    "{} indices applied, one command each",
                    self.applied.iter().filter(|a| a.is_some()).count()
                ),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use check::outcome::CheckStatus;

    use super::*;
    use crate::message::{Command, Entry};

    fn completeness(o: &Observer) -> CheckStatus {
        let checks = o.safety_checks();
        checks.into_iter().find(|c| c.name == "Leader Completeness").expect("checked").status
    }

    #[test]
    fn leader_completeness_binds_leaders_of_later_terms_only() {
        let t = |s: u64| SimTime(s * 1_000_000_000);
        let mut o = Observer::default();
        let mut log = Log::default();
        log.push(Entry { term: 6, command: Command::Noop });
        o.elected(t(1), 6, NodeId(4), &log);
        // The leader of term 8 commits entry 2 (of term 6) ...
        o.committed(t(2), 8, 2, 6, 77, false);
        // ... and then a leader of term 7, elected on votes cast before term 8, lacks it: fine,
        // and nothing was compared.
        o.elected(t(3), 7, NodeId(0), &log);
        assert_eq!(completeness(&o), CheckStatus::NotApplicable);
        // A leader of term 9 without it breaks the property.
        o.elected(t(4), 9, NodeId(0), &log);
        assert_eq!(completeness(&o), CheckStatus::Fail);
    }

    #[test]
    fn a_commit_seen_after_a_later_leader_was_elected_is_held_against_it() {
        let t = |s: u64| SimTime(s * 1_000_000_000);
        let mut with_entry = Log::default();
        with_entry.push(Entry { term: 2, command: Command::Noop });
        with_entry.push(Entry { term: 3, command: Command::Noop });
        let mut without = Log::default();
        without.push(Entry { term: 2, command: Command::Noop });

        // A leader of term 5 that holds entry 2 (term 3): a later commit of it is fine.
        let mut o = Observer::default();
        o.elected(t(1), 5, NodeId(1), &with_entry);
        o.committed(t(2), 3, 2, 3, 77, false);
        assert_eq!(completeness(&o), CheckStatus::Pass);

        // A leader of term 5 elected without it, then the deposed leader of term 3 commits it.
        let mut o = Observer::default();
        o.elected(t(1), 5, NodeId(1), &without);
        o.committed(t(2), 3, 2, 3, 77, false);
        assert_eq!(completeness(&o), CheckStatus::Fail);
        let detail = o.safety_checks().into_iter().find(|c| c.name == "Leader Completeness");
        assert!(detail.unwrap().detail.contains("n2 led term 5"));

        // Leaders of earlier terms are not bound by it: nothing to judge.
        let mut o = Observer::default();
        o.elected(t(1), 3, NodeId(1), &without);
        o.committed(t(2), 4, 2, 3, 77, false);
        assert_eq!(completeness(&o), CheckStatus::NotApplicable);
    }

    #[test]
    fn elections_after_equal_logs_count_the_voters_logs_not_the_old_leaders() {
        let t = |ms: u64| SimTime(ms * 1_000_000);
        let log = Log::default();
        let mut o = Observer::new(3);
        o.elected(t(1), 1, NodeId(0), &log);
        for n in 0..3 {
            o.appended(t(2), NodeId(n), 1, 1, 0, 7);
        }
        // n1 (the old leader) holds entry 2 alone: the others' logs are equal.
        o.appended(t(3), NodeId(0), 2, 1, 1, 8);
        o.elected(t(4), 2, NodeId(1), &log);
        assert_eq!(o.elections_after_equal_logs, 1);
        // n3 is behind n1 and n2 now: the voters of the next election differ.
        o.appended(t(5), NodeId(0), 2, 1, 1, 8);
        o.elected(t(6), 3, NodeId(0), &log);
        assert_eq!(o.elections_after_equal_logs, 1);
    }
}
