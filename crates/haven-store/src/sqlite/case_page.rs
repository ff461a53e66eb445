//! A case page's rows. Reads here cost no round trip, so they stay the
//! separate reads they are.

use super::SqliteStore;
use crate::{
    CaseLists, CasePageQuery, CasePageStore, CaseRecordStore, DirectoryStore, FundStore,
    InterviewStore, PeopleStore, StoreResult,
};
use async_trait::async_trait;

#[async_trait]
impl CasePageStore for SqliteStore {
    async fn case_lists(&self, q: CasePageQuery<'_>) -> StoreResult<CaseLists> {
        let (entries, timeline_total) = self.case_entries(q.case, q.timeline).await?;
        let mut lists = CaseLists {
            entries,
            timeline_total,
            attachments: self.attachments(q.case).await?,
            fund_requests: self.fund_requests_for_case(q.case).await?,
            funds: self.funds(q.viewer_organization).await?,
            referrals: self.referrals_for_case(q.case).await?,
            deliveries: self.deliveries_for_case(q.case, q.deliveries).await?,
            interviews: self.interviews_for_case(q.case).await?,
            names: Default::default(),
        };
        lists.names = self.display_names(&lists.named_people(q.people)).await?;
        Ok(lists)
    }
}
