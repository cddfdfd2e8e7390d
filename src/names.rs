//! The one home of the names the harness gives what it creates on a
//! target: the prefixes of its flows (which `cleanup` recognises), run ids,
//! and the shapes of flow names and tokens. Pure: no I/O.

/// The prefix of every flow a scenario run (`check`, `compare`, `doctor`,
/// `explore`) creates under a harness name.
pub const CHECK_PREFIX: &str = "ah-";

/// The prefix of every flow and token `load` creates.
pub const LOAD_PREFIX: &str = "ld-";

/// Every prefix the harness names flows with, in the order `cleanup` lists them.
pub const HARNESS_PREFIXES: [&str; 2] = [CHECK_PREFIX, LOAD_PREFIX];

/// A fresh run id: `len` lowercase hex characters (1..=32) of a random
/// UUID v4, unique enough to keep concurrent runs' names apart.
pub fn run_id(len: usize) -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    hex[..len.clamp(1, hex.len())].to_owned()
}

/// The flow a scenario's alias becomes in run `run_id`:
/// `ah-<run id>-<scenario index, 3 digits><again>-<alias>`, where `again`
/// tells a scenario played again apart (empty on the first play).
pub fn scenario_flow(run_id: &str, index: usize, again: &str, alias: &str) -> String {
    format!("{CHECK_PREFIX}{run_id}-{index:03}{again}-{alias}")
}

/// A fresh clientToken for a scenario's `{{token.x}}`: `ah-<uuid>` (39
/// printable ASCII characters, within V2's 1..256).
pub fn scenario_token() -> String {
    format!("{CHECK_PREFIX}{}", uuid::Uuid::new_v4())
}

/// The fixture flow `doctor` creates and deletes: `ah-doctor-<8 hex>`.
pub fn doctor_flow() -> String {
    format!("{CHECK_PREFIX}doctor-{}", run_id(8))
}

/// `load`'s `i`-th flow of `kind` (`od` on-demand, `sc` scheduled) in run
/// `run_id`: `ld-<run id>-<kind>-<i>`.
pub fn load_flow(run_id: &str, kind: &str, i: usize) -> String {
    format!("{LOAD_PREFIX}{run_id}-{kind}-{i}")
}

/// `load`'s `n`-th fresh token in run `run_id`: `ld-<run id>-<n>`; the
/// verdict names witnesses with the same shape.
pub fn load_token(run_id: &str, n: u64) -> String {
    format!("{LOAD_PREFIX}{run_id}-{n}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_harness_name_carries_a_prefix_cleanup_recognises() {
        let id = run_id(8);
        assert_eq!(id.len(), 8);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        for name in [
            scenario_flow(&id, 7, "", "a"),
            scenario_token(),
            doctor_flow(),
            load_flow(&id, "od", 3),
            load_token(&id, 42),
        ] {
            assert!(
                HARNESS_PREFIXES.iter().any(|p| name.starts_with(p)),
                "{name} starts with a harness prefix"
            );
        }
        assert_eq!(scenario_flow("ab", 7, "", "x"), "ah-ab-007-x");
        assert_eq!(scenario_flow("ab", 7, "r1", "x"), "ah-ab-007r1-x");
        assert_eq!(load_token("w1-ab", 5), "ld-w1-ab-5");
        assert_ne!(run_id(8), run_id(8), "run ids are fresh");
    }
}
