-- Services seen for the first time since {since}: a server zone, transport, port and
-- application that no flow in the store reached before. Run with
--   clickhouse-client --param_since='2026-11-30 00:00:00' --queries-file new-services.sql
SELECT server_zone, transport, server_port, application, segment,
       min(first_seen) AS first_flow, count() AS flows
FROM demarc_flows
GROUP BY server_zone, transport, server_port, application, segment
HAVING first_flow >= {since:DateTime64(6, 'UTC')}
ORDER BY first_flow, server_zone, server_port
