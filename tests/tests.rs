//! Integration tests, one module per area.

mod support;

mod aws_edges;
mod catalogue_faults;
mod client_seams;
mod compare;
mod compare_flags;
mod compare_signals;
mod contract_room;
mod emulator_contract;
mod emulator_edges;
mod emulator_robustness;
mod emulator_sdk;
mod explore;
mod fuzz;
mod hostile_endpoints;
mod house;
mod load;
mod newcomer;
mod record;
mod runner_faulty;
mod runner_groups;
mod scenario_invalid;
mod scenarios;
mod verdicts;
