//! What the conformance tests share: an audit entry, an organization, a user.

use haven_domain::{
    AuditAction, AuditEntry, LoginName, OrgKind, Organization, OrganizationId, Role, User, UserId,
};

pub fn audit() -> AuditEntry {
    AuditEntry::new(AuditAction::UserCreated)
}

pub fn org(name: &str, kind: OrgKind) -> Organization {
    Organization {
        id: OrganizationId::new(),
        name: name.into(),
        kind,
        created_at: haven_domain::now(),
    }
}

pub fn user(org: OrganizationId, login: &str, roles: &[Role]) -> User {
    User {
        id: UserId::new(),
        organization_id: org,
        login: LoginName::parse(login).unwrap(),
        display_name: "Test User".into(),
        roles: roles.to_vec(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into(),
        disabled: false,
        created_at: haven_domain::now(),
    }
}
