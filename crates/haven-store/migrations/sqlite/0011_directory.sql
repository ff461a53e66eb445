-- The service directory (Open Referral HSDS 3.0), closed-loop referrals and
-- the hotline directory.
--
-- Directory records are stored as the HSDS JSON they were published as
-- (`record`), split into organizations, locations and services so that a
-- re-import updates each by id. Search reads plain columns derived from the
-- record on every write: bit sets of need categories, populations and
-- funding, language codes, ages, capacity, opening hours, and folded text
-- in an FTS5 index (rowid = the service's rowid).
--
-- A confidential location (a shelter) keeps its public record without
-- addresses or coordinates; the full record is encrypted in
-- `private_record` and shown only to its own organization. Its search
-- coordinates are its ZIP code's centroid, never the address.

CREATE TABLE directory_organizations (
    id            BLOB PRIMARY KEY NOT NULL,
    name          TEXT NOT NULL,
    record        TEXT NOT NULL,
    haven_org_id  BLOB REFERENCES organizations (id),
    updated_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX directory_organizations_name ON directory_organizations (name);
CREATE INDEX directory_organizations_haven ON directory_organizations (haven_org_id);

CREATE TABLE directory_locations (
    id               BLOB PRIMARY KEY NOT NULL,
    organization_id  BLOB REFERENCES directory_organizations (id),
    confidential     INTEGER NOT NULL CHECK (confidential IN (0, 1)),
    latitude         REAL,
    longitude        REAL,
    record           TEXT NOT NULL,
    private_record   BLOB,
    updated_at       INTEGER NOT NULL,
    CHECK (confidential = 0 OR private_record IS NOT NULL)
) STRICT;
CREATE INDEX directory_locations_org ON directory_locations (organization_id);

CREATE TABLE directory_services (
    id                  BLOB PRIMARY KEY NOT NULL,
    organization_id     BLOB REFERENCES directory_organizations (id),
    name                TEXT NOT NULL,
    status              TEXT NOT NULL,
    needs               INTEGER NOT NULL,
    populations         INTEGER NOT NULL,
    funding             INTEGER NOT NULL,
    -- ' en es ': each code between spaces.
    languages           TEXT NOT NULL,
    minimum_age         INTEGER,
    maximum_age         INTEGER,
    capacity_available  INTEGER,
    hours               TEXT NOT NULL,
    record              TEXT NOT NULL,
    updated_at          INTEGER NOT NULL
) STRICT;
CREATE INDEX directory_services_org ON directory_services (organization_id);
CREATE INDEX directory_services_name ON directory_services (name, id);

-- Where each service is offered (HSDS service_at_location), with the
-- location's search coordinates copied for the radius search.
CREATE TABLE directory_service_locations (
    id           BLOB PRIMARY KEY NOT NULL,
    service_id   BLOB NOT NULL REFERENCES directory_services (id) ON DELETE CASCADE,
    location_id  BLOB NOT NULL REFERENCES directory_locations (id),
    latitude     REAL,
    longitude    REAL
) STRICT;
CREATE INDEX directory_service_locations_geo ON directory_service_locations (latitude, longitude, service_id);
CREATE INDEX directory_service_locations_service ON directory_service_locations (service_id);
CREATE INDEX directory_service_locations_location ON directory_service_locations (location_id);

CREATE VIRTUAL TABLE directory_search USING fts5 (
    name, body, tokenize = 'unicode61 remove_diacritics 2'
);

-- A need on a case's service plan sent to a directory service. The
-- receiving organization is the Haven organization linked to the service's
-- directory organization. Personal data travels only in `personal`
-- (encrypted) and only when `consent_id` names a release to the receiving
-- organization; every read checks it is still in force.
CREATE TABLE referrals (
    id              BLOB PRIMARY KEY NOT NULL,
    case_id         BLOB NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    plan_item_id    BLOB NOT NULL REFERENCES case_entries (id),
    need            TEXT NOT NULL,
    service_id      BLOB NOT NULL REFERENCES directory_services (id),
    from_org        BLOB NOT NULL REFERENCES organizations (id),
    to_org          BLOB NOT NULL REFERENCES organizations (id),
    sent_by         BLOB NOT NULL REFERENCES users (id),
    sent_at         INTEGER NOT NULL,
    urgency         TEXT NOT NULL,
    age_range       TEXT NOT NULL,
    languages       TEXT NOT NULL,
    note            BLOB,
    consent_id      BLOB REFERENCES consents (id),
    personal        BLOB,
    status          TEXT NOT NULL CHECK (status IN ('sent', 'accepted', 'declined', 'contacted',
                                                    'services_started', 'completed', 'unable_to_contact',
                                                    'withdrawn')),
    decline_reason  TEXT,
    answered_at     INTEGER,
    answered_by     BLOB REFERENCES users (id),
    updated_at      INTEGER NOT NULL,
    reminded_at     INTEGER,
    CHECK ((personal IS NULL) OR (consent_id IS NOT NULL)),
    CHECK ((status = 'declined') = (decline_reason IS NOT NULL))
) STRICT;
CREATE INDEX referrals_to_org ON referrals (to_org, sent_at);
CREATE INDEX referrals_case ON referrals (case_id, sent_at);
CREATE INDEX referrals_unanswered ON referrals (sent_at) WHERE status = 'sent' AND reminded_at IS NULL;

-- Every change of a referral: who, when, to what, and an (encrypted) note.
CREATE TABLE referral_events (
    id           BLOB PRIMARY KEY NOT NULL,
    referral_id  BLOB NOT NULL REFERENCES referrals (id) ON DELETE CASCADE,
    at           INTEGER NOT NULL,
    by_user      BLOB NOT NULL REFERENCES users (id),
    status       TEXT NOT NULL,
    note         BLOB
) STRICT;
CREATE INDEX referral_events_referral ON referral_events (referral_id, at);

-- The numbers victims and workers need, shown on every case page and
-- printable for a victim. Administrators edit it.
CREATE TABLE hotlines (
    id              BLOB PRIMARY KEY NOT NULL,
    position        INTEGER NOT NULL,
    name_en         TEXT NOT NULL,
    name_es         TEXT NOT NULL,
    phone           TEXT NOT NULL,
    text_number     TEXT NOT NULL DEFAULT '',
    description_en  TEXT NOT NULL DEFAULT '',
    description_es  TEXT NOT NULL DEFAULT '',
    updated_at      INTEGER NOT NULL
) STRICT;

INSERT INTO hotlines (id, position, name_en, name_es, phone, text_number, description_en, description_es, updated_at) VALUES
 (X'0193a0000000700080000000000000a1', 1, 'Emergency', 'Emergencias', '911', '',
  'Immediate danger: police, fire, ambulance.', 'Peligro inmediato: policía, bomberos, ambulancia.', 0),
 (X'0193a0000000700080000000000000a2', 2, 'National Human Trafficking Hotline', 'Línea Nacional contra la Trata de Personas', '1-888-373-7888', '233733',
  'Confidential, 24 hours a day, in more than 200 languages. Text 233733.', 'Confidencial, las 24 horas, en más de 200 idiomas. Mensaje de texto al 233733.', 0),
 (X'0193a0000000700080000000000000a3', 3, 'HSI Tip Line (Homeland Security Investigations)', 'Línea de denuncias de HSI (Investigaciones de Seguridad Nacional)', '1-866-347-2423', '',
  'Report suspected trafficking to federal law enforcement, 24 hours a day.', 'Denuncie una posible trata a las autoridades federales, las 24 horas.', 0),
 (X'0193a0000000700080000000000000a4', 4, 'USCIS Contact Center', 'Centro de Contacto de USCIS', '1-800-375-5283', '',
  'Questions about T and U visas, Continued Presence and immigration cases.', 'Preguntas sobre las visas T y U, la Presencia Continuada y los casos de inmigración.', 0),
 (X'0193a0000000700080000000000000a5', 5, 'HHS Office on Trafficking in Persons (OTIP)', 'Oficina contra la Trata de Personas del HHS (OTIP)', '1-866-401-5510', '',
  'Certification and eligibility letters for benefits; requests for assistance for children.', 'Cartas de certificación y de elegibilidad para beneficios; solicitudes de asistencia para menores.', 0);
