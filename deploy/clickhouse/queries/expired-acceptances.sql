-- Findings whose acceptance has run out (scenario `accept` entries past their `until`):
-- they count again, and whoever owns the acceptance has to renew it or fix the flow.
SELECT findings.accepted_owner AS owner, findings.code AS code, findings.accepted_until AS until,
       findings.party AS party, count() AS flows, max(last_seen) AS last_seen
FROM demarc_flows
ARRAY JOIN findings
WHERE findings.accepted_expired
GROUP BY owner, code, until, party
ORDER BY until, owner, code
