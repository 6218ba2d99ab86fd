-- Runs once, when the postgres volume is first made (docker-entrypoint-initdb.d): a login that can only read, for
-- Superset. The mediators create their schemas and tables later as user chis, so read rights are given by default
-- privileges on what chis creates (schemas: USAGE; tables and views: SELECT). Change the password, here and in
-- superset/chis_warehouse/databases/CHIS_state.yaml, before the first start.
CREATE ROLE chis_reader LOGIN PASSWORD 'chis-reader-change-me';
ALTER DEFAULT PRIVILEGES FOR ROLE chis GRANT USAGE ON SCHEMAS TO chis_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE chis GRANT SELECT ON TABLES TO chis_reader;
