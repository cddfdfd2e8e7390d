//! What `--baseline` and `--target` of `compare` say: `embedded` (with
//! profile flags: `embedded:active-start=idempotent,stopped-status=draft`),
//! an http(s) URL, or `aws`.

use super::TargetChoice;
use crate::emulator::Config;
use crate::emulator::flags::EmulatorArgs;

/// The target a spec names, and the embedded emulator's configuration.
pub fn parse_spec(spec: &str) -> Result<(TargetChoice, Config), String> {
    let Some(rest) = spec.strip_prefix("embedded") else {
        let choice: TargetChoice = spec.parse()?;
        return Ok((choice, Config::default()));
    };
    let flags = match rest {
        "" => return Ok((TargetChoice::Embedded, Config::default())),
        r => r.strip_prefix(':').ok_or_else(|| {
            format!("`{spec}`: write embedded flags as embedded:active-start=idempotent,stopped-status=draft")
        })?,
    };
    let args = EmulatorArgs::from_spec(flags).map_err(|e| {
        format!("`{spec}`: {e} (the flags are serve's, without `--`: active-start=idempotent,token-ttl-secs=5)")
    })?;
    let config = args.config();
    Ok((TargetChoice::Embedded, config))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::config::{ActiveStart, StoppedStatus};

    #[test]
    fn embedded_specs_carry_profile_flags() {
        let (choice, config) =
            parse_spec("embedded:active-start=idempotent,stopped-status=draft,max-flows=5")
                .expect("spec");
        assert_eq!(choice, TargetChoice::Embedded);
        assert_eq!(config.profile.active_start, ActiveStart::Idempotent);
        assert_eq!(config.profile.stopped_status, StoppedStatus::Draft);
        assert_eq!(config.max_flows, 5);
        assert!(parse_spec("embedded:active-start=sometimes").is_err());
        assert!(parse_spec("embedded:colour=blue").is_err());
        assert_eq!(parse_spec("aws").expect("aws").0, TargetChoice::Aws);
        assert!(parse_spec("localhost:4566").is_err());
        let (_, c) =
            parse_spec("embedded:token-ttl-secs=5,run-time-ms=10").expect("every serve flag");
        assert_eq!((c.token_ttl_ms, c.run_time_ms), (5_000, 10));
        let e = parse_spec("embedded:token-ttl=5").expect_err("unknown flag");
        assert!(e.contains("--token-ttl"), "clap names the flag: {e}");
    }
}
