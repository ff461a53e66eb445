//! Organizations, staff users and their roles.

use crate::ids::{OrganizationId, UserId};
use serde::{Deserialize, Serialize};
use std::fmt;
use time::OffsetDateTime;

/// What kind of organization a user works for. It shapes what they may see
/// (law enforcement never sees advocate-confidential records without consent).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    LawEnforcement,
    Ngo,
    ServiceProvider,
}

impl OrgKind {
    pub const ALL: [OrgKind; 3] = [Self::LawEnforcement, Self::Ngo, Self::ServiceProvider];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::LawEnforcement => "law_enforcement",
            Self::Ngo => "ngo",
            Self::ServiceProvider => "service_provider",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A role a user holds. A user may hold several (a certifying official is
/// often also an agent or a supervisor).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Administrator,
    Supervisor,
    VictimSpecialist,
    LawEnforcementAgent,
    CertifyingOfficial,
    ForensicInterviewer,
    ProviderStaff,
    Analyst,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Self::Administrator,
        Self::Supervisor,
        Self::VictimSpecialist,
        Self::LawEnforcementAgent,
        Self::CertifyingOfficial,
        Self::ForensicInterviewer,
        Self::ProviderStaff,
        Self::Analyst,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Administrator => "administrator",
            Self::Supervisor => "supervisor",
            Self::VictimSpecialist => "victim_specialist",
            Self::LawEnforcementAgent => "law_enforcement_agent",
            Self::CertifyingOfficial => "certifying_official",
            Self::ForensicInterviewer => "forensic_interviewer",
            Self::ProviderStaff => "provider_staff",
            Self::Analyst => "analyst",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How far a session has got through sign-in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SessionStage {
    /// Every required factor is done.
    Full,
    /// The password was right; a TOTP or recovery code is still needed.
    Mfa,
    /// The password was right, but this user must set up a second factor first.
    Enrol,
}

impl SessionStage {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Mfa => "mfa",
            Self::Enrol => "enrol",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Full, Self::Mfa, Self::Enrol]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

impl Role {
    /// Whether this role can see personal data of victims or staff. Every
    /// such role must sign in with a second factor; analysts see only
    /// de-identified statistics.
    #[must_use]
    pub const fn sees_personal_data(self) -> bool {
        !matches!(self, Self::Analyst)
    }
}

/// A sign-in name: trimmed, lower-cased, 3 to 254 characters, no whitespace
/// or control characters. Lower-casing makes look-ups case-insensitive on
/// both databases without relying on collations.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LoginName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginNameError {
    #[error("a sign-in name must be 3 to 254 characters")]
    Length,
    #[error("a sign-in name cannot contain spaces or control characters")]
    Characters,
}

impl LoginName {
    /// Parses user input into a sign-in name.
    ///
    /// # Errors
    /// When the name is too short, too long or contains whitespace.
    pub fn parse(raw: &str) -> Result<Self, LoginNameError> {
        let s = raw.trim().to_lowercase();
        if !(3..=254).contains(&s.chars().count()) {
            return Err(LoginNameError::Length);
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(LoginNameError::Characters);
        }
        Ok(Self(s))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for LoginName {
    type Error = LoginNameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<LoginName> for String {
    fn from(value: LoginName) -> Self {
        value.0
    }
}

// A login name may be an e-mail address; keep it out of debug output and logs.
impl fmt::Debug for LoginName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LoginName(<redacted>)")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Organization {
    pub id: OrganizationId,
    pub name: String,
    pub kind: OrgKind,
    pub created_at: OffsetDateTime,
}

/// A staff user. The password hash is an Argon2id PHC string; it never leaves
/// the server and is redacted from debug output.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub organization_id: OrganizationId,
    pub login: LoginName,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: OffsetDateTime,
}

impl User {
    #[must_use]
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// A second factor is required when any role sees personal data.
    #[must_use]
    pub fn requires_mfa(&self) -> bool {
        self.roles.iter().any(|r| r.sees_personal_data())
    }
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("organization_id", &self.organization_id)
            .field("roles", &self.roles)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("superuser"), None);
    }

    #[test]
    fn every_org_kind_round_trips() {
        for k in OrgKind::ALL {
            assert_eq!(OrgKind::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn login_names_are_normalized() {
        let n = LoginName::parse("  Maria@Example.ORG ").unwrap();
        assert_eq!(n.as_str(), "maria@example.org");
    }

    #[test]
    fn bad_login_names_are_refused() {
        assert_eq!(LoginName::parse("ab"), Err(LoginNameError::Length));
        assert_eq!(LoginName::parse("a b c"), Err(LoginNameError::Characters));
        assert_eq!(
            LoginName::parse(&"x".repeat(255)),
            Err(LoginNameError::Length)
        );
    }

    #[test]
    fn debug_output_hides_login_and_hash() {
        let u = User {
            id: UserId::new(),
            organization_id: OrganizationId::new(),
            login: LoginName::parse("secret.person@example.org").unwrap(),
            display_name: "Secret Person".into(),
            roles: vec![Role::Analyst],
            password_hash: "$argon2id$v=19$...".into(),
            disabled: false,
            created_at: OffsetDateTime::UNIX_EPOCH,
        };
        let s = format!("{u:?} {:?}", u.login);
        assert!(!s.contains("secret.person"));
        assert!(!s.contains("argon2"));
        assert!(!s.contains("Secret Person"));
    }
}
