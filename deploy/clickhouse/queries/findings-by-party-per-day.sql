-- Findings by the party that must act, per day and severity. `counted` is what
-- demarc's summary.findings counts; `accepted` what summary.accepted counts (covered by
-- an acceptance not yet past its end date). An expired acceptance counts as a finding.
SELECT day, findings.party AS party, findings.severity AS severity, findings.code AS code,
       countIf(findings.accepted_owner = '' OR findings.accepted_expired) AS counted,
       countIf(findings.accepted_owner != '' AND NOT findings.accepted_expired) AS accepted
FROM demarc_flows
ARRAY JOIN findings
GROUP BY day, party, severity, code
ORDER BY day, party, severity, code
