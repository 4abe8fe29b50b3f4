-- One database per service: no service reads another's tables (each owns its
-- schema and its migration history).
--
-- The postgres image runs this file only when it initialises an empty data
-- volume. That is why the databases of the planned services are created now as
-- well: an empty database costs nothing, and adding it later to a running
-- installation would take a manual step
-- (docker compose exec postgres createdb -U expo expo_<service>).
CREATE DATABASE expo_registration;
CREATE DATABASE expo_exhibitions;
CREATE DATABASE expo_signings;
CREATE DATABASE expo_publicity;
CREATE DATABASE expo_reporting;
