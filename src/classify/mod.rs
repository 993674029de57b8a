//! Classify: compiled topic rules, item text → the topics it is about and why. Pure: no IO.
//!
//! Text and rule terms are folded to one script-free form ([`fold`]) and every rule phrase is
//! found in one Aho-Corasick pass ([`matcher`]).

pub mod fold;
pub mod matcher;
