-- What leaves the provider's nodes in cleartext, by the zone it goes to: the customer's
-- to encrypt or to accept (whether a finding was raised depends on encryption.egress and
-- the rule; this lists every cleartext egress flow).
SELECT server_zone AS to_zone, application, count() AS flows,
       sum(bytes_to_server + bytes_to_client) AS bytes,
       countIf(has(findings.code, 'unencrypted-egress')) AS with_finding
FROM demarc_flows
WHERE segment = 'egress' AND encryption_state = 'cleartext'
GROUP BY to_zone, application
ORDER BY bytes DESC, to_zone, application
