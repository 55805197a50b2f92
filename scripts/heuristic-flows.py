#!/usr/bin/env python3
"""Per-flow payload bytes against the encryption truth, for calibrating the byte heuristic.

Reads each capture of one part of the nDPI corpus (`--names tune` or `held-out`, the same
split as ../shared/tools/encryption-truth) with tshark, keeps per flow the first 128 bytes
of up to `--packets` payload packets per direction (TCP segments of six or fewer zero bytes
skipped, as PayloadInspector does), and pairs each flow with the truth encryption-truth
scores it against (its own functions, loaded from the tool). Writes one JSON object a line:
  {"pcap", "transport", "truth", "packets": [[from_client, length, hex of the first 128 bytes]...]}
The client is the sender of the flow's first payload packet.
With --demarc BIN it instead runs demarc on the same captures and prints, per heuristic
verdict and confidence (one confidence a rule), how many flows it judged and how many were
right, with Laplace's (right + 1) / (judged + 2): the figures behind Heuristic's
confidences. Run it with DEMARC_HEURISTIC_ONLY=1 to judge every flow with payload.
Usage: heuristic-flows.py --corpus ../shared/corpus/ndpi --names tune > tune.jsonl
       DEMARC_HEURISTIC_ONLY=1 heuristic-flows.py --corpus ... --names tune --demarc .build/release/demarc
"""
import argparse, collections, json, os, subprocess, sys

TOOL = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared', 'tools', 'encryption-truth')


def load_tool(path):
    src = open(path).read()
    src = src[:src.rstrip().rfind('\nmain()')]
    ns = {'__name__': 'encryption_truth'}
    exec(compile(src, path, 'exec'), ns)
    return ns


def last(field):
    return field.split(',')[-1] if field else ''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--corpus', required=True)
    ap.add_argument('--names', required=True)
    ap.add_argument('--tool', default=TOOL)
    ap.add_argument('--packets', type=int, default=8)
    ap.add_argument('--demarc', help='tally demarc\'s heuristic verdicts by rule instead')
    args = ap.parse_args()
    rules_seen = collections.defaultdict(lambda: [0, 0])
    t = load_tool(args.tool)
    rules = t['load_overrides'](os.path.join(os.path.dirname(os.path.abspath(args.tool)), 'ndpi-overrides.tsv'))
    cache = os.path.join(t['tempfile'].gettempdir(), 'demarc-truth-cache')
    labels = collections.defaultdict(list)
    with open(os.path.join(args.corpus, 'labels.tsv')) as f:
        next(f)
        for line in f:
            c = line.rstrip('\n').split('\t')
            labels[c[0]].append(c)
    for pcap in sorted(labels):
        if t['part'](pcap) != args.names:
            continue
        path = os.path.join(args.corpus, 'pcap', pcap)
        if not os.path.exists(path):
            continue
        pay = t['payload_keys'](path, cache)
        if args.demarc:
            tally_verdicts(t, rules, pcap, path, labels[pcap], pay, args.demarc, rules_seen)
            continue
        out = subprocess.run(['tshark', '-n', '-r', path, '-o', 'tcp.desegment_tcp_streams:FALSE',
                              '-o', 'tcp.analyze_sequence_numbers:FALSE', '-T', 'fields',
                              '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'ip.dst', '-e', 'ipv6.dst',
                              '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'udp.srcport', '-e', 'udp.dstport',
                              '-e', 'tcp.payload', '-e', 'udp.payload', '-E', 'separator=/t'],
                             capture_output=True, text=True).stdout
        flows = {}
        for line in out.splitlines():
            f = line.split('\t')
            if len(f) < 10:
                continue
            src, dst = last(f[0]) or last(f[1]), last(f[2]) or last(f[3])
            if f[4]:
                tr, sp, dp, hexp = 'tcp', last(f[4]), last(f[5]), last(f[8])
            elif f[6]:
                tr, sp, dp, hexp = 'udp', last(f[6]), last(f[7]), last(f[9])
            else:
                continue
            if not hexp or not src or not dst:
                continue
            b = bytes.fromhex(hexp)
            if tr == 'tcp' and len(b) <= 6 and not any(b):
                continue
            k = t['key'](tr, src, sp, dst, dp)
            fl = flows.setdefault(k, {'client': (t['norm'](src), int(sp)), 'packets': [], 'n': [0, 0]})
            fc = (t['norm'](src), int(sp)) == fl['client']
            d = 0 if fc else 1
            if fl['n'][d] >= args.packets:
                continue
            fl['n'][d] += 1
            fl['packets'].append([fc, len(b), b[:128].hex()])
        for k, transport, proto, truth in scored(t, rules, pcap, labels[pcap], pay):
            if k in flows:
                print(json.dumps({'pcap': pcap, 'transport': transport, 'proto': proto, 'truth': truth,
                                  'packets': flows[k]['packets']}))
    for (state, conf), (judged, right) in sorted(rules_seen.items()):
        print('%-9s confidence %s: %d right of %d, Laplace %.3f' % (state, conf, right, judged, (right + 1) / (judged + 2)))


def scored(t, rules, pcap, rows, pay):
    """The labelled flows with payload that encryption-truth scores: key, transport,
    protocol and the adjudicated truth."""
    for c in rows:
        _, transport, a, pa, b, pb, proto, label, *_ = c
        k = t['key'](transport, a, pa, b, pb)
        if k not in pay or proto == 'Unknown':
            continue
        truth = t['adjudicate'](rules, pcap, transport, proto, pa, pb, label)
        if truth == 'cleartext' and pay[k]:
            truth = 'encrypted'
        if truth != 'contested':
            yield k, transport, proto, truth


def tally_verdicts(t, rules, pcap, path, rows, pay, demarc, seen):
    out = subprocess.run([demarc, 'replay', path, '--format', 'jsonl'], capture_output=True, text=True).stdout
    verdicts = {}
    for line in out.splitlines():
        o = json.loads(line)
        if o.get('type') == 'flow':
            c, s = o['client'], o['server']
            verdicts.setdefault(t['key'](o['transport'], c['ip'], c.get('port'), s['ip'], s.get('port')), o['encryption'])
    for k, _, _, truth in scored(t, rules, pcap, rows, pay):
        e = verdicts.get(k)
        if not e or e.get('basis') != 'heuristic':
            continue
        r = seen[(e['state'], e.get('confidence'))]
        r[0] += 1
        r[1] += e['state'] == truth


main()
