#!/usr/bin/env python3
"""Writes the worst-shaped inputs meshlb accepts, each at most 64 MiB, into DIR (docs/limits.md,
"Time and memory"). Run `python3 tests/limits/worst-inputs.py DIR`, then time
`meshlb explain DIR/<file>` under `/usr/bin/time -v`."""
import json
import os
import sys

MIB = 1 << 20
LIMIT = 64 * MIB


def addr(i):
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


def envoy(name, lb_policy, groups, extra=None):
    cluster = {"name": name, "type": "EDS", "lb_policy": lb_policy,
               "load_assignment": {"cluster_name": name, "endpoints": groups}}
    cluster.update(extra or {})
    return json.dumps(cluster, separators=(",", ":"))


def endpoint(i, port=80):
    return {"endpoint": {"address": {"socket_address": {"address": addr(i), "port_value": port}}}}


def write(out, name, text):
    data = text.encode()
    assert len(data) <= LIMIT, (name, len(data))
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
    print(f"{name}: {len(data) / MIB:.1f} MiB")


def main(out):
    os.makedirs(out, exist_ok=True)
    # Many endpoints: one locality, as many endpoints as 64 MiB holds (round robin, EDF over
    # equal weights; LEAST_REQUEST with weights would be the same size).
    n, size = 0, 200
    while size + len(json.dumps(endpoint(n), separators=(",", ":"))) + 1 <= LIMIT:
        size += len(json.dumps(endpoint(n), separators=(",", ":"))) + 1
        n += 1
    write(out, "endpoints.json", envoy("many", "ROUND_ROBIN", [{"lb_endpoints": [endpoint(i) for i in range(n)]}]))
    # Many localities: the limit, 65,536 groups of one endpoint, in 128 priorities, weighted.
    groups = [{"locality": {"zone": f"z{g}"}, "priority": g % 128, "load_balancing_weight": 1 + g % 7,
               "lb_endpoints": [endpoint(g)]} for g in range(65536)]
    write(out, "localities.json", envoy("zones", "ROUND_ROBIN", groups,
                                        {"common_lb_config": {"locality_weighted_lb_config": {}}}))
    # Huge rings: one ring of Envoy's largest size, 8,388,608 entries (within the hash-table
    # limit), from 1,000 hosts.
    groups = [{"lb_endpoints": [endpoint(i) for i in range(1000)]}]
    write(out, "ring.json", envoy("ring", "RING_HASH", groups,
                                  {"ring_hash_lb_config": {"minimum_ring_size": 8388608, "maximum_ring_size": 8388608}}))
    # Many tables: 128 priorities of 8 hosts, each with the default Maglev table, 65,537
    # (8,388,736 entries, the hash-table limit).
    groups = [{"priority": p, "lb_endpoints": [endpoint(p * 8 + i) for i in range(8)]} for p in range(128)]
    write(out, "maglev.json", envoy("maglev", "MAGLEV", groups))
    # Many workloads: a scenario of one cluster and as many workloads of one service as 64 MiB
    # holds (under MAX_WORKLOADS, 1,000,000), in 1,000 localities.
    head = ("clusters: [{name: c}]\nservices: [{name: s, namespace: ns, clusters: [c], ports: [80]}]\n"
            "client: {cluster: c, namespace: ns, locality: r0/z0}\nrequest: {host: s.ns, port: 80}\nworkloads:\n")
    line = "  - {service: s.ns, cluster: c, address: %s, port: 80, locality: r%d/z%d, labels: {app: s}}\n"
    lines, size, i = [], len(head), 0
    while i < 1_000_000:
        l = line % (addr(i), i % 10, i % 1000)
        if size + len(l) > LIMIT:
            break
        lines.append(l)
        size += len(l)
        i += 1
    write(out, "workloads.yaml", head + "".join(lines))
    # Deep nesting: 64 MiB of lists nested 128 deep (the limit), in one scenario field the
    # reader refuses only after reading the whole document.
    unit = "[" * 127 + "1" + "]" * 127
    count = (LIMIT - 100) // (len(unit) + 1)
    write(out, "nesting.json", '{"x": [' + ",".join([unit] * count) + "]}")
    # Many documents: a kube dump of 65,536 documents (the limit), each a small ConfigMap.
    doc = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm%d, namespace: ns}\n"
    write(out, "documents.yaml", "".join(doc % d for d in range(65536)))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "target/worst")
