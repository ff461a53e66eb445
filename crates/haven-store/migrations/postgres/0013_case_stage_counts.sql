-- How many cases each organization has in each stage, kept by triggers in
-- the same transaction as the change, so that a supervisor's caseload is
-- counted from a handful of rows instead of the organization's whole index
-- (10,000 entries for a large organization at national scale). Cases are
-- never deleted; the delete trigger keeps the count true if one ever is.
CREATE TABLE case_stage_counts (
    organization_id  UUID NOT NULL REFERENCES organizations (id),
    stage            TEXT NOT NULL,
    total            BIGINT NOT NULL,
    PRIMARY KEY (organization_id, stage)
);

INSERT INTO case_stage_counts (organization_id, stage, total)
    SELECT organization_id, stage, count(*) FROM cases GROUP BY organization_id, stage;

-- A batch (an import) is counted once per statement, not once per row.
CREATE FUNCTION case_stage_counts_inserted() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO case_stage_counts AS s (organization_id, stage, total)
        SELECT n.organization_id, n.stage, count(*) FROM new_cases n
        GROUP BY n.organization_id, n.stage ORDER BY n.organization_id, n.stage
        ON CONFLICT (organization_id, stage) DO UPDATE SET total = s.total + EXCLUDED.total;
    RETURN NULL;
END $$;

CREATE FUNCTION case_stage_counts_deleted() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO case_stage_counts AS s (organization_id, stage, total)
        SELECT o.organization_id, o.stage, -count(*) FROM old_cases o
        GROUP BY o.organization_id, o.stage ORDER BY o.organization_id, o.stage
        ON CONFLICT (organization_id, stage) DO UPDATE SET total = s.total + EXCLUDED.total;
    RETURN NULL;
END $$;

-- Both rows in key order, so that two transactions moving cases in opposite
-- directions cannot deadlock on the counts.
CREATE FUNCTION case_stage_counts_moved() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO case_stage_counts AS s (organization_id, stage, total)
        SELECT v.organization_id, v.stage, v.delta
        FROM (VALUES (OLD.organization_id, OLD.stage, -1::BIGINT), (NEW.organization_id, NEW.stage, 1::BIGINT))
             AS v (organization_id, stage, delta)
        ORDER BY v.organization_id, v.stage
        ON CONFLICT (organization_id, stage) DO UPDATE SET total = s.total + EXCLUDED.total;
    RETURN NULL;
END $$;

CREATE TRIGGER case_stage_counts_insert AFTER INSERT ON cases
    REFERENCING NEW TABLE AS new_cases FOR EACH STATEMENT EXECUTE FUNCTION case_stage_counts_inserted();
CREATE TRIGGER case_stage_counts_delete AFTER DELETE ON cases
    REFERENCING OLD TABLE AS old_cases FOR EACH STATEMENT EXECUTE FUNCTION case_stage_counts_deleted();
CREATE TRIGGER case_stage_counts_move AFTER UPDATE OF organization_id, stage ON cases FOR EACH ROW
    WHEN (OLD.organization_id IS DISTINCT FROM NEW.organization_id OR OLD.stage IS DISTINCT FROM NEW.stage)
    EXECUTE FUNCTION case_stage_counts_moved();
