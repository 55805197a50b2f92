-- The largest flows crossing the provider's boundary (leaving a node, entering one, or
-- carried through its nodes: transit, with the nodes it enters and leaves at).
SELECT first_seen, segment, path_enters, path_leaves, responsible,
       client_ip, client_zone, server_ip, server_port, server_zone, transport, application,
       encryption_state, bytes_to_server + bytes_to_client AS bytes, rule_name, findings.code AS findings
FROM demarc_flows
WHERE segment IN ('egress', 'ingress', 'transit')
ORDER BY bytes DESC, first_seen, demarc_id
LIMIT 20
