//! Tuning: the rule's lists edited, known-good activity allowlisted, and the
//! result taken back to Sentinel or to any Sigma back end.
//!
//! One [`Config`] (a versioned JSON document, schema in the README) holds
//! everything an analyst tunes: `SuspiciousPatterns` and `SuspiciousParents`,
//! the allowlist, the time window and the mode. From it:
//!
//! * [`Config::compile`] builds the [`CompiledRule`](crate::matcher::CompiledRule)
//!   (the rule's own lists give [`CompiledRule::new`](crate::matcher::CompiledRule::new)
//!   itself, so an untuned config keeps the parity path untouched);
//! * [`Allowlist::apply`] splits the rule's rows into kept and suppressed,
//!   counting per entry — suppressed rows stay available, never dropped;
//! * [`kql`] and [`sigma`] write the tuned rule for Sentinel / Defender
//!   advanced hunting and as a Sigma `process_creation` rule.
//!
//! Everything here is `no_std` + `alloc`: the page calls the same functions.
//!
//! ```
//! use cmdhunt_core::tuning::Config;
//! let config = Config::parse(r#"{
//!   "version": 1,
//!   "allowlist": [{
//!     "id": "sccm-tasks", "reason": "SCCM client creates its maintenance task",
//!     "when": [{"field": "InitiatingProcessFileName", "match": "=~", "value": "ccmexec.exe"}]
//!   }]
//! }"#).unwrap();
//! assert!(config.compile().unwrap().is_default()); // lists untouched
//! assert_eq!(config.allowlist.entries[0].id, "sccm-tasks");
//! assert_eq!(Config::parse(&config.to_json()).unwrap(), config); // round trip
//! ```

mod allowlist;
mod config;
pub mod kql;
mod presets;
pub mod sigma;

pub use allowlist::{
    AllowEntry, Allowlist, Applied, Condition, EntryStatus, Expiry, Field, MatchKind,
};
pub use config::{AnchorSpec, Config, ConfigError, ConfigErrorKind, Mode, WindowSpec, VERSION};
pub use presets::presets;
