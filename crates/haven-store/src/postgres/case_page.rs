//! A case page's small lists on one connection.

use super::PgStore;
use super::directory::referrals_for_case_on;
use super::funds::{fund_requests_for_case_on, funds_on};
use super::interview::{deliveries_for_case_on, interviews_for_case_on};
use super::record::attachments_on;
use crate::{CaseLists, CasePageStore, StoreResult};
use async_trait::async_trait;
use haven_domain::{CaseId, OrganizationId};

#[async_trait]
impl CasePageStore for PgStore {
    async fn case_lists(
        &self,
        case: CaseId,
        viewer_organization: OrganizationId,
        deliveries: u32,
    ) -> StoreResult<CaseLists> {
        let mut conn = self.pool().acquire().await?;
        Ok(CaseLists {
            attachments: attachments_on(&mut conn, case).await?,
            fund_requests: fund_requests_for_case_on(&mut conn, case).await?,
            funds: funds_on(&mut conn, viewer_organization).await?,
            referrals: referrals_for_case_on(&mut conn, case).await?,
            deliveries: deliveries_for_case_on(&mut conn, case, deliveries).await?,
            interviews: interviews_for_case_on(&mut conn, case).await?,
        })
    }
}
