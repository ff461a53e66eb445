//! A case page's small lists. Reads here cost no round trip, so they stay
//! the separate reads they are.

use super::SqliteStore;
use crate::{
    CaseLists, CasePageStore, CaseRecordStore, DirectoryStore, FundStore, InterviewStore,
    StoreResult,
};
use async_trait::async_trait;
use haven_domain::{CaseId, OrganizationId};

#[async_trait]
impl CasePageStore for SqliteStore {
    async fn case_lists(
        &self,
        case: CaseId,
        viewer_organization: OrganizationId,
        deliveries: u32,
    ) -> StoreResult<CaseLists> {
        Ok(CaseLists {
            attachments: self.attachments(case).await?,
            fund_requests: self.fund_requests_for_case(case).await?,
            funds: self.funds(viewer_organization).await?,
            referrals: self.referrals_for_case(case).await?,
            deliveries: self.deliveries_for_case(case, deliveries).await?,
            interviews: self.interviews_for_case(case).await?,
        })
    }
}
