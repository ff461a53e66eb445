use super::EncryptedColumn;

/// Rotation walks `ALL`: a column missing from it would keep old keys
/// alive forever. The exhaustive match makes a new variant fail here.
#[test]
fn every_encrypted_column_is_in_all_once() {
    for c in EncryptedColumn::ALL {
        match c {
            EncryptedColumn::MfaSecret
            | EncryptedColumn::PersonName
            | EncryptedColumn::PersonBirthDate
            | EncryptedColumn::EmergencyReason
            | EncryptedColumn::PersonProfile
            | EncryptedColumn::CaseProfile
            | EncryptedColumn::EntryBody
            | EncryptedColumn::AttachmentName
            | EncryptedColumn::AttachmentContent
            | EncryptedColumn::IntakeDraft
            | EncryptedColumn::FundRequestDescription
            | EncryptedColumn::FundDecisionNote
            | EncryptedColumn::ReliefFacts
            | EncryptedColumn::DocumentContent
            | EncryptedColumn::DocumentWithdrawalReason
            | EncryptedColumn::DirectoryLocationPrivate
            | EncryptedColumn::ReferralNote
            | EncryptedColumn::ReferralPersonal
            | EncryptedColumn::ReferralEventNote
            | EncryptedColumn::InterviewRequest
            | EncryptedColumn::InterviewSchedule
            | EncryptedColumn::InterviewSummary
            | EncryptedColumn::InterviewFileName
            | EncryptedColumn::InterviewFileChunk
            | EncryptedColumn::CustodyDetail
            | EncryptedColumn::DeliveryDestination
            | EncryptedColumn::DeliverySubject
            | EncryptedColumn::DeliveryBody
            | EncryptedColumn::ConsentPurpose => {}
        }
    }
    let mut bindings: Vec<_> = EncryptedColumn::ALL.iter().map(|c| c.binding()).collect();
    bindings.sort_unstable();
    bindings.dedup();
    assert_eq!(bindings.len(), EncryptedColumn::ALL.len());
}
