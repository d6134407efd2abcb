-- The audit database's app role (docs/security.md "Least privilege on PostgreSQL"), idempotent.
-- Run as the database's owner by the compose one-shot `audit-db-roles`:
--   psql -v ON_ERROR_STOP=1 -v app_user=pdca_app -v app_password=... -f roles.sql
-- The role may log in and nothing else: no superuser, no CREATEROLE/CREATEDB, no membership of the
-- owner. Its table grants are made by `pdca migrate` (PDCA_DATABASE_APP_ROLE; store/privileges.py),
-- after every migration, so tables added later are granted too.

SELECT format('CREATE ROLE %I LOGIN', :'app_user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_user')
\gexec

ALTER ROLE :"app_user" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'app_password';

-- PostgreSQL 15+ already refuses CREATE in schema public to PUBLIC; older servers do not.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
