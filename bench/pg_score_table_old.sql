-- bench/query_matrix_pg_ab.sh, bench/rescore_pg.sh, bench/query_matrix_pg_writes.sh: OLD_SQL (WITHOUT_SQL)
-- for a binary before lead_scores (schema 24; 25 on PostgreSQL before a release) on a cluster
-- a later one migrated (bench/RESULTS.md, "PostgreSQL's scores in lead_scores").
-- main's shape: no lead_scores, leads_score back (leads.score as main's last rescore left it)
DROP TRIGGER IF EXISTS lead_scores_update ON leads;
DROP TRIGGER IF EXISTS lead_scores_delete ON leads;
DROP FUNCTION IF EXISTS klozeo_lead_scores_update();
DROP FUNCTION IF EXISTS klozeo_lead_scores_delete();
DROP TABLE IF EXISTS lead_scores;
CREATE INDEX IF NOT EXISTS leads_score ON leads (account_key, score, id, status_fold, city_fold, category_fold);
DELETE FROM schema_migrations WHERE version IN (24, 25);
VACUUM ANALYZE leads;
