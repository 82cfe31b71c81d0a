//! Sequential models: what a correct single copy of the object would answer.
//!
//! [`CasRegister`] is Jepsen's and Porcupine's compare-and-set register: it starts empty
//! (`nil`); a read returns the value; a write sets it; `cas [A B]` succeeds (and sets B) only
//! when the value is A, and fails only when it is not. [`StringKv`] is Porcupine's key-value
//! model for one key: a string, initially empty; get returns it, put replaces it, append
//! concatenates. An output of `None` means the operation's result is unknown (it timed out):
//! any result is acceptable, and the operation may or may not have taken effect.

use std::fmt::Debug;
use std::hash::Hash;

/// A sequential specification.
pub trait Model {
    /// The object's state.
    type State: Clone + Eq + Hash + Debug;
    /// An operation's input.
    type Input: Clone + Debug + PartialEq;
    /// An operation's output.
    type Output: Clone + Debug;

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// True when `input` never changes the state (a read). An operation that cannot change
    /// the state and whose answer is unknown constrains nothing, and the checker drops it.
    fn is_read_only(&self, _input: &Self::Input) -> bool {
        false
    }

    /// Applies `input` to `state`: the next state if `output` is a legal answer (`None`: the
    /// answer is unknown, so any is), or `None` if it is not.
    fn step(
        &self,
        state: &Self::State,
        input: &Self::Input,
        output: Option<&Self::Output>,
    ) -> Option<Self::State>;
}

/// Inputs of the compare-and-set register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegisterInput {
    /// Read the value.
    Read,
    /// Set the value.
    Write(i64),
    /// Set `new` if the value is `expected`.
    Cas {
        /// The value compared against.
        expected: i64,
        /// The value written on success.
        new: i64,
    },
}

/// Outputs of the compare-and-set register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegisterOutput {
    /// A read's result (`None`: nothing written yet).
    Read(Option<i64>),
    /// A write completed.
    Written,
    /// A cas found its expected value and swapped.
    Swapped,
    /// A cas found another value and did nothing.
    CasFailed,
}

/// Jepsen's compare-and-set register.
#[derive(Clone, Copy, Debug, Default)]
pub struct CasRegister;

impl Model for CasRegister {
    type State = Option<i64>;
    type Input = RegisterInput;
    type Output = RegisterOutput;

    fn init(&self) -> Option<i64> {
        None
    }

    fn is_read_only(&self, input: &RegisterInput) -> bool {
        matches!(input, RegisterInput::Read)
    }

    fn step(
        &self,
        state: &Option<i64>,
        input: &RegisterInput,
        output: Option<&RegisterOutput>,
    ) -> Option<Option<i64>> {
        use RegisterInput as I;
        use RegisterOutput as O;
        match (input, output) {
            (I::Read, None) => Some(*state),
            (I::Read, Some(O::Read(v))) => (v == state).then_some(*state),
            (I::Write(v), None | Some(O::Written)) => Some(Some(*v)),
            (I::Cas { expected, new }, None) => {
                // Unknown: it swapped if it could (linearized last, it has no visible effect).
                Some(if *state == Some(*expected) { Some(*new) } else { *state })
            }
            (I::Cas { expected, new }, Some(O::Swapped)) => {
                (*state == Some(*expected)).then_some(Some(*new))
            }
            (I::Cas { expected, .. }, Some(O::CasFailed)) => {
                (*state != Some(*expected)).then_some(*state)
            }
            _ => None,
        }
    }
}

/// Inputs of the string key-value model (one key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvInput {
    /// Read the string.
    Get,
    /// Replace it.
    Put(String),
    /// Append to it.
    Append(String),
}

/// Outputs of the string key-value model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvOutput {
    /// What a get read (`""` when absent).
    Value(String),
    /// A put or append completed.
    Done,
}

/// Porcupine's key-value model, one key at a time.
#[derive(Clone, Copy, Debug, Default)]
pub struct StringKv;

impl Model for StringKv {
    type State = String;
    type Input = KvInput;
    type Output = KvOutput;

    fn init(&self) -> String {
        String::new()
    }

    fn is_read_only(&self, input: &KvInput) -> bool {
        matches!(input, KvInput::Get)
    }

    fn step(&self, state: &String, input: &KvInput, output: Option<&KvOutput>) -> Option<String> {
        match (input, output) {
            (KvInput::Get, None) => Some(state.clone()),
            (KvInput::Get, Some(KvOutput::Value(v))) => (v == state).then(|| state.clone()),
            (KvInput::Put(v), None | Some(KvOutput::Done)) => Some(v.clone()),
            (KvInput::Append(v), None | Some(KvOutput::Done)) => Some(format!("{state}{v}")),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_rules() {
        let m = CasRegister;
        let cas = RegisterInput::Cas { expected: 1, new: 2 };
        assert_eq!(m.step(&Some(1), &cas, Some(&RegisterOutput::Swapped)), Some(Some(2)));
        assert_eq!(m.step(&Some(3), &cas, Some(&RegisterOutput::Swapped)), None);
        assert_eq!(m.step(&Some(3), &cas, Some(&RegisterOutput::CasFailed)), Some(Some(3)));
        assert_eq!(m.step(&Some(1), &cas, Some(&RegisterOutput::CasFailed)), None);
        assert_eq!(
            m.step(&None, &RegisterInput::Read, Some(&RegisterOutput::Read(None))),
            Some(None)
        );
        assert_eq!(m.step(&None, &RegisterInput::Read, Some(&RegisterOutput::Read(Some(0)))), None);
        assert_eq!(m.step(&Some(5), &RegisterInput::Read, None), Some(Some(5)));
    }

    #[test]
    fn kv_rules() {
        let m = StringKv;
        let s = m.step(&"ab".into(), &KvInput::Append("c".into()), None).unwrap();
        assert_eq!(s, "abc");
        assert!(m.step(&s, &KvInput::Get, Some(&KvOutput::Value("ab".into()))).is_none());
    }
}
