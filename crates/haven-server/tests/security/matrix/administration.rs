//! Administration: users, roles, second factors, sessions, organizations,
//! hotlines and notice templates, through the API and the admin pages.

use super::*;

row!(api_create_user, ["admin"], |m, p| Attempt::Api(
    "POST",
    "/api/v1/users".into(),
    Some(serde_json::json!({
        "name": "New Person",
        "login": format!("new.{p}@ngo.test"),
        "password": "a long enough passphrase",
        "roles": ["victim_specialist"],
    }))
));

row!(api_change_roles, ["admin"], |m, p| Attempt::Api(
    "PATCH",
    format!("/api/v1/users/{}", m.analyst.id),
    Some(serde_json::json!({"roles": ["analyst", "supervisor"]}))
));

row!(api_reset_second_factor, ["admin"], |m, p| Attempt::Api(
    "POST",
    format!("/api/v1/users/{}/mfa-reset", m.analyst.id),
    None
));

row!(api_create_organization, ["admin"], |m, p| Attempt::Api(
    "POST",
    "/api/v1/organizations".into(),
    Some(serde_json::json!({"name": format!("Org of {p}"), "kind": "ngo"}))
));

row!(page_change_roles, ["admin"], |m, p| Attempt::Page(
    format!("/admin/users/{}/access", m.analyst.id),
    vec![
        ("roles".into(), "analyst".into()),
        ("roles".into(), "supervisor".into())
    ]
));

row!(api_add_hotline, ["admin"], |m, p| Attempt::Api(
    "POST",
    "/api/v1/hotlines".into(),
    Some(serde_json::json!({
        "position": 1,
        "name_en": format!("Line of {p}"),
        "name_es": format!("Línea de {p}"),
        "phone": "+1 888 373 7888",
        "text_number": "",
        "description_en": "Day and night",
        "description_es": "Día y noche",
    }))
));

row!(page_create_user, ["admin"], |m, p| Attempt::Page(
    "/admin/users".into(),
    pairs(&[
        ("name", "New Person"),
        ("login", &format!("page.{p}@ngo.test")),
        ("password", "a long enough passphrase"),
        ("roles", "victim_specialist"),
    ])
));

row!(page_reset_second_factor, ["admin"], |m, p| Attempt::Page(
    format!("/admin/users/{}/reset-mfa", m.analyst.id),
    Vec::new()
));

row!(page_end_sessions, ["admin"], |m, p| {
    let target =
        m.w.app
            .person(
                m.w.ngo,
                &format!("target.{}@ngo.test", uuid::Uuid::new_v4().simple()),
                &[Role::Analyst],
            )
            .await;
    Attempt::Page(
        format!("/admin/users/{}/end-sessions", target.id),
        Vec::new(),
    )
});

row!(api_end_sessions, ["admin"], |m, p| {
    let target =
        m.w.app
            .person(
                m.w.ngo,
                &format!("target.{}@ngo.test", uuid::Uuid::new_v4().simple()),
                &[Role::Analyst],
            )
            .await;
    Attempt::Api(
        "DELETE",
        format!("/api/v1/users/{}/sessions", target.id),
        None,
    )
});

row!(page_create_organization, ["admin"], |m, p| Attempt::Page(
    "/admin/organizations".into(),
    pairs(&[("name", &format!("Org of {p} by page")), ("kind", "ngo")])
));

row!(page_add_hotline, ["admin"], |m, p| Attempt::Page(
    "/hotlines".into(),
    pairs(&[
        ("position", "5"),
        ("name_en", &format!("Line of {p}")),
        ("name_es", &format!("Línea de {p}")),
        ("phone", "+1 888 373 7888"),
        ("description_en", "Day and night"),
        ("description_es", "Día y noche"),
    ])
));

row!(api_notice_template, ["admin"], |m, p| Attempt::Api(
    "PUT",
    "/api/v1/notice-templates/en-US/notice-call_specialist".into(),
    Some(serde_json::json!({"body": "Please call us back when it is safe."}))
));
