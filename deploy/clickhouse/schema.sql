-- demarc's flow store for ClickHouse. Tested with ClickHouse 26.9 (chDB 4.4.0); 23.10's
-- older query analyzer refuses the view below (Debian's clickhouse-server, 18.16, is far
-- too old for all of it).
--
-- demarc's jsonl goes in unchanged: INSERT INTO demarc_ingest FORMAT JSONEachRow. The
-- ingest table keeps nothing (Null engine); the materialized view below moves its flow
-- lines into demarc_flows, with times parsed, and leaves the summary line out.

CREATE TABLE IF NOT EXISTS demarc_ingest
(
    type        String,
    id          UInt64,
    -- `--sensor`: the gateway that saw the flow ('' when not given).
    sensor      String,
    transport   String,
    ip_version  UInt8,
    client      Tuple(ip String, port Nullable(UInt16), zone String, node Nullable(String)),
    server      Tuple(ip String, port Nullable(UInt16), zone String, node Nullable(String)),
    first_seen  String,
    last_seen   String,
    packets     Tuple(to_server UInt64, to_client UInt64),
    bytes       Tuple(to_server UInt64, to_client UInt64),
    application Nullable(String),
    encryption  Tuple(state String, protocol Nullable(String), version Nullable(String), basis String,
                      sni Nullable(String),
                      certificate Tuple(subject String, issuer String, sha256 String, not_before String, not_after String)),
    segment     String,
    -- Only transit flows have a path; JSONEachRow leaves the others' empty.
    path        Tuple(enters String, leaves String),
    responsible String,
    rule        Tuple(segment String, name String, action String, responsible String),
    findings    Array(Tuple(code String, severity String, party String, message String,
                            accepted Tuple(owner String, reason String, until String, expired Bool))),
    credentials Array(Tuple(kind String, user Nullable(String)))
)
ENGINE = Null;

CREATE TABLE IF NOT EXISTS demarc_flows
(
    -- When and where: the sort key serves time ranges first, then the boundary.
    day               Date,
    first_seen        DateTime64(6, 'UTC'),
    last_seen         DateTime64(6, 'UTC'),
    -- The gateway that saw the flow (`--sensor`; '' when not given): a fleet's flows in one table.
    sensor            LowCardinality(String),
    segment           LowCardinality(String),
    -- A transit flow's nodes: where it enters the provider's and where it leaves them.
    path_enters       LowCardinality(String),
    path_leaves       LowCardinality(String),
    responsible       LowCardinality(String),
    client_ip         String,
    client_port       Nullable(UInt16),
    client_zone       LowCardinality(String),
    client_node       LowCardinality(String),
    server_ip         String,
    server_port       Nullable(UInt16),
    server_zone       LowCardinality(String),
    server_node       LowCardinality(String),
    transport         LowCardinality(String),
    ip_version        UInt8,
    application       LowCardinality(String),
    packets_to_server UInt64,
    packets_to_client UInt64,
    bytes_to_server   UInt64,
    bytes_to_client   UInt64,
    encryption_state    LowCardinality(String),
    encryption_protocol LowCardinality(String),
    encryption_version  LowCardinality(String),
    encryption_basis    LowCardinality(String),
    sni                 String,
    certificate_issuer  String,
    certificate_sha256  String,
    rule_segment      LowCardinality(String),
    rule_name         LowCardinality(String),
    rule_action       LowCardinality(String),
    -- The party the matched rule makes responsible, where it names one.
    rule_responsible  LowCardinality(String),
    -- Findings as parallel arrays, one element per finding; an accepted finding has
    -- its owner and end date, and counts only once expired (as demarc's summary does).
    findings Nested(
        code             LowCardinality(String),
        severity         LowCardinality(String),
        party            LowCardinality(String),
        message          String,
        accepted_owner   LowCardinality(String),
        accepted_until   Nullable(Date),
        accepted_expired Bool),
    credentials Nested(kind LowCardinality(String), user String),
    demarc_id         UInt64
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, segment, responsible, server_zone, first_seen);

CREATE MATERIALIZED VIEW IF NOT EXISTS demarc_ingest_flows TO demarc_flows AS
SELECT
    toDate(parseDateTime64BestEffort(demarc_ingest.first_seen, 6, 'UTC')) AS day,
    parseDateTime64BestEffort(demarc_ingest.first_seen, 6, 'UTC')         AS first_seen,
    parseDateTime64BestEffort(demarc_ingest.last_seen, 6, 'UTC')          AS last_seen,
    sensor,
    segment, path.enters AS path_enters, path.leaves AS path_leaves, responsible,
    client.ip AS client_ip, client.port AS client_port, client.zone AS client_zone, ifNull(client.node, '') AS client_node,
    server.ip AS server_ip, server.port AS server_port, server.zone AS server_zone, ifNull(server.node, '') AS server_node,
    transport, ip_version, ifNull(application, '') AS application,
    packets.to_server AS packets_to_server, packets.to_client AS packets_to_client,
    bytes.to_server AS bytes_to_server, bytes.to_client AS bytes_to_client,
    encryption.state AS encryption_state, ifNull(encryption.protocol, '') AS encryption_protocol,
    ifNull(encryption.version, '') AS encryption_version, encryption.basis AS encryption_basis,
    ifNull(encryption.sni, '') AS sni,
    encryption.certificate.issuer AS certificate_issuer, encryption.certificate.sha256 AS certificate_sha256,
    rule.segment AS rule_segment, rule.name AS rule_name, rule.action AS rule_action, rule.responsible AS rule_responsible,
    arrayMap(f -> f.code, findings)                                 AS `findings.code`,
    arrayMap(f -> f.severity, findings)                             AS `findings.severity`,
    arrayMap(f -> f.party, findings)                                AS `findings.party`,
    arrayMap(f -> f.message, findings)                              AS `findings.message`,
    arrayMap(f -> f.accepted.owner, findings)                       AS `findings.accepted_owner`,
    arrayMap(f -> toDateOrNull(f.accepted.until), findings)         AS `findings.accepted_until`,
    arrayMap(f -> f.accepted.expired, findings)                     AS `findings.accepted_expired`,
    arrayMap(c -> c.kind, credentials)                              AS `credentials.kind`,
    arrayMap(c -> ifNull(c.user, ''), credentials)                  AS `credentials.user`,
    id AS demarc_id
FROM demarc_ingest
WHERE type = 'flow';
