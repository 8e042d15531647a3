-- Run once by the postgres image on an empty data directory (docker-compose.yml mounts it).
-- Two roles, neither a superuser: ledger_owner owns the database and its tables (`ledger db migrate` runs as it),
-- ledger is what the services run as: it may read and append events, never update, delete or truncate them.
CREATE ROLE ledger_owner LOGIN PASSWORD 'ledger_owner' NOSUPERUSER NOCREATEROLE NOCREATEDB;
CREATE ROLE ledger LOGIN PASSWORD 'ledger' NOSUPERUSER NOCREATEROLE NOCREATEDB;
CREATE DATABASE ledger OWNER ledger_owner;
