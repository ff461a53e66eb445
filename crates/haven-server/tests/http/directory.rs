//! The service directory and HSDS.

use crate::support::*;
use axum::http::StatusCode;
use haven_domain::Role;
use haven_store::testing::TestDb;

async fn the_directory_imports_searches_and_serves_hsds_to_partners(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
    let org = app_org(&app).await;
    let (_, admin_cookie) =
        person(&app, org, "dir-admin@example.test", &[Role::Administrator]).await;
    let admin = make_token(&app, &admin_cookie, &["admin:read", "admin:write"]).await;
    let (_, spec) = worker(
        &app,
        org,
        "dir-spec@example.test",
        &[Role::VictimSpecialist],
    )
    .await;

    // Import over the API: a full service record, then a bad one.
    let full: serde_json::Value = serde_json::from_str(include_str!(
        "../../../../data/hsds/spec-3.0/examples/service_full.json"
    ))
    .unwrap();
    let (s, r) = call(&app, "POST", "/api/v1/directory/import", &admin, full).await;
    assert_eq!(s, StatusCode::OK, "{}: {r}", app.db.name);
    assert_eq!(
        (
            r["services"].as_i64(),
            r["rejected"].as_array().map(Vec::len)
        ),
        (Some(1), Some(0)),
        "{r}"
    );
    let bad = serde_json::json!([{"id": "x", "name": "Nameless", "status": "open"}]);
    let (s, r) = call(&app, "POST", "/api/v1/directory/import", &admin, bad).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r["services"], 0);
    let reason = r["rejected"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("id: \"x\" is not a UUID") && reason.contains("status"),
        "{reason}"
    );
    let (s, _) = call(
        &app,
        "POST",
        "/api/v1/directory/import",
        &spec,
        serde_json::json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "only administrators import");
    seed_shelter(&app, None).await;

    // Case workers search: place, language and need; a confidential
    // place's distance is approximate.
    let (s, r) = call(
        &app,
        "GET",
        "/api/v1/directory/search?near=10001&radius=25&language=es&need=housing",
        &spec,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let hits = r["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 1, "{}: {r}", app.db.name);
    assert_eq!(hits[0]["id"], HAVEN_SHELTER);
    assert_eq!(hits[0]["distance_approximate"], true);
    assert_eq!(
        hits[0]["referable"], false,
        "not linked to a Haven organization yet"
    );
    assert_eq!(hits[0]["capacity_available"], 4);
    let (s, r) = call(
        &app,
        "GET",
        "/api/v1/directory/search?near=19107&radius=10&need=housing",
        &spec,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(
        (s, r["total"].as_i64()),
        (StatusCode::OK, Some(0)),
        "Philadelphia is too far"
    );
    let (s, r) = call(
        &app,
        "GET",
        "/api/v1/directory/search?near=00000",
        &spec,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r["message"].as_str().unwrap().contains("ZIP"));
    let (s, r) = call(
        &app,
        "GET",
        "/api/v1/directory/search?q=COUNSELLING",
        &spec,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        r["hits"][0]["name"], "Community Counselling",
        "words ignore case"
    );

    // Partners read HSDS with a directory:read token; nothing else does.
    let (_, partner_cookie) = person(&app, org, "dir-partner@example.test", &[Role::Analyst]).await;
    let partner = make_token(&app, &partner_cookie, &["directory:read"]).await;
    let admin_read = make_token(&app, &admin_cookie, &["admin:read"]).await;
    let (s, root) = call(&app, "GET", "/hsds/", &partner, serde_json::Value::Null).await;
    assert_eq!((s, root["version"].as_str()), (StatusCode::OK, Some("3.0")));
    let (s, _) = call(
        &app,
        "GET",
        "/hsds/services",
        &admin_read,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let res = send(&app, api("GET", "/hsds/services", None, None)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (s, page) = call(
        &app,
        "GET",
        "/hsds/services?per_page=1&page=2",
        &partner,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (
            page["total_items"].as_i64(),
            page["total_pages"].as_i64(),
            page["size"].as_i64()
        ),
        (Some(2), Some(2), Some(1)),
        "{page}"
    );
    assert_eq!(
        (page["first_page"].as_bool(), page["last_page"].as_bool()),
        (Some(false), Some(true))
    );
    let (s, one) = call(
        &app,
        "GET",
        &format!("/hsds/services/{HAVEN_SHELTER}"),
        &partner,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let text = one.to_string();
    assert!(
        !text.contains("1 Test Street") && !text.contains("40.75"),
        "a shelter's address never leaves its organization: {text}"
    );
    assert!(
        text.contains("haven:confidential_location") && text.contains("haven:need:housing"),
        "Haven's attributes are exported"
    );
    let (_, near) = call(
        &app,
        "GET",
        "/hsds/service_at_locations?postcode=10001&proximity=5000",
        &partner,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(
        near["contents"][0]["service"]["id"], HAVEN_SHELTER,
        "{near}"
    );
    assert!(near["contents"][0]["location"]["addresses"].is_null());
    // A service at two places: only the place within the proximity is listed.
    let two = serde_json::json!([{
        "id": "7d1c1a6e-0000-4000-8000-000000000001", "name": "Two-site legal clinic", "description": "Legal help.",
        "locations": [
            {"id": "7d1c1a6e-0000-4000-8000-000000000002", "location_type": "physical", "name": "Manhattan site", "latitude": 40.7506, "longitude": -73.9972},
            {"id": "7d1c1a6e-0000-4000-8000-000000000003", "location_type": "physical", "name": "Los Angeles site", "latitude": 34.0614, "longitude": -118.2385}
        ],
        "services": [{"id": "7d1c1a6e-0000-4000-8000-000000000004", "name": "Two-site legal help", "status": "active",
            "service_at_locations": [
                {"id": "7d1c1a6e-0000-4000-8000-000000000005", "location_id": "7d1c1a6e-0000-4000-8000-000000000002"},
                {"id": "7d1c1a6e-0000-4000-8000-000000000006", "location_id": "7d1c1a6e-0000-4000-8000-000000000003"}]}]
    }]);
    let (s, r) = call(&app, "POST", "/api/v1/directory/import", &admin, two).await;
    assert_eq!(
        (s, r["services"].as_i64()),
        (StatusCode::OK, Some(1)),
        "{r}"
    );
    let (_, near) = call(
        &app,
        "GET",
        "/hsds/service_at_locations?postcode=10001&proximity=5000&search=two",
        &partner,
        serde_json::Value::Null,
    )
    .await;
    let names: Vec<&str> = near["contents"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["location"]["name"].as_str())
        .collect();
    assert_eq!(names, ["Manhattan site"], "{}: {near}", app.db.name);
    let (_, far) = call(
        &app,
        "GET",
        "/hsds/service_at_locations?postcode=19107&proximity=1000",
        &partner,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(far["total_items"], 0);
    let housing = haven_domain::directory::attributes::term_id("haven:need:housing");
    let (_, by_term) = call(
        &app,
        "GET",
        &format!("/hsds/services?taxonomy_term_id={housing}"),
        &partner,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(by_term["total_items"], 1);
    assert_eq!(by_term["contents"][0]["id"], HAVEN_SHELTER);
    let (s, _) = call(
        &app,
        "GET",
        &format!("/hsds/services?taxonomy_term_id={}", uuid::Uuid::now_v7()),
        &partner,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, terms) = call(
        &app,
        "GET",
        "/hsds/taxonomy_terms",
        &partner,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(terms["total_items"], 18 + 6 + 2);
    let (_, orgs) = call(
        &app,
        "GET",
        "/hsds/organizations",
        &partner,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(orgs["total_items"], 3);
    let (_, shelter_org) = call(
        &app,
        "GET",
        &format!("/hsds/organizations/{HAVEN_SHELTER_ORG}"),
        &partner,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(shelter_org["services"][0]["id"], HAVEN_SHELTER);

    // The shelter's own staff see its address; nobody else does.
    let shelter = new_org(&app, "Shelter Org", haven_domain::OrgKind::ServiceProvider).await;
    seed_shelter(&app, Some(shelter)).await;
    let (_, staff_cookie) = person(
        &app,
        shelter,
        "dir-staff@example.test",
        &[Role::ProviderStaff],
    )
    .await;
    let res = send(
        &app,
        get(
            &format!("/api/v1/directory/services/{HAVEN_SHELTER}"),
            Some(&staff_cookie),
        ),
    )
    .await;
    assert!(text_contains(res, "1 Test Street").await, "{}", app.db.name);
    let (_, theirs) = call(
        &app,
        "GET",
        &format!("/api/v1/directory/services/{HAVEN_SHELTER}"),
        &spec,
        serde_json::Value::Null,
    )
    .await;
    assert!(!theirs.to_string().contains("1 Test Street"));
    // Capacity: the shelter's staff update it; a specialist cannot.
    let csrf = csrf_of(&app, &staff_cookie).await;
    let res = send(
        &app,
        post_form(
            &format!("/directory/services/{HAVEN_SHELTER}/capacity"),
            &format!("csrf={csrf}&available=0&maximum=12&unit=beds"),
            Some(&staff_cookie),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, r) = call(
        &app,
        "GET",
        "/api/v1/directory/search?capacity=1&need=housing",
        &spec,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(r["total"], 0, "no beds now");
    let (s, _) = call(
        &app,
        "PUT",
        &format!("/api/v1/directory/services/{HAVEN_SHELTER}/capacity"),
        &spec,
        serde_json::json!({"available": 9}),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
on_both!(the_directory_imports_searches_and_serves_hsds_to_partners);

/// A county 211's datapackage, uploaded as the zip it is published as:
/// imported with only its wrong rows rejected; a service's page shows every
/// number it has (its own, at each place, the place's); its publisher's
/// taxonomy finds it by need.
async fn a_published_211_zip_imports_and_its_services_show_every_phone(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
    let org = app_org(&app).await;
    let (_, admin_cookie) =
        person(&app, org, "zip-admin@example.test", &[Role::Administrator]).await;
    let admin = make_token(&app, &admin_cookie, &["admin:read", "admin:write"]).await;
    let (_, spec) = worker(
        &app,
        org,
        "zip-spec@example.test",
        &[Role::VictimSpecialist],
    )
    .await;
    let spec_cookie = person_cookie(&app, "zip-spec@example.test").await;
    let zip = include_bytes!("../../../haven-domain/tests/fixtures/hsds1-county.zip");
    // Only administrators import: anyone else is refused before the zip is
    // unpacked, with the same answer as a missing page.
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/api/v1/directory/import")
        .header(axum::http::header::AUTHORIZATION, format!("Bearer {spec}"))
        .header(axum::http::header::CONTENT_TYPE, "application/zip")
        .body(axum::body::Body::from(zip.to_vec()))
        .unwrap();
    assert_eq!(send(&app, req).await.status(), StatusCode::NOT_FOUND);
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/api/v1/directory/import")
        .header(axum::http::header::AUTHORIZATION, format!("Bearer {admin}"))
        .header(axum::http::header::CONTENT_TYPE, "application/zip")
        .body(axum::body::Body::from(zip.to_vec()))
        .unwrap();
    let res = send(&app, req).await;
    assert_eq!(res.status(), StatusCode::OK);
    let r = json(res).await;
    assert_eq!(
        (
            r["organizations"].as_i64(),
            r["locations"].as_i64(),
            r["services"].as_i64()
        ),
        (Some(25), Some(35), Some(42)),
        "{}: {r}",
        app.db.name
    );
    assert_eq!(r["rejected"].as_array().map(Vec::len), Some(3), "{r}");
    // Found by words, and by the need its AIRS code maps to.
    let (s, r) = call(
        &app,
        "GET",
        "/api/v1/directory/search?q=rental",
        &spec,
        serde_json::Value::Null,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let rent = r["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == "Emergency Rental Assistance")
        .unwrap_or_else(|| panic!("{r}"))
        .clone();
    let (_, r) = call(
        &app,
        "GET",
        "/api/v1/directory/search?need=food_clothing",
        &spec,
        serde_json::Value::Null,
    )
    .await;
    assert!(
        r["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["name"] == "Emergency Food Pantry"),
        "{r}"
    );
    // Its own number, and each place's numbers for it.
    let page = text(
        send(
            &app,
            get(
                &format!("/directory/services/{}", rent["id"].as_str().unwrap()),
                Some(&spec_cookie),
            ),
        )
        .await,
    )
    .await;
    for number in ["(954) 555-0123", "(954) 555-0124", "(954) 555-0125"] {
        assert!(page.contains(number), "{}: {number} missing", app.db.name);
    }
    // Encoding damage is repaired for reading, and found by search.
    let (_, r) = call(
        &app,
        "GET",
        "/api/v1/directory/search?q=computer",
        &spec,
        serde_json::Value::Null,
    )
    .await;
    let job = r["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == "Job Search Assistance")
        .unwrap_or_else(|| panic!("{r}"))
        .clone();
    let page = text(
        send(
            &app,
            get(
                &format!("/directory/services/{}", job["id"].as_str().unwrap()),
                Some(&spec_cookie),
            ),
        )
        .await,
    )
    .await;
    assert!(page.contains("Don’t have a computer?"), "{}", app.db.name);
    assert!(!page.contains("GÇÖ"), "{}: damaged text shown", app.db.name);
}
on_both!(a_published_211_zip_imports_and_its_services_show_every_phone);
