//! The AppFlow operations a scenario can call, with their restJson1 routes.

use std::fmt;

/// An AppFlow operation the harness knows (W1): each is `POST /<kebab-name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Operation {
    /// `POST /start-flow`: runs an on-demand flow (L2) or activates a
    /// scheduled/event one (L3).
    StartFlow,
    /// `POST /stop-flow`: deactivates a scheduled/event flow (L5); 400 on an
    /// on-demand one (L4).
    StopFlow,
    /// `POST /create-flow`: makes a flow (L1); idempotent by `clientToken`
    /// (T13).
    CreateFlow,
    /// `POST /describe-flow`: a flow's configuration, status and last run (a
    /// read).
    DescribeFlow,
    /// `POST /delete-flow`: removes a flow and answers `{}` (L6, T14).
    DeleteFlow,
    /// `POST /list-flows`: the live flows, paged (S4; a read).
    ListFlows,
    /// `POST /update-flow`: changes a flow; idempotent by `clientToken` (T13).
    UpdateFlow,
    /// `POST /describe-flow-execution-records`: a flow's runs, newest first,
    /// paged (S2; a read).
    DescribeFlowExecutionRecords,
    /// `POST /cancel-flow-executions`: cancels running executions (S3).
    CancelFlowExecutions,
}

impl Operation {
    /// Every operation of W1's route list, in that order.
    pub const ALL: [Operation; 9] = [
        Self::StartFlow,
        Self::StopFlow,
        Self::CreateFlow,
        Self::DescribeFlow,
        Self::DeleteFlow,
        Self::ListFlows,
        Self::UpdateFlow,
        Self::DescribeFlowExecutionRecords,
        Self::CancelFlowExecutions,
    ];

    /// Its name in the service model, e.g. `StartFlow`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::StartFlow => "StartFlow",
            Self::StopFlow => "StopFlow",
            Self::CreateFlow => "CreateFlow",
            Self::DescribeFlow => "DescribeFlow",
            Self::DeleteFlow => "DeleteFlow",
            Self::ListFlows => "ListFlows",
            Self::UpdateFlow => "UpdateFlow",
            Self::DescribeFlowExecutionRecords => "DescribeFlowExecutionRecords",
            Self::CancelFlowExecutions => "CancelFlowExecutions",
        }
    }

    /// Its restJson1 route, e.g. `/start-flow`.
    pub const fn path(self) -> &'static str {
        match self {
            Self::StartFlow => "/start-flow",
            Self::StopFlow => "/stop-flow",
            Self::CreateFlow => "/create-flow",
            Self::DescribeFlow => "/describe-flow",
            Self::DeleteFlow => "/delete-flow",
            Self::ListFlows => "/list-flows",
            Self::UpdateFlow => "/update-flow",
            Self::DescribeFlowExecutionRecords => "/describe-flow-execution-records",
            Self::CancelFlowExecutions => "/cancel-flow-executions",
        }
    }

    /// The list member a paginated read answers (S2, S4): `flows` for
    /// ListFlows, `flowExecutions` for DescribeFlowExecutionRecords; `None`
    /// for operations that are not paged. The one place the harness names it.
    pub const fn list_member(self) -> Option<&'static str> {
        match self {
            Self::ListFlows => Some("flows"),
            Self::DescribeFlowExecutionRecords => Some("flowExecutions"),
            _ => None,
        }
    }

    /// The operation whose model name is exactly `name` (`StartFlow`, not
    /// `startFlow`), or `None`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.name() == name)
    }

    /// Reads change nothing, so repeating one (polling) is harmless.
    pub const fn is_read(self) -> bool {
        matches!(
            self,
            Self::DescribeFlow | Self::ListFlows | Self::DescribeFlowExecutionRecords
        )
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_is_a_post_to_the_route_the_service_model_gives() {
        let model = crate::appflow::model_json();
        for op in Operation::ALL {
            let http = &model["operations"][op.name()]["http"];
            assert_eq!(http["method"], "POST", "{op}");
            assert_eq!(http["requestUri"], op.path(), "{op}");
            assert_eq!(Operation::from_name(op.name()), Some(op));
        }
        assert_eq!(Operation::from_name("startFlow"), None);
    }
}
