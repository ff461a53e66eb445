//! The case record: entries, cooperation, stage, team, files, relief facts,
//! certifications, notices, breaking glass and new cases, through the API and
//! the case's pages.

use super::*;

row!(
    api_add_entry,
    ["owner", "ngo_supervisor", "agent"],
    |m, p| Attempt::Api(
        "POST",
        format!("/api/v1/cases/{}/entries", m.case()),
        Some(
            serde_json::json!({"kind": "note", "compartment": "shared", "text": "Met at the clinic"})
        )
    )
);

row!(
    api_add_advocate_note,
    ["owner", "ngo_supervisor"],
    |m, p| Attempt::Api(
        "POST",
        format!("/api/v1/cases/{}/entries", m.case()),
        Some(
            serde_json::json!({"kind": "note", "compartment": "advocate", "text": "Confidential"})
        )
    )
);

row!(
    page_add_entry,
    ["owner", "ngo_supervisor", "agent"],
    |m, p| Attempt::Page(
        format!("/cases/{}/entries", m.case()),
        vec![
            ("kind".into(), "note".into()),
            ("compartment".into(), "shared".into()),
            ("text".into(), "Met at the clinic".into()),
        ]
    )
);

row!(
    api_update_entry,
    ["owner", "ngo_supervisor", "agent"],
    |m, p| {
        let b = m
        .setup(
            "POST",
            &format!("/api/v1/cases/{}/entries", m.case()),
            serde_json::json!({"kind": "task", "compartment": "shared", "text": "Call the clinic"}),
        )
        .await;
        Attempt::Api(
            "PATCH",
            format!(
                "/api/v1/cases/{}/entries/{}",
                m.case(),
                b["id"].as_str().unwrap()
            ),
            Some(serde_json::json!({"status": "done"})),
        )
    }
);

row!(
    api_set_cooperation,
    ["owner", "ngo_supervisor", "agent"],
    |m, p| Attempt::Api(
        "PUT",
        format!("/api/v1/cases/{}/cooperation", m.case()),
        Some(serde_json::json!({"cooperation": "considering"}))
    )
);

row!(
    api_change_stage,
    ["owner", "ngo_supervisor", "agent"],
    |m, p| Attempt::Api(
        "POST",
        format!("/api/v1/cases/{}/stage", m.fresh_case().await),
        Some(serde_json::json!({"stage": "stabilizing"}))
    )
);

row!(api_change_team, ["owner", "ngo_supervisor"], |m, p| {
    Attempt::Api(
        "POST",
        format!("/api/v1/cases/{}/team", m.fresh_case().await),
        Some(
            serde_json::json!({"user_id": m.w.colleague.id.to_string(), "role": "owner_specialist"}),
        ),
    )
});

row!(
    api_attach_file,
    ["owner", "ngo_supervisor", "agent"],
    |m, p| Attempt::Raw(
        "POST",
        format!("/api/v1/cases/{}/attachments?name=letter.txt", m.case()),
        "text/plain",
        b"A letter from the clinic.".to_vec()
    )
);

row!(
    api_relief_facts,
    ["owner", "ngo_supervisor", "agent"],
    |m, p| Attempt::Api(
        "PUT",
        format!("/api/v1/cases/{}/relief/facts", m.case()),
        Some(
            serde_json::json!({"format": "haven.relief-facts/1", "person": {"in_united_states": true}})
        )
    )
);

row!(api_draft_certification, ["agent"], |m, p| Attempt::Api(
    "POST",
    format!("/api/v1/cases/{}/documents", m.case()),
    Some(serde_json::json!({"kind": "i918b"}))
));

row!(
    page_break_glass,
    ["ngo_supervisor", "agency_supervisor"],
    |m, p| Attempt::Page(
        format!("/cases/{}/emergency", m.case()),
        vec![(
            "reason".into(),
            "Victim in danger tonight; owner unreachable".into()
        )]
    )
);

row!(
    api_open_case,
    [
        "owner",
        "ngo_supervisor",
        "colleague",
        "agent",
        "agency_supervisor",
        "recipient",
        "other_specialist"
    ],
    |m, p| Attempt::Api(
        "POST",
        "/api/v1/cases".into(),
        Some(
            serde_json::json!({"name": format!("Person for {p}"), "birth_date": "1991-05-05", "confirm_duplicate": true})
        )
    )
);

row!(
    page_change_stage,
    ["owner", "ngo_supervisor", "agent"],
    |m, p| Attempt::Page(
        format!("/cases/{}/stage", m.fresh_case().await),
        pairs(&[("stage", "stabilizing")])
    )
);

row!(
    page_set_cooperation,
    ["owner", "ngo_supervisor", "agent"],
    |m, p| Attempt::Page(
        format!("/cases/{}/cooperation", m.case()),
        pairs(&[("cooperation", "considering")])
    )
);

row!(page_change_team, ["owner", "ngo_supervisor"], |m, p| {
    let colleague = m.w.colleague.id.to_string();
    Attempt::Page(
        format!("/cases/{}/team", m.fresh_case().await),
        pairs(&[
            ("op", "add"),
            ("user", &colleague),
            ("role", "owner_specialist"),
        ]),
    )
});

row!(
    page_update_entry,
    ["owner", "ngo_supervisor", "agent"],
    |m, p| {
        let b = m
        .setup(
            "POST",
            &format!("/api/v1/cases/{}/entries", m.case()),
            serde_json::json!({"kind": "task", "compartment": "shared", "text": "Call the clinic"}),
        )
        .await;
        let entry = b["id"].as_str().unwrap().to_owned();
        Attempt::Page(
            format!("/cases/{}/entries/update", m.case()),
            pairs(&[("entry", &entry), ("status", "done")]),
        )
    }
);

row!(page_draft_certification, ["agent"], |m, p| Attempt::Page(
    format!("/cases/{}/documents", m.case()),
    pairs(&[("kind", "i918b")])
));

row!(
    api_notify_victim,
    ["owner", "ngo_supervisor", "agent"],
    |m, p| Attempt::Api(
        "POST",
        format!("/api/v1/cases/{}/notices", m.reachable_case().await),
        Some(serde_json::json!({"event": "call_specialist"}))
    )
);

row!(api_opt_out, ["owner", "ngo_supervisor", "agent"], |m, p| {
    Attempt::Api(
        "PUT",
        format!("/api/v1/cases/{}/opt-outs/sms", m.reachable_case().await),
        None,
    )
});

/// A U certification the agent drafted on the world's case.
async fn drafted(m: &MatrixWorld) -> String {
    let t =
        m.w.app
            .token(&m.w.agent, &["cases:read", "cases:write"])
            .await;
    let (s, b) =
        m.w.app
            .api(
                &t,
                "POST",
                &format!("/api/v1/cases/{}/documents", m.case()),
                Some(serde_json::json!({"kind": "i918b"})),
            )
            .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_str().unwrap().to_owned()
}

// The agency's certifying official edits the draft they are to sign.
row!(api_edit_certification, ["agent", "certifier"], |m, p| {
    let doc = drafted(m).await;
    let t = m.w.app.token(&m.w.agent, &["cases:read"]).await;
    let (_, current) =
        m.w.app
            .api(&t, "GET", &format!("/api/v1/documents/{doc}"), None)
            .await;
    let mut content = current["content"].clone();
    content["description"] = "Held without pay for months".into();
    Attempt::Api("PUT", format!("/api/v1/documents/{doc}"), Some(content))
});
