-- Flows, packets and bytes by segment and by responsible party: the figures of demarc's
-- summary.segments and summary.parties, over whatever the store holds.
SELECT 'segment' AS by, segment AS name, count() AS flows,
       sum(packets_to_server + packets_to_client) AS packets, sum(bytes_to_server + bytes_to_client) AS bytes
FROM demarc_flows
GROUP BY segment
UNION ALL
SELECT 'party' AS by, responsible AS name, count() AS flows,
       sum(packets_to_server + packets_to_client) AS packets, sum(bytes_to_server + bytes_to_client) AS bytes
FROM demarc_flows
GROUP BY responsible
ORDER BY by, name
