-- Installs the extension the way a DBA does; every later test uses it.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS supervision CASCADE;
RESET client_min_messages;
SELECT extname, extversion FROM pg_extension WHERE extname IN ('supervision', 'postgis') ORDER BY 1;
SELECT nspname FROM pg_namespace WHERE nspname LIKE 'supervision%' ORDER BY 1;
SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname LIKE 'supervision\_%' ORDER BY 1;
