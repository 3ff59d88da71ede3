-- Runs once, when the ClickHouse container starts with an empty data directory
-- (/docker-entrypoint-initdb.d). The same read-only analyst login the local scripts configure in
-- infra/src/clickhouse-server-process.ts: it reads the trail database and nothing else, and writes
-- nothing (readonly = 2: it may still set query settings, as `mandate trail query` does, but not
-- turn readonly off). Change the password before the trail holds real decisions.
CREATE DATABASE IF NOT EXISTS mandate;
CREATE USER IF NOT EXISTS analyst IDENTIFIED WITH sha256_password BY 'analyst' SETTINGS readonly = 2;
GRANT SELECT ON mandate.* TO analyst;
