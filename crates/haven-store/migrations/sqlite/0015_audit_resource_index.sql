-- A caseload page's one audit entry names every case it showed (25 ids, about
-- 900 bytes), and the caseload is the most frequent page. Nothing looks such
-- an entry up by resource (the history of a case reads entries about that
-- case), so the resource index leaves lists out, and entries without a
-- resource, instead of storing a kilobyte key for every page view.
DROP INDEX audit_log_resource;
CREATE INDEX audit_log_resource ON audit_log (resource_kind, resource_id, at)
    WHERE resource_kind <> 'case_list';
