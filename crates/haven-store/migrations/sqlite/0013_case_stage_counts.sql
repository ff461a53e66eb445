-- How many cases each organization has in each stage, kept by triggers in
-- the same transaction as the change, so that a supervisor's caseload is
-- counted from a handful of rows instead of the organization's whole index
-- (10,000 entries for a large organization at national scale). Cases are
-- never deleted; the delete trigger keeps the count true if one ever is.
CREATE TABLE case_stage_counts (
    organization_id  BLOB NOT NULL REFERENCES organizations (id),
    stage            TEXT NOT NULL,
    total            INTEGER NOT NULL,
    PRIMARY KEY (organization_id, stage)
) STRICT, WITHOUT ROWID;

INSERT INTO case_stage_counts (organization_id, stage, total)
    SELECT organization_id, stage, count(*) FROM cases GROUP BY organization_id, stage;

CREATE TRIGGER case_stage_counts_insert AFTER INSERT ON cases
BEGIN
    INSERT INTO case_stage_counts (organization_id, stage, total) VALUES (new.organization_id, new.stage, 1)
        ON CONFLICT (organization_id, stage) DO UPDATE SET total = total + 1;
END;

CREATE TRIGGER case_stage_counts_delete AFTER DELETE ON cases
BEGIN
    UPDATE case_stage_counts SET total = total - 1
        WHERE organization_id = old.organization_id AND stage = old.stage;
END;

CREATE TRIGGER case_stage_counts_move AFTER UPDATE OF organization_id, stage ON cases
    WHEN old.organization_id IS NOT new.organization_id OR old.stage IS NOT new.stage
BEGIN
    UPDATE case_stage_counts SET total = total - 1
        WHERE organization_id = old.organization_id AND stage = old.stage;
    INSERT INTO case_stage_counts (organization_id, stage, total) VALUES (new.organization_id, new.stage, 1)
        ON CONFLICT (organization_id, stage) DO UPDATE SET total = total + 1;
END;
