-- Transit by path: the customer's own traffic the provider's nodes carry, by the node it
-- enters at and the node it leaves at, with its cleartext flows and its findings that
-- count (an accepted finding counts once expired).
SELECT path_enters, path_leaves, count() AS flows,
       sum(bytes_to_server + bytes_to_client) AS bytes,
       countIf(encryption_state = 'cleartext') AS cleartext_flows,
       sum(arrayCount((c, o, e) -> o = '' OR e, findings.code, findings.accepted_owner, findings.accepted_expired)) AS findings
FROM demarc_flows
WHERE segment = 'transit'
GROUP BY path_enters, path_leaves
ORDER BY bytes DESC, path_enters, path_leaves
