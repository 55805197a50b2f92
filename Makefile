# demarc — the two commands a newcomer needs:
#   make run    replay the bundled overlay-network capture against its scenario
#   make test   run every test (the Swift tests, then the ClickHouse store's)
# Both install what is missing (libpcap-dev, pkg-config, python3-jsonschema) first;
# `make test` also installs every tool the tests use (see swift-test).
# make install PREFIX=DIR   a release binary with Swift's runtime linked in (DIR/bin/demarc)
# make deb                  a Debian package of that binary (dist/demarc_VERSION_ARCH.deb)

SWIFT ?= swift
BIN := .build/release/demarc
SCENARIO ?= scenarios/overlay-network.yaml
CAPTURE ?= captures/overlay-network.pcap
FORMAT ?= table

.PHONY: run test swift-test clickhouse-test siem-test ja4-test cbom-test spark-test serve-test serve-load build deps bench load fuzz captures \
	clean check-scenarios install install-check static deb deb-test ipfix-test systemd-check flood-check live-flood \
	random-claims

# demarc exits 1 here on purpose (the bundled network breaks duties, see README);
# only bad input (2) or an internal error (3) fails the target.
run: deps build
	@$(BIN) replay $(CAPTURE) --scenario $(SCENARIO) --format $(FORMAT); status=$$?; \
	  if [ $$status -eq 1 ]; then echo "(demarc exit status 1: findings at or above --fail-on, or a failed expect)" >&2; \
	  elif [ $$status -ne 0 ]; then exit $$status; fi

# The tests render the HTML report in Chromium, fetch Mermaid with pip (Debian's python3
# has none), make real TLS for the monitor test (openssl), lint the metrics page and
# deploy/prometheus with promtool (Debian's prometheus), replay captures onto a veth pair
# for the live workers' test (tcpreplay) and read link-layer destinations with tshark for
# the spec check: each installed when missing.
# Then the ClickHouse store's, the SIEM formats', JA4's and the CBOM's checks.
test: swift-test clickhouse-test siem-test ja4-test cbom-test

swift-test: deps
	@scripts/deps.sh chromium:chromium openssl:openssl promtool:prometheus python3.pip:python3-pip \
	  tcpreplay:tcpreplay tshark:tshark
	$(SWIFT) test

# deploy/clickhouse's schema and queries over demarc's output, in chDB (PyPI, in
# .venv-chdb); with ../shared beside the project, over its nDPI corpus too. Skipped,
# saying why, where PyPI cannot be reached.
CHDB := chdb==4.4.0
SHARED_CORPUS := $(wildcard ../shared/corpus/ndpi/pcap)
clickhouse-test: deps build
	@scripts/python-env.sh .venv-chdb $(CHDB); status=$$?; \
	  if [ $$status -eq 3 ]; then echo "clickhouse-test skipped: chdb cannot be installed from PyPI"; exit 0; \
	  elif [ $$status -ne 0 ]; then exit $$status; fi; \
	  .venv-chdb/bin/python deploy/clickhouse/test-chdb.py --demarc $(BIN) $(if $(SHARED_CORPUS),--corpus $(SHARED_CORPUS))

# deploy/siem: every flow's community_id against PyPI's reference implementation, with
# the tuple read from the capture by tshark; the ecs format against ECS 9.4.0's field
# list; the ocsf format against the OCSF 1.8.0 schema compiled by ocsf-lib. Over the
# bundled captures, and ../shared's nDPI corpus when it is there (the ECS and OCSF
# standards are read from ../shared too: without it those two are skipped, saying so).
# Skipped, saying why, where PyPI cannot be reached.
SIEM_PY := communityid==1.5.0 ocsf-lib==0.10.4 PyYAML==6.0.3
ECS_FLAT := $(wildcard ../shared/standards/ecs/ecs_flat.yml)
OCSF_SCHEMA := $(wildcard ../shared/standards/ocsf)
siem-test: deps build
	@scripts/deps.sh tshark:tshark
	@scripts/python-env.sh .venv-siem $(SIEM_PY); status=$$?; \
	  if [ $$status -eq 3 ]; then echo "siem-test skipped: $(SIEM_PY) cannot be installed from PyPI"; exit 0; \
	  elif [ $$status -ne 0 ]; then exit $$status; fi; \
	  .venv-siem/bin/python deploy/siem/test-community-id.py --demarc $(BIN) $(if $(SHARED_CORPUS),--corpus $(SHARED_CORPUS)) && \
	  $(if $(ECS_FLAT),.venv-siem/bin/python deploy/siem/test-ecs.py --demarc $(BIN) --ecs $(ECS_FLAT) $(if $(SHARED_CORPUS),--corpus $(SHARED_CORPUS)),echo "ecs test skipped: no ../shared/standards/ecs/ecs_flat.yml") && \
	  $(if $(OCSF_SCHEMA),.venv-siem/bin/python deploy/siem/test-ocsf.py --demarc $(BIN) --schema $(OCSF_SCHEMA) $(if $(SHARED_CORPUS),--corpus $(SHARED_CORPUS)),echo "ocsf test skipped: no ../shared/standards/ocsf")

# The live view (monitor --serve) in headless Chromium, driven over the DevTools protocol
# with PyPI's websocket-client (in .venv-serve), against monitor on lo while real HTTP,
# TLS and UDP flow (root). Skipped, saying why, where PyPI cannot be reached or capture
# is not allowed. SCREENSHOT=docs/live-view.png also saves the page.
SERVE_PY := websocket-client==1.9.2
serve-test: deps build
	@scripts/deps.sh chromium:chromium openssl:openssl
	@scripts/python-env.sh .venv-serve $(SERVE_PY); status=$$?; \
	  if [ $$status -eq 3 ]; then echo "serve-test skipped: $(SERVE_PY) cannot be installed from PyPI"; exit 0; \
	  elif [ $$status -ne 0 ]; then exit $$status; fi; \
	  .venv-serve/bin/python scripts/serve-test.py --demarc $(BIN) $(if $(SCREENSHOT),--screenshot $(SCREENSHOT)); status=$$?; \
	  if [ $$status -eq 77 ]; then exit 0; fi; exit $$status

# The live view under load on a veth pair (root): 50 event-stream clients at 200,000
# packets/s for 60 s (drops, share handled), then resident memory over 10 minutes.
serve-load: deps build
	@scripts/serve-load.sh

# demarc's JA4 against PyPI's ja4plus (a test oracle only, in .venv-ja4) on every TLS,
# DTLS and QUIC flow of the bundled captures, the inspector fixtures and, with ../shared
# beside the project, its nDPI corpus. Skipped, saying why, where PyPI cannot be reached.
JA4PLUS := ja4plus==1.4.0 scapy==2.8.0
ja4-test: deps build
	@scripts/python-env.sh .venv-ja4 $(JA4PLUS); status=$$?; \
	  if [ $$status -eq 3 ]; then echo "ja4-test skipped: ja4plus cannot be installed from PyPI"; exit 0; \
	  elif [ $$status -ne 0 ]; then exit $$status; fi; \
	  .venv-ja4/bin/python scripts/ja4-check.py --demarc $(BIN) $(if $(SHARED_CORPUS),--corpus $(SHARED_CORPUS))

# --format cbom validated by PyPI's cyclonedx-python-lib (its CycloneDX 1.6 JSON schema,
# in .venv-cbom) for each bundled deployment and the corpus's TLS, QUIC, SSH and IKE.
CYCLONEDX := cyclonedx-python-lib[json-validation]==11.12.0
cbom-test: deps build
	@scripts/python-env.sh .venv-cbom "$(CYCLONEDX)"; status=$$?; \
	  if [ $$status -eq 3 ]; then echo "cbom-test skipped: cyclonedx-python-lib cannot be installed from PyPI"; exit 0; \
	  elif [ $$status -ne 0 ]; then exit $$status; fi; \
	  .venv-cbom/bin/python scripts/cbom-check.py --demarc $(BIN) $(if $(SHARED_CORPUS),--corpus $(SHARED_CORPUS))

# deploy/spark's job in Spark's local mode (PySpark from PyPI in .venv-spark, Java 17 and
# editcap from Debian): each bundled capture cut in 5 pieces must give one replay's flows.
# Slow (Spark starts a JVM): its own target, which CI runs.
PYSPARK := pyspark==4.0.1
spark-test: deps build
	@scripts/deps.sh java:openjdk-17-jre-headless editcap:wireshark-common capinfos:wireshark-common tshark:tshark
	@scripts/python-env.sh .venv-spark $(PYSPARK); status=$$?; \
	  if [ $$status -eq 3 ]; then echo "spark-test skipped: pyspark cannot be installed from PyPI"; exit 0; \
	  elif [ $$status -ne 0 ]; then exit $$status; fi; \
	  .venv-spark/bin/python deploy/spark/test-spark.py --demarc $(BIN)

# The release build, with Swift's runtime and Foundation linked in statically: the binary
# needs libpcap, libc and libstdc++, not a toolchain. The one release build: `make run`,
# the tests, `make install`, `make deb` and `make bench` all use it.
RELEASE_BUILD = $(SWIFT) build -c release --static-swift-stdlib --product demarc
build:
	$(RELEASE_BUILD)

PREFIX ?= /usr/local
STATIC := .build
static: deps
	$(RELEASE_BUILD)

install: static
	install -D -m 755 $(STATIC)/release/demarc $(DESTDIR)$(PREFIX)/bin/demarc

# The Debian package of install's binary (the same build, not a second one): the man
# page from its --help, deploy/systemd's unit, /etc/default/demarc (a conffile), the docs;
# Depends from dpkg-shlibdeps (scripts/make-deb.sh).
deb: static
	@scripts/make-deb.sh $(STATIC)/release/demarc

# The package installed with apt-get into a fresh debootstrap'd bookworm (minbase, no
# Swift), replaying a bundled capture into the golden there (root; a few minutes).
deb-test: deb
	@scripts/deb-chroot-test.sh

# IPFIX export to Debian's nfcapd, read back with nfdump and decoded by tshark: every
# bundled capture's flows (and with ../shared the nDPI corpus's, as one replay), counts
# and times as the jsonl has them; as root, monitor on lo too (deploy/ipfix).
ipfix-test: deps build
	@scripts/deps.sh nfcapd:nfdump tshark:tshark
	@python3 deploy/ipfix/test-ipfix.py --demarc $(BIN) $(if $(SHARED_CORPUS),--corpus $(SHARED_CORPUS))

# deploy/systemd's unit: systemd-analyze verify, and its security exposure under 3.
systemd-check: build
	@deploy/systemd/check.sh $(BIN)

# Installs into a scratch prefix and runs that binary with the toolchain out of reach
# (scripts/check-installed.sh). CI runs it, `make test` does not.
install-check:
	@$(MAKE) --no-print-directory install PREFIX=$(CURDIR)/$(STATIC)/prefix
	@scripts/check-installed.sh $(STATIC)/prefix/bin/demarc

deps:
	@scripts/deps.sh

bench: deps static
	@BIN=$(STATIC)/release/demarc scripts/bench.sh

# Memory under a SYN flood (issue 35): 2M SYN-only flows at 1M new flows/s through
# --max-flows 200000, with 1 and 2 workers: every flow reported, the evictions counted,
# peak RSS bounded. About half a minute.
flood-check: deps build
	@scripts/deps.sh python3.numpy:python3-numpy
	@scripts/flood-check.py

# Inspectors against random bytes (what ciphertext looks like): 200,000 flows of random
# payload, and how many flows each protocol names (docs/protocols.md, "Random bytes are
# nobody's protocol"). About ten seconds.
random-claims: deps build
	@scripts/random-claims.py --demarc $(BIN)

# The live SYN flood (issue 35, root, about 2 minutes): monitor with its default options
# on a veth pair for 60 s (FLOOD_SECONDS) of SYNs at the highest rate this machine
# injects, with real HTTP and TLS mixed in: peak RSS, every flow reported, evictions, and
# the real flows as a replay of the same traffic reports them (scripts/live-flood.sh).
live-flood: deps build
	@scripts/live-flood.sh

# demarc monitor on lo under sustained load from tcpreplay (root): drops per rate.
load: deps build
	@scripts/monitor-load.sh

# libFuzzer + AddressSanitizer over the packet path and every inspector (FUZZ_SECONDS).
FUZZ_SECONDS ?= 300
fuzz: deps
	@scripts/fuzz.sh $(FUZZ_SECONDS)

captures:
	scripts/record-captures.sh

check-scenarios: build
	@for s in scenarios/*.yaml; do $(BIN) scenario check $$s || exit 1; done

clean:
	rm -rf .build dist bench-data .venv-chdb .venv-spark .venv-siem .venv-ja4 .venv-cbom .venv-serve
