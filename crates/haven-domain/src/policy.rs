//! The one authorization policy. Every decision about who may do what goes
//! through [`authorize`], and every list applies the scope from the same
//! rules ([`user_scope`]), so a list can never show what a single read would
//! refuse. Pure: callers pass the facts in.
//!
//! So far it covers administration (organizations, staff accounts, second
//! factors, sessions). Case records join it with the case model.

use crate::ids::{OrganizationId, UserId};
use crate::people::{Role, User};

/// What an API token may be used for. A signed-in person has no such limit;
/// a token never has more than the person who made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Read organizations and staff accounts.
    AdminRead,
    /// Add and change organizations and staff accounts.
    AdminWrite,
    /// Read the cases the token's owner may read.
    CasesRead,
    /// Change the cases the token's owner may change (with `cases:read`).
    CasesWrite,
    /// Read the service directory (the HSDS API for partners).
    DirectoryRead,
    /// Read the organization's incoming referrals.
    ReferralsRead,
    /// Answer the organization's incoming referrals (with `referrals:read`).
    ReferralsWrite,
}

impl Scope {
    pub const ALL: [Scope; 7] = [
        Self::AdminRead,
        Self::AdminWrite,
        Self::CasesRead,
        Self::CasesWrite,
        Self::DirectoryRead,
        Self::ReferralsRead,
        Self::ReferralsWrite,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AdminRead => "admin:read",
            Self::AdminWrite => "admin:write",
            Self::CasesRead => "cases:read",
            Self::CasesWrite => "cases:write",
            Self::DirectoryRead => "directory:read",
            Self::ReferralsRead => "referrals:read",
            Self::ReferralsWrite => "referrals:write",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The scope `action` needs.
    #[must_use]
    pub const fn needed_for(action: Action) -> Self {
        match action {
            Action::View | Action::ViewHistory | Action::ViewGrants => Self::AdminRead,
            Action::Create | Action::ResetMfa | Action::EndSessions | Action::UpdateAccess => {
                Self::AdminWrite
            }
        }
    }
}

/// Who is asking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user: UserId,
    pub organization: OrganizationId,
    pub roles: Vec<Role>,
    /// `None` for a signed-in person; the token's scopes for an API token.
    pub scopes: Option<Vec<Scope>>,
}

impl Actor {
    #[must_use]
    pub fn of(user: &User) -> Self {
        Self {
            user: user.id,
            organization: user.organization_id,
            roles: user.roles.clone(),
            scopes: None,
        }
    }

    /// The same person acting through a token limited to `scopes`.
    #[must_use]
    pub fn with_scopes(mut self, scopes: Vec<Scope>) -> Self {
        self.scopes = Some(scopes);
        self
    }

    fn is(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// What is being acted on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    /// The directory of organizations.
    Organizations,
    /// The staff accounts of one organization.
    UsersOf(OrganizationId),
    /// One staff account.
    User {
        id: UserId,
        organization: OrganizationId,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    View,
    Create,
    /// Remove a person's second factor so they can set it up again.
    ResetMfa,
    /// End every session of an account ("sign out everywhere").
    EndSessions,
    /// See who accessed or changed a record.
    ViewHistory,
    /// Change an account's roles, or disable or enable it.
    UpdateAccess,
    /// See who in an organization holds roles that see personal data, and
    /// the grants of them: its administrators and supervisors.
    ViewGrants,
}

/// Why something was refused. Shown to nobody but logs and tests: the person
/// sees "not found", so a refusal does not reveal that a record exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DenyReason {
    NotAnAdministrator,
    OtherOrganization,
    NotYourOwn,
    /// The API token was not given the scope this needs.
    OutOfScope,
    /// Nobody changes their own roles or disables themself: another
    /// administrator must (no self-escalation, no lock-out by accident).
    OwnAccess,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny(DenyReason),
}

impl Decision {
    #[must_use]
    pub const fn is_allowed(self) -> bool {
        matches!(self, Self::Allow)
    }
}

/// The decision for `actor` doing `action` on `resource`.
#[must_use]
pub fn authorize(actor: &Actor, action: Action, resource: Resource) -> Decision {
    use Decision::{Allow, Deny};
    if let Some(scopes) = &actor.scopes
        && !scopes.contains(&Scope::needed_for(action))
    {
        return Deny(DenyReason::OutOfScope);
    }
    let admin = actor.is(Role::Administrator);
    match resource {
        // Organizations are a shared directory: every signed-in person may see
        // their names (to refer and to coordinate); only administrators add one.
        Resource::Organizations => match action {
            Action::View => Allow,
            Action::Create if admin => Allow,
            _ => Deny(DenyReason::NotAnAdministrator),
        },
        Resource::UsersOf(org)
        | Resource::User {
            organization: org, ..
        } if org != actor.organization => Deny(DenyReason::OtherOrganization),
        Resource::User { id, .. } if id == actor.user && action == Action::UpdateAccess => {
            Deny(DenyReason::OwnAccess)
        }
        Resource::UsersOf(_) if action == Action::ViewGrants && actor.is(Role::Supervisor) => Allow,
        // Anyone may end their own sessions.
        Resource::User { id, .. } if id == actor.user && action == Action::EndSessions => Allow,
        Resource::UsersOf(_) | Resource::User { .. } if admin => Allow,
        Resource::User { id, .. } if id == actor.user && action == Action::View => Allow,
        Resource::User { .. } if matches!(action, Action::View | Action::ViewHistory) => {
            Deny(DenyReason::NotYourOwn)
        }
        _ => Deny(DenyReason::NotAnAdministrator),
    }
}

/// Who keeps the lists an organization shares with everyone (the service
/// directory, hotlines, notice wording): administrators, and a token only
/// with `admin:write`.
#[must_use]
pub fn may_manage_shared_lists(actor: &Actor) -> bool {
    actor.is(Role::Administrator)
        && actor
            .scopes
            .as_ref()
            .is_none_or(|s| s.contains(&Scope::AdminWrite))
}

/// Which staff accounts a list may show `actor`: the same rule as
/// `authorize(actor, View, User { .. })`, as a filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserScope {
    /// Every account of this organization.
    Organization(OrganizationId),
    /// Only the actor's own account.
    Own(UserId),
}

#[must_use]
pub fn user_scope(actor: &Actor) -> UserScope {
    if authorize(actor, Action::View, Resource::UsersOf(actor.organization)).is_allowed() {
        UserScope::Organization(actor.organization)
    } else {
        UserScope::Own(actor.user)
    }
}

impl UserScope {
    /// Whether a user with `id` in `organization` is inside this scope.
    #[must_use]
    pub fn contains(self, id: UserId, organization: OrganizationId) -> bool {
        match self {
            Self::Organization(org) => org == organization,
            Self::Own(me) => me == id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(roles: &[Role]) -> Actor {
        Actor {
            user: UserId::new(),
            organization: OrganizationId::new(),
            roles: roles.to_vec(),
            scopes: None,
        }
    }

    #[test]
    fn tokens_never_exceed_their_scopes_or_their_owner() {
        let admin = actor(&[Role::Administrator]);
        let colleague = Resource::User {
            id: UserId::new(),
            organization: admin.organization,
        };
        let read = admin.clone().with_scopes(vec![Scope::AdminRead]);
        assert!(authorize(&read, Action::View, colleague).is_allowed());
        assert_eq!(
            authorize(&read, Action::ResetMfa, colleague),
            Decision::Deny(DenyReason::OutOfScope)
        );
        assert_eq!(
            authorize(&read, Action::Create, Resource::Organizations),
            Decision::Deny(DenyReason::OutOfScope)
        );
        let write = admin.with_scopes(vec![Scope::AdminRead, Scope::AdminWrite]);
        assert!(authorize(&write, Action::ResetMfa, colleague).is_allowed());
        // A specialist's token with every scope is still a specialist.
        let spec = actor(&[Role::VictimSpecialist]).with_scopes(Scope::ALL.to_vec());
        let other = Resource::User {
            id: UserId::new(),
            organization: spec.organization,
        };
        assert!(!authorize(&spec, Action::View, other).is_allowed());
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn administrators_manage_their_own_organization_only() {
        let admin = actor(&[Role::Administrator]);
        let colleague = Resource::User {
            id: UserId::new(),
            organization: admin.organization,
        };
        let stranger = Resource::User {
            id: UserId::new(),
            organization: OrganizationId::new(),
        };
        for action in [
            Action::View,
            Action::Create,
            Action::ResetMfa,
            Action::EndSessions,
        ] {
            assert_eq!(
                authorize(&admin, action, colleague),
                Decision::Allow,
                "{action:?}"
            );
            assert_eq!(
                authorize(&admin, action, stranger),
                Decision::Deny(DenyReason::OtherOrganization),
                "{action:?}"
            );
        }
        assert!(authorize(&admin, Action::Create, Resource::Organizations).is_allowed());
        assert!(authorize(&admin, Action::UpdateAccess, colleague).is_allowed());
        let own = Resource::User {
            id: admin.user,
            organization: admin.organization,
        };
        assert_eq!(
            authorize(&admin, Action::UpdateAccess, own),
            Decision::Deny(DenyReason::OwnAccess)
        );
    }

    #[test]
    fn everyone_else_sees_only_themselves_and_can_end_their_own_sessions() {
        for role in Role::ALL.into_iter().filter(|r| *r != Role::Administrator) {
            let a = actor(&[role]);
            let me = Resource::User {
                id: a.user,
                organization: a.organization,
            };
            let colleague = Resource::User {
                id: UserId::new(),
                organization: a.organization,
            };
            assert!(authorize(&a, Action::View, me).is_allowed(), "{role:?}");
            assert!(
                authorize(&a, Action::EndSessions, me).is_allowed(),
                "{role:?}"
            );
            assert!(
                !authorize(&a, Action::ResetMfa, me).is_allowed(),
                "{role:?}: no self-service reset"
            );
            for action in [
                Action::View,
                Action::Create,
                Action::ResetMfa,
                Action::EndSessions,
            ] {
                assert!(
                    !authorize(&a, action, colleague).is_allowed(),
                    "{role:?} {action:?}"
                );
            }
            assert!(!authorize(&a, Action::Create, Resource::Organizations).is_allowed());
            assert!(authorize(&a, Action::View, Resource::Organizations).is_allowed());
            assert_eq!(user_scope(&a), UserScope::Own(a.user));
        }
    }

    #[test]
    fn the_list_scope_agrees_with_single_decisions() {
        // Every combination of roles (2^8), against users in and out of the
        // actor's organization: a user is in the list scope exactly when
        // viewing them is allowed.
        for mask in 0u16..(1 << Role::ALL.len()) {
            let roles: Vec<Role> = Role::ALL
                .into_iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, r)| r)
                .collect();
            let a = actor(&roles);
            let scope = user_scope(&a);
            let others = [
                (a.user, a.organization),
                (UserId::new(), a.organization),
                (UserId::new(), OrganizationId::new()),
            ];
            for (id, org) in others {
                let single = authorize(
                    &a,
                    Action::View,
                    Resource::User {
                        id,
                        organization: org,
                    },
                )
                .is_allowed();
                assert_eq!(scope.contains(id, org), single, "{roles:?}");
            }
        }
    }
}
