//! `explore`: resolves the target, plays generated sequences against it,
//! prints the report (and writes the JSON and JUnit ones), saves the shrunk failing
//! sequence as a scenario file.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::{CommandError, Console, Outcome};
use crate::endpoint::Target;
use crate::endpoint::{self, Environment, TargetOptions};
use crate::explore::report::Replays;
use crate::explore::{Budget, Exploration, Player, explore, scenario_file};
use crate::runner::{self, Status};

/// `explore`'s options.
#[derive(Debug, Clone)]
pub struct ExploreOptions {
    /// The target, resolved as `check` resolves it.
    pub target: TargetOptions,
    /// How many sequences, how long, which seed.
    pub budget: Budget,
    /// How long a read may lack a new run (L2).
    pub poll: Duration,
    /// The folder the shrunk scenario file goes to.
    pub save: Option<PathBuf>,
    /// Where the JSON report goes.
    pub json: Option<PathBuf>,
    /// Where the JUnit XML report goes.
    pub junit: Option<PathBuf>,
    /// Print the plan and its price; send nothing.
    pub dry_run: bool,
    /// Rule ids of known deviations (`--tolerate`).
    pub tolerate: Vec<String>,
}

/// Runs `explore`; the summary is returned to tests through [`run_summary`].
pub async fn run(
    options: ExploreOptions,
    env: &Environment,
    console: &mut Console<'_>,
) -> Result<Outcome, CommandError> {
    run_summary(options, env, console)
        .await
        .map(|s| s.map_or(Outcome::Passed, |s| Outcome::from_passed(s.passed())))
}

/// Runs `explore` and answers its summary (`None` for a dry run).
pub async fn run_summary(
    options: ExploreOptions,
    env: &Environment,
    console: &mut Console<'_>,
) -> Result<Option<Exploration>, CommandError> {
    let redactor = env.redactor();
    let b = &options.budget;
    if options.dry_run {
        // Nothing is sent, so nothing is signed: no credentials needed.
        let target = super::check_plan::DryTarget::of(options.target, env).await?;
        // Each sequence creates up to 3 flows; a step is one call, a burst
        // up to 3, a paged read a few; runs come from StartFlow on on-demand flows.
        let calls = b.steps as u64 * 3 + 6;
        let runs = b.steps as u64 * 3 / 2;
        let per = format!(
            "up to 3 flows created and deleted, about {calls} calls and up to {runs} flow runs a sequence (AppFlow charges per flow run: about ${:.3} a sequence at $0.001 a run, plus data processing)",
            runs as f64 * 0.001
        );
        let _ = match b.case_limit() {
            Some(cases) => writeln!(
                console.out,
                "explore would play up to {cases} sequences of up to {} steps, for at most {}s, against {}: {per}; in all up to {} flows, about {} calls, up to {} flow runs (about ${:.2})",
                b.steps,
                b.time.as_secs(),
                target.url,
                u64::from(cases) * 3,
                u64::from(cases) * calls,
                u64::from(cases) * runs,
                (u64::from(cases) * runs) as f64 * 0.001
            ),
            None => writeln!(
                console.out,
                "explore would play as many sequences of up to {} steps as {}s buys (no --cases bound) against {}: {per}; pass --cases to bound the price",
                b.steps,
                b.time.as_secs(),
                target.url,
            ),
        };
        if options.save.is_some() {
            let _ = writeln!(
                console.out,
                "a finding saved with --save is then replayed {SAVED_REPLAYS} times by check against the same target (the file's flows and runs, {SAVED_REPLAYS} times over)"
            );
        }
        return Ok(None);
    }
    let target = Arc::new(endpoint::resolve(options.target, env).await?);
    target.probe().await?;
    let name = target.endpoint.base_url().to_owned();
    let cases = b.case_limit().map_or_else(
        || "as many sequences as the time buys".to_owned(),
        |c| format!("up to {c} sequences"),
    );
    console.note(format_args!(
        "exploring {name} ({}) with seed {}: {cases} of up to {} steps, for {}s",
        target.kind.as_str(),
        b.seed,
        b.steps,
        b.time.as_secs()
    ));
    let player = Player {
        endpoint: target.endpoint.clone(),
        fixtures: target.fixtures.clone(),
        control: target.abilities.control,
        event_source: target.abilities.event_source,
        poll: options.poll,
        // Made from the budget by `explore`.
        pauses: std::sync::Arc::default(),
        tolerate: options.tolerate.clone(),
    };
    let mut summary = explore(player, options.budget.clone()).await;
    if let (Some(f), Some(dir)) = (&mut summary.finding, &options.save) {
        let text = scenario_file::write(
            &f.sequence,
            &target.fixtures,
            &scenario_file::FoundBy {
                seed: summary.seed,
                target: &format!("{} ({})", name, target.kind.as_str()),
                original_steps: f.original_steps,
                poll: options.poll,
            },
        )
        .map_err(|e| CommandError::Internal(e.to_string()))?;
        std::fs::create_dir_all(dir).map_err(CommandError::io(format!(
            "failed to create {}",
            dir.display()
        )))?;
        let path = dir.join(format!(
            "explore_{}_{}.yaml",
            summary.seed, f.sequence.names
        ));
        std::fs::write(&path, redactor.clean(&text)).map_err(CommandError::io(format!(
            "failed to write {}",
            path.display()
        )))?;
        f.replays = Some(replay_saved(&path, &target, &redactor).await?);
        f.file = Some(path);
    }
    crate::report::explore::render(&summary, &name, console.out)
        .map_err(CommandError::io("failed to print the report"))?;
    console.note_pacing(target.endpoint.pace());
    if let Some(path) = &options.json {
        super::write_file(path, "JSON", &redactor, |w| {
            crate::report::explore::write_json(&summary, &name, w)
        })?;
    }
    if let Some(path) = &options.junit {
        super::write_file(path, "JUnit", &redactor, |w| {
            crate::report::explore_junit::render(&summary, &name, w)
        })?;
    }
    Ok(Some(summary))
}

/// How many times a saved file is played again by `check` after it is
/// written ([`replay_saved`]).
pub const SAVED_REPLAYS: u32 = 2;

/// Plays the saved file at `path` [`SAVED_REPLAYS`] times against the
/// target where it was found, as `check FILE` would, and counts how each
/// ended: a file that does not fail where the finding failed is said so,
/// never taken on trust. A file that does not read is an internal error.
async fn replay_saved(
    path: &Path,
    target: &Arc<Target>,
    redactor: &crate::redact::Redactor,
) -> Result<Replays, CommandError> {
    let scenarios = crate::scenario::load(&[path.to_path_buf()]).map_err(|e| {
        let errors: Vec<String> = e.iter().map(ToString::to_string).collect();
        CommandError::Internal(format!(
            "the saved file {} does not read: {}",
            path.display(),
            errors.join("; ")
        ))
    })?;
    let failing = scenarios.first().and_then(|s| {
        s.steps
            .iter()
            .position(|step| {
                step.name
                    .ends_with(crate::explore::file_expect::FAILING_STEP)
            })
            .map(|i| i + 1)
    });
    let mut replays = Replays::default();
    for _ in 0..SAVED_REPLAYS {
        let options = runner::Options {
            profile: target.profile.clone(),
            redactor: Arc::new(redactor.clone()),
            ..runner::Options::new(
                &crate::names::run_id(8),
                &crate::appflow::today(SystemTime::now()),
            )
        };
        let summary = runner::run(scenarios.clone(), target.clone(), options, |_| {}).await;
        let Some(result) = summary.scenarios.first() else {
            replays.undecided += 1;
            continue;
        };
        let at_failing = result
            .failures
            .iter()
            .any(|f| f.step.is_some() && f.step == failing);
        match result.status {
            Status::Failed if at_failing => replays.reproduced += 1,
            Status::Failed => replays.failed_elsewhere += 1,
            Status::Passed => replays.passed += 1,
            _ => replays.undecided += 1,
        }
    }
    Ok(replays)
}
