//! Typed ids: a `UserId` can never be passed where an `OrganizationId` is meant.
//!
//! Ids are UUID v7 (time-ordered, so b-tree inserts stay local) and are never
//! derived from personal data.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            #[must_use]
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            #[must_use]
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }
            #[must_use]
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

typed_id!(
    /// An organization: a law-enforcement agency, an NGO or a service provider.
    OrganizationId
);
typed_id!(
    /// A staff user of Haven (never a victim).
    UserId
);
typed_id!(
    /// A signed-in session. Not the session token: the token is secret and
    /// only its hash is stored.
    SessionId
);

typed_id!(
    /// An API token (its id, never the secret token itself).
    ApiTokenId
);
typed_id!(
    /// A victim's case.
    CaseId
);
typed_id!(
    /// A person a case is about (a victim).
    PersonId
);
typed_id!(
    /// A release of information (consent).
    ConsentId
);

typed_id!(
    /// An entry on a case: a timeline event, note, need, plan item, task,
    /// rights notice or screening.
    EntryId
);
typed_id!(
    /// A file attached to a case.
    AttachmentId
);
typed_id!(
    /// An intake form saved as a draft.
    DraftId
);
typed_id!(
    /// An emergency assistance fund.
    FundId
);
typed_id!(
    /// A request for money from an emergency fund.
    FundRequestId
);
typed_id!(
    /// A law-enforcement declaration (I-914 B) or certification (I-918 B).
    DocumentId
);
typed_id!(
    /// An outbox message, and the staff notification it becomes.
    MessageId
);
typed_id!(
    /// A directory service (the HSDS service id, kept as published).
    ServiceId
);
typed_id!(
    /// A referral of a need to a directory service.
    ReferralId
);
typed_id!(
    /// An entry of the hotline and resource directory.
    HotlineId
);

typed_id!(
    /// A forensic interview (request, schedule and record).
    InterviewId
);

typed_id!(
    /// A recording or document of a forensic interview.
    InterviewFileId
);

typed_id!(
    /// A message to a person outside Haven (e-mail or SMS).
    DeliveryId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text() {
        let id = UserId::new();
        let parsed: UserId = id.to_string().parse().unwrap();
        assert_eq!(id, parsed);
    }

    #[test]
    fn ids_are_time_ordered() {
        let a = OrganizationId::new();
        let b = OrganizationId::new();
        assert!(a < b, "v7 ids created later sort later");
    }

    #[test]
    fn bad_text_is_not_an_id() {
        assert!("not-an-id".parse::<UserId>().is_err());
    }
}
