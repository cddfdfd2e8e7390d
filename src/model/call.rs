//! The calls the model knows, with concrete names and tokens, and an answer
//! projected to what the contract decides.

use serde::Serialize;

use crate::appflow::{Operation, TriggerType};

/// One call, as the model sees it: names and tokens as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "call")]
pub enum Invocation {
    /// CreateFlow of the fixture body; `variant` stands for the input
    /// (two calls with the same variant and name have the same input: T13).
    CreateFlow {
        /// The flow name, as sent.
        name: String,
        /// The trigger type.
        trigger: TriggerType,
        /// The clientToken, if any.
        token: Option<String>,
        /// Which input (two calls with the same variant and name send the same).
        variant: u8,
    },
    /// UpdateFlow to the fixture body of the flow's own trigger type.
    UpdateFlow {
        /// The flow name, as sent.
        name: String,
        /// The trigger type.
        trigger: TriggerType,
        /// The clientToken, if any.
        token: Option<String>,
        /// Which input (two calls with the same variant and name send the same).
        variant: u8,
    },
    /// StartFlow.
    StartFlow {
        /// The flow name, as sent.
        name: String,
        /// The clientToken, if any.
        token: Option<String>,
    },
    /// StopFlow.
    StopFlow {
        /// The flow name, as sent.
        name: String,
    },
    /// DeleteFlow.
    DeleteFlow {
        /// The flow name, as sent.
        name: String,
        /// `forceDelete`.
        force: bool,
    },
    /// DescribeFlow.
    DescribeFlow {
        /// The flow name, as sent.
        name: String,
    },
    /// ListFlows read through every page of `page` flows.
    ListFlows {
        /// `maxResults` of each page read.
        page: u8,
    },
    /// DescribeFlowExecutionRecords read through every page of `page` runs.
    Records {
        /// The flow name, as sent.
        name: String,
        /// `maxResults` of each page read.
        page: u8,
    },
    /// CancelFlowExecutions of one execution id.
    Cancel {
        /// The flow name, as sent.
        name: String,
        /// The execution id to cancel.
        execution_id: String,
    },
    /// StartFlow with its body padded with spaces to `bytes` bytes (W6:
    /// refused with nothing done, or served as any StartFlow).
    LargeStart {
        /// The flow name, as sent.
        name: String,
        /// The clientToken, if any.
        token: Option<String>,
        /// The body's size, in bytes.
        bytes: usize,
    },
    /// The account's quotas set (test-control API), each as the room left
    /// from now on: flows the sequence may add (Q1), runs this month (Q2),
    /// runs that may start before the concurrent-runs quota can bite (Q3).
    SetQuotas {
        /// Q1: flows the sequence may add.
        flows: u8,
        /// Q2: runs this month.
        runs: u8,
        /// Q3: runs that may start before it can bite.
        concurrent: u8,
    },
    /// Real time passed (a pause; no call): tokens age (T4), runs may end
    /// (they may have already: L2).
    Wait {
        /// Seconds that passed, at least.
        secs: u64,
    },
    /// The target's clock moved forward (test-control API).
    AdvanceClock {
        /// Seconds the clock moved.
        secs: u64,
    },
}

impl Invocation {
    /// The AppFlow operation, `None` for a clock move.
    pub fn operation(&self) -> Option<Operation> {
        Some(match self {
            Self::CreateFlow { .. } => Operation::CreateFlow,
            Self::UpdateFlow { .. } => Operation::UpdateFlow,
            Self::StartFlow { .. } | Self::LargeStart { .. } => Operation::StartFlow,
            Self::StopFlow { .. } => Operation::StopFlow,
            Self::DeleteFlow { .. } => Operation::DeleteFlow,
            Self::DescribeFlow { .. } => Operation::DescribeFlow,
            Self::ListFlows { .. } => Operation::ListFlows,
            Self::Records { .. } => Operation::DescribeFlowExecutionRecords,
            Self::Cancel { .. } => Operation::CancelFlowExecutions,
            Self::AdvanceClock { .. } | Self::Wait { .. } | Self::SetQuotas { .. } => return None,
        })
    }

    /// The flow name the call is about, if any.
    pub fn name(&self) -> Option<&str> {
        match self {
            Self::CreateFlow { name, .. }
            | Self::UpdateFlow { name, .. }
            | Self::StartFlow { name, .. }
            | Self::LargeStart { name, .. }
            | Self::StopFlow { name }
            | Self::DeleteFlow { name, .. }
            | Self::DescribeFlow { name }
            | Self::Records { name, .. }
            | Self::Cancel { name, .. } => Some(name),
            Self::ListFlows { .. }
            | Self::AdvanceClock { .. }
            | Self::Wait { .. }
            | Self::SetQuotas { .. } => None,
        }
    }
}

/// A listed flow, as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListedFlow {
    /// The flow name, as sent.
    pub name: String,
    /// The trigger type.
    pub trigger: Option<String>,
    /// The status as listed.
    pub status: Option<String>,
}

/// A listed run, as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListedRun {
    /// The executionId.
    pub id: String,
    /// The status as listed.
    pub status: Option<String>,
}

/// An answer projected to what the contract decides; a member the call
/// does not read stays `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Observed {
    /// The status as listed.
    pub status: u16,
    /// The error type as the SDKs read it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(rename = "flowStatus", skip_serializing_if = "Option::is_none")]
    /// `flowStatus`.
    pub flow_status: Option<String>,
    /// `executionId`, when present and not null.
    #[serde(rename = "executionId", skip_serializing_if = "Option::is_none")]
    pub execution_id: Option<String>,
    #[serde(rename = "triggerType", skip_serializing_if = "Option::is_none")]
    /// DescribeFlow: `triggerConfig.triggerType`.
    pub trigger: Option<String>,
    /// ListFlows: every listed flow over all pages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flows: Option<Vec<ListedFlow>>,
    /// Records: every listed run over all pages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runs: Option<Vec<ListedRun>>,
    /// CancelFlowExecutions: `invalidExecutions` (absent reads as empty: W8).
    #[serde(rename = "invalidExecutions", skip_serializing_if = "Option::is_none")]
    pub invalid: Option<Vec<String>>,
    /// A paged read broke paging itself (a page over its size, a loop).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paging: Option<String>,
}
