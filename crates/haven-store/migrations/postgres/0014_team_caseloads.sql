-- Each team member's cases with the columns a caseload sorts and filters on,
-- one row per member and case (a member may hold several team roles), kept
-- by triggers in the same transaction as every change to the team or to
-- those columns. A specialist's caseload then reads its hundred or so cases
-- from one range of one index instead of looking each case up by id.
CREATE TABLE team_caseloads (
    user_id            UUID NOT NULL REFERENCES users (id),
    case_id            UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    organization_id    UUID NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    stage              TEXT NOT NULL,
    hhs_notice_due_at  TIMESTAMPTZ,
    hhs_notice_met_at  TIMESTAMPTZ,
    -- The caseload reads the key's index alone (an index-only scan).
    PRIMARY KEY (user_id, case_id)
        INCLUDE (organization_id, updated_at, created_at, stage, hhs_notice_due_at, hhs_notice_met_at)
);
CREATE INDEX team_caseloads_case ON team_caseloads (case_id);

INSERT INTO team_caseloads
    SELECT DISTINCT t.user_id, t.case_id, c.organization_id, c.updated_at, c.created_at, c.stage,
           c.hhs_notice_due_at, c.hhs_notice_met_at
    FROM case_team t JOIN cases c ON c.id = t.case_id;

-- The case rows are locked first (FOR SHARE waits for a change in flight and
-- then reads its result), so a copy made while another transaction changes
-- the case cannot keep the old values.
CREATE FUNCTION team_caseloads_joined() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM cases c WHERE c.id IN (SELECT n.case_id FROM new_team n) ORDER BY c.id FOR SHARE;
    INSERT INTO team_caseloads
        SELECT DISTINCT n.user_id, c.id, c.organization_id, c.updated_at, c.created_at, c.stage,
               c.hhs_notice_due_at, c.hhs_notice_met_at
        FROM new_team n JOIN cases c ON c.id = n.case_id
        ON CONFLICT (user_id, case_id) DO NOTHING;
    RETURN NULL;
END $$;

-- Gone only with the member's last role on the case.
CREATE FUNCTION team_caseloads_left() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM team_caseloads t USING old_team o
        WHERE t.user_id = o.user_id AND t.case_id = o.case_id
          AND NOT EXISTS (SELECT 1 FROM case_team k WHERE k.case_id = o.case_id AND k.user_id = o.user_id);
    RETURN NULL;
END $$;

CREATE FUNCTION team_caseloads_case_changed() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    UPDATE team_caseloads
        SET organization_id = NEW.organization_id, updated_at = NEW.updated_at, created_at = NEW.created_at,
            stage = NEW.stage, hhs_notice_due_at = NEW.hhs_notice_due_at, hhs_notice_met_at = NEW.hhs_notice_met_at
        WHERE case_id = NEW.id;
    RETURN NULL;
END $$;

CREATE TRIGGER team_caseloads_joined AFTER INSERT ON case_team
    REFERENCING NEW TABLE AS new_team FOR EACH STATEMENT EXECUTE FUNCTION team_caseloads_joined();
CREATE TRIGGER team_caseloads_left AFTER DELETE ON case_team
    REFERENCING OLD TABLE AS old_team FOR EACH STATEMENT EXECUTE FUNCTION team_caseloads_left();
-- A team row's case or member is never changed in place; should one be, it
-- counts as leaving and joining.
CREATE TRIGGER team_caseloads_left_by_update AFTER UPDATE ON case_team
    REFERENCING OLD TABLE AS old_team FOR EACH STATEMENT EXECUTE FUNCTION team_caseloads_left();
CREATE TRIGGER team_caseloads_joined_by_update AFTER UPDATE ON case_team
    REFERENCING NEW TABLE AS new_team FOR EACH STATEMENT EXECUTE FUNCTION team_caseloads_joined();
CREATE TRIGGER team_caseloads_case_changed AFTER UPDATE OF organization_id, updated_at, created_at, stage,
        hhs_notice_due_at, hhs_notice_met_at ON cases FOR EACH ROW
    WHEN (OLD.organization_id IS DISTINCT FROM NEW.organization_id OR OLD.updated_at IS DISTINCT FROM NEW.updated_at
          OR OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.stage IS DISTINCT FROM NEW.stage
          OR OLD.hhs_notice_due_at IS DISTINCT FROM NEW.hhs_notice_due_at
          OR OLD.hhs_notice_met_at IS DISTINCT FROM NEW.hhs_notice_met_at)
    EXECUTE FUNCTION team_caseloads_case_changed();
