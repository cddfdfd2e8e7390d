//! Integration tests, one module per area.

mod support;

mod emulator_contract;
mod emulator_robustness;
mod emulator_sdk;
mod runner_faulty;
mod scenario_invalid;
mod scenarios;
