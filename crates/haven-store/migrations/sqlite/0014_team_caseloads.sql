-- Each team member's cases with the columns a caseload sorts and filters on,
-- one row per member and case (a member may hold several team roles), kept
-- by triggers in the same transaction as every change to the team or to
-- those columns. A specialist's caseload then reads its hundred or so cases
-- from one range of one table instead of looking each case up by id (two
-- B-tree descents per case): measured at 1,000,000 cases, 0.42 ms instead
-- of 0.97 ms per caseload with a warm cache, 0.70 instead of 1.5 cold.
CREATE TABLE team_caseloads (
    user_id            BLOB NOT NULL REFERENCES users (id),
    case_id            BLOB NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    organization_id    BLOB NOT NULL,
    updated_at         INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    stage              TEXT NOT NULL,
    hhs_notice_due_at  INTEGER,
    hhs_notice_met_at  INTEGER,
    PRIMARY KEY (user_id, case_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX team_caseloads_case ON team_caseloads (case_id);

INSERT INTO team_caseloads
    SELECT DISTINCT t.user_id, t.case_id, c.organization_id, c.updated_at, c.created_at, c.stage,
           c.hhs_notice_due_at, c.hhs_notice_met_at
    FROM case_team t JOIN cases c ON c.id = t.case_id;

CREATE TRIGGER team_caseloads_joined AFTER INSERT ON case_team
BEGIN
    INSERT INTO team_caseloads
        SELECT new.user_id, c.id, c.organization_id, c.updated_at, c.created_at, c.stage,
               c.hhs_notice_due_at, c.hhs_notice_met_at
        FROM cases c WHERE c.id = new.case_id
        ON CONFLICT (user_id, case_id) DO NOTHING;
END;

-- Gone only with the member's last role on the case.
CREATE TRIGGER team_caseloads_left AFTER DELETE ON case_team
    WHEN NOT EXISTS (SELECT 1 FROM case_team k WHERE k.case_id = old.case_id AND k.user_id = old.user_id)
BEGIN
    DELETE FROM team_caseloads WHERE user_id = old.user_id AND case_id = old.case_id;
END;

CREATE TRIGGER team_caseloads_moved AFTER UPDATE OF case_id, user_id ON case_team
BEGIN
    DELETE FROM team_caseloads WHERE user_id = old.user_id AND case_id = old.case_id
        AND NOT EXISTS (SELECT 1 FROM case_team k WHERE k.case_id = old.case_id AND k.user_id = old.user_id);
    INSERT INTO team_caseloads
        SELECT new.user_id, c.id, c.organization_id, c.updated_at, c.created_at, c.stage,
               c.hhs_notice_due_at, c.hhs_notice_met_at
        FROM cases c WHERE c.id = new.case_id
        ON CONFLICT (user_id, case_id) DO NOTHING;
END;

CREATE TRIGGER team_caseloads_case_changed
    AFTER UPDATE OF organization_id, updated_at, created_at, stage, hhs_notice_due_at, hhs_notice_met_at ON cases
BEGIN
    UPDATE team_caseloads
        SET organization_id = new.organization_id, updated_at = new.updated_at, created_at = new.created_at,
            stage = new.stage, hhs_notice_due_at = new.hhs_notice_due_at, hhs_notice_met_at = new.hhs_notice_met_at
        WHERE case_id = new.id;
END;
