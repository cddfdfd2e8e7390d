//! What `--baseline` and `--target` of `compare` say: `embedded` (with
//! profile flags: `embedded:active-start=idempotent,stopped-status=draft`),
//! an http(s) URL, or `aws`.

use super::TargetChoice;
use crate::emulator::Config;
use crate::emulator::config::ConfigPatch;

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
    let mut patch = serde_json::Map::new();
    for pair in flags.split(',').filter(|p| !p.is_empty()) {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| format!("`{pair}` is not FLAG=VALUE"))?;
        let mut camel = String::new();
        let mut up = false;
        for c in k.trim().chars() {
            match (c, up) {
                ('-', _) => up = true,
                (c, true) => {
                    camel.push(c.to_ascii_uppercase());
                    up = false;
                }
                (c, false) => camel.push(c),
            }
        }
        let value = v
            .trim()
            .parse::<u64>()
            .map_or_else(|_| serde_json::json!(v.trim()), |n| serde_json::json!(n));
        patch.insert(camel, value);
    }
    let patch: ConfigPatch = serde_json::from_value(serde_json::Value::Object(patch))
        .map_err(|e| format!("`{spec}`: {e} (flags are serve's: active-start, stopped-status, event-initial-status, in-progress-start, max-flows, ...)"))?;
    let mut config = Config::default();
    patch.apply(&mut config);
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
    }
}
