"""Writes tests/kube/<model>/<cluster>.yaml: kubectl get -o yaml dumps (key-sorted, as kubectl prints)."""
import os, sys, yaml, hashlib

OUT = sys.argv[1]

class Lit(str): pass
def lit_rep(d, s): return d.represent_scalar('tag:yaml.org,2002:str', s, style='|')
yaml.add_representer(Lit, lit_rep)

def uid(*parts):
    h = hashlib.sha1('/'.join(parts).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"

TS = "2026-11-30T09:12:44Z"
RV = [1000]
def meta(kind, name, ns=None, labels=None, annotations=None, owner=None, generate=None):
    RV[0] += 7
    m = {"name": name, "uid": uid(kind, ns or "", name), "resourceVersion": str(RV[0]), "creationTimestamp": TS}
    if ns is not None: m["namespace"] = ns
    if labels: m["labels"] = dict(labels)
    if annotations: m["annotations"] = dict(annotations)
    if owner:
        okind, oname = owner
        m["ownerReferences"] = [{"apiVersion": "apps/v1" if okind in ("ReplicaSet", "Deployment") else "v1", "kind": okind, "name": oname, "uid": uid(okind, ns or "", oname), "controller": True, "blockOwnerDeletion": True}]
    if generate: m["generateName"] = generate
    return m

def namespace(name, labels=None, annotations=None):
    l = {"kubernetes.io/metadata.name": name}
    l.update(labels or {})
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta("Namespace", name, labels=l, annotations=annotations),
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}

def node(name, region, zone, ip, subzone=None, deprecated=False):
    l = {"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
         "kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}
    if deprecated:
        l["failure-domain.beta.kubernetes.io/region"] = region
        l["failure-domain.beta.kubernetes.io/zone"] = zone
    else:
        l["topology.kubernetes.io/region"] = region
        l["topology.kubernetes.io/zone"] = zone
    if subzone: l["topology.istio.io/subzone"] = subzone
    return {"apiVersion": "v1", "kind": "Node", "metadata": meta("Node", name, labels=l, annotations={"node.alpha.kubernetes.io/ttl": "0"}),
            "spec": {"podCIDR": "10.244.0.0/24", "providerID": f"kind://docker/{name}"},
            "status": {"addresses": [{"address": ip, "type": "InternalIP"}, {"address": name, "type": "Hostname"}],
                       "conditions": [{"lastHeartbeatTime": TS, "lastTransitionTime": TS, "message": "kubelet is posting ready status", "reason": "KubeletReady", "status": "True", "type": "Ready"}],
                       "nodeInfo": {"architecture": "amd64", "containerRuntimeVersion": "containerd://1.7.18", "kubeletVersion": "v1.31.0", "operatingSystem": "linux"}}}

def pod(name, ns, app, version, ip, node_name, sidecar=True, ready=True, terminating=False, extra_labels=None):
    rs = f"{app}-{version or 'v1'}-5b6d8f7c9"
    labels = {"app": app, "pod-template-hash": "5b6d8f7c9"}
    if version: labels["version"] = version
    annotations = {}
    containers = [{"image": f"docker.io/kennethreitz/{app}:latest" if app == "httpbin" else f"docker.io/istio/examples-{app}:1.20.2",
                   "imagePullPolicy": "IfNotPresent", "name": app, "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                   "resources": {}, "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}]
    if sidecar:
        labels["security.istio.io/tlsMode"] = "istio"
        labels["service.istio.io/canonical-name"] = app
        labels["service.istio.io/canonical-revision"] = version or "latest"
        annotations["sidecar.istio.io/status"] = '{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["workload-socket","istio-envoy","istio-data","istio-podinfo","istio-token","istiod-ca-cert"],"imagePullSecrets":null,"revision":"default"}'
        annotations["prometheus.io/scrape"] = "true"
        containers.append({"args": ["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local"],
                           "image": "docker.io/istio/proxyv2:1.31.0", "name": "istio-proxy",
                           "ports": [{"containerPort": 15090, "name": "http-envoy-prom", "protocol": "TCP"}]})
    else:
        annotations["sidecar.istio.io/inject"] = "false"
    labels.update(extra_labels or {})
    m = meta("Pod", name, ns, labels, annotations, owner=("ReplicaSet", rs), generate=rs + "-")
    if terminating:
        m["deletionGracePeriodSeconds"] = 30
        m["deletionTimestamp"] = "2026-11-30T10:01:02Z"
    cond = "True" if ready else "False"
    return {"apiVersion": "v1", "kind": "Pod", "metadata": m,
            "spec": {"containers": containers, "dnsPolicy": "ClusterFirst", "nodeName": node_name, "restartPolicy": "Always",
                     "schedulerName": "default-scheduler", "serviceAccountName": app, "terminationGracePeriodSeconds": 30},
            "status": {"conditions": [{"lastProbeTime": None, "lastTransitionTime": TS, "status": "True", "type": "PodScheduled"},
                                      {"lastProbeTime": None, "lastTransitionTime": TS, "status": cond, "type": "Ready"},
                                      {"lastProbeTime": None, "lastTransitionTime": TS, "status": cond, "type": "ContainersReady"}],
                       "hostIP": "172.18.0.2", "phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}], "qosClass": "BestEffort", "startTime": TS}}

def service(name, ns, port, cluster_ip, selector=True, labels=None, annotations=None, extra=None, lb=None, ports=None, svc_type="ClusterIP"):
    l = {"app": name, "service": name}
    l.update(labels or {})
    spec = {"clusterIP": cluster_ip, "clusterIPs": [cluster_ip], "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack", "ports": ports or [{"name": "http", "port": port, "protocol": "TCP", "targetPort": port}],
            "sessionAffinity": "None", "type": svc_type}
    if selector: spec["selector"] = {"app": name}
    spec.update(extra or {})
    status = {"loadBalancer": {"ingress": [{"ip": a, "ipMode": "VIP"} for a in lb]} if lb else {}}
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta("Service", name, ns, l, annotations), "spec": spec, "status": status}

def slice_(svc, ns, port, endpoints, suffix="7xk2p"):
    """endpoints: (ip, node, zone, pod, state) state in ready|notready|terminating"""
    eps = []
    for ip, node_name, zone, pod_name, state in endpoints:
        cond = {"ready": state == "ready", "serving": state in ("ready", "terminating"), "terminating": state == "terminating"}
        e = {"addresses": [ip], "conditions": cond, "nodeName": node_name,
             "targetRef": {"kind": "Pod", "name": pod_name, "namespace": ns, "uid": uid("Pod", ns, pod_name)}}
        if zone: e["zone"] = zone
        eps.append(e)
    return {"addressType": "IPv4", "apiVersion": "discovery.k8s.io/v1", "endpoints": eps, "kind": "EndpointSlice",
            "metadata": meta("EndpointSlice", f"{svc}-{suffix}", ns,
                             {"endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io", "kubernetes.io/service-name": svc},
                             {"endpoints.kubernetes.io/last-change-trigger-time": TS}, owner=("Service", svc), generate=f"{svc}-"),
            "ports": [{"name": "http", "port": port, "protocol": "TCP"}]}

def istiod(version="1.31.0"):
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": meta("Deployment", "istiod", "istio-system", {"app": "istiod", "istio": "pilot", "istio.io/rev": "default", "release": "istio"},
                             {"deployment.kubernetes.io/revision": "1"}),
            "spec": {"replicas": 1, "selector": {"matchLabels": {"istio": "pilot"}},
                     "template": {"metadata": {"labels": {"app": "istiod", "istio": "pilot"}},
                                  "spec": {"containers": [{"args": ["discovery", "--monitoringAddr=:15014", "--log_output_level=default:info", "--domain", "cluster.local", "--keepaliveMaxServerConnectionAge", "30m"],
                                                           "image": f"docker.io/istio/pilot:{version}", "name": "discovery",
                                                           "ports": [{"containerPort": 8080, "protocol": "TCP"}, {"containerPort": 15010, "protocol": "TCP"}, {"containerPort": 15017, "protocol": "TCP"}]}],
                                           "serviceAccountName": "istiod"}}},
            "status": {"availableReplicas": 1, "observedGeneration": 1, "readyReplicas": 1, "replicas": 1, "updatedReplicas": 1}}

def deployment(name, ns):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta("Deployment", name, ns, {"app": name}, {"deployment.kubernetes.io/revision": "1"}),
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}}, "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"image": f"docker.io/istio/examples-{name}:1.20.2", "name": name}]}}},
            "status": {"availableReplicas": 1, "readyReplicas": 1, "replicas": 1}}

def replicaset(name, ns):
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": meta("ReplicaSet", name, ns, {"app": name.split('-')[0]}),
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name.split('-')[0]}}}, "status": {"replicas": 1}}

def mesh_cm(mesh_id="mesh1", trust_domain="cluster.local", dns=False, extra=""):
    meta_lines = '    proxyMetadata:\n      ISTIO_META_DNS_CAPTURE: "true"\n' if dns else '    proxyMetadata: {}\n'
    mesh = ("accessLogFile: /dev/stdout\n"
            "defaultConfig:\n"
            "  discoveryAddress: istiod.istio-system.svc:15012\n"
            f"  meshId: {mesh_id}\n"
            + meta_lines.replace('    ', '  ', 1).replace('\n      ', '\n    ') +
            "  tracing: {}\n"
            "defaultProviders:\n"
            "  metrics:\n"
            "  - prometheus\n"
            "enablePrometheusMerge: true\n"
            "rootNamespace: istio-system\n"
            f"trustDomain: {trust_domain}\n" + extra)
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "data": {"mesh": Lit(mesh), "meshNetworks": Lit("networks: {}\n")},
            "metadata": meta("ConfigMap", "istio", "istio-system", {"app.kubernetes.io/name": "istiod", "istio.io/rev": "default", "release": "istio"})}

def remote_secret(cluster):
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "data": {cluster: "YXBpVmVyc2lvbjogdjEKa2luZDogQ29uZmlnCiMgcmVkYWN0ZWQgZm9yIHRoZSB0ZXN0Cg=="},
            "metadata": meta("Secret", f"istio-remote-secret-{cluster}", "istio-system", {"istio/multiCluster": "true"},
                             {"networking.istio.io/cluster": cluster})}

def eastwest(network, ips, net_label=True):
    labels = {"app": "istio-eastwestgateway", "istio": "eastwestgateway"}
    if net_label: labels["topology.istio.io/network"] = network
    ports = [{"name": "status-port", "nodePort": 31021, "port": 15021, "protocol": "TCP", "targetPort": 15021},
             {"name": "tls", "nodePort": 31443, "port": 15443, "protocol": "TCP", "targetPort": 15443},
             {"name": "tls-istiod", "nodePort": 31012, "port": 15012, "protocol": "TCP", "targetPort": 15012},
             {"name": "tls-webhook", "nodePort": 31017, "port": 15017, "protocol": "TCP", "targetPort": 15017}]
    s = service("istio-eastwestgateway", "istio-system", 0, "10.96.200.10", selector=False, labels=labels, lb=ips, ports=ports, svc_type="LoadBalancer",
                extra={"selector": {"app": "istio-eastwestgateway", "istio": "eastwestgateway"}, "externalTrafficPolicy": "Cluster"})
    s["metadata"]["labels"].pop("service"); s["metadata"]["labels"]["app"] = "istio-eastwestgateway"
    return s

def istiod_service(remote_address=None):
    ports = [{"name": "grpc-xds", "port": 15010, "protocol": "TCP", "targetPort": 15010},
             {"name": "https-dns", "port": 15012, "protocol": "TCP", "targetPort": 15012},
             {"name": "https-webhook", "port": 443, "protocol": "TCP", "targetPort": 15017}]
    s = service("istiod", "istio-system", 0, "10.96.0.20", selector=remote_address is None, labels={"istio": "pilot"}, ports=ports)
    if remote_address is None:
        s["spec"]["selector"] = {"app": "istiod", "istio": "pilot"}
    return s

def istiod_endpoints(address):
    return {"apiVersion": "v1", "kind": "Endpoints", "metadata": meta("Endpoints", "istiod", "istio-system", {"istio": "pilot"}),
            "subsets": [{"addresses": [{"ip": address}], "ports": [{"name": "https-dns", "port": 15012, "protocol": "TCP"}, {"name": "https-webhook", "port": 15017, "protocol": "TCP"}]}]}

def event(ns, name):
    return {"apiVersion": "v1", "kind": "Event", "metadata": meta("Event", name, ns), "involvedObject": {"kind": "Pod", "name": name.split('.')[0], "namespace": ns},
            "reason": "Scheduled", "type": "Normal", "message": "Successfully assigned", "count": 1, "firstTimestamp": TS, "lastTimestamp": TS}

def dr(name, ns, spec):
    return {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": meta("DestinationRule", name, ns) | {"generation": 1}, "spec": spec}
def vs(name, ns, spec):
    return {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService", "metadata": meta("VirtualService", name, ns) | {"generation": 1}, "spec": spec}

def lst(items):
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}

def write(model, cluster, k8s, istio=None, header=None):
    d = os.path.join(OUT, model); os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"{cluster}.yaml"), "w") as f:
        if header: f.write(header)
        f.write(yaml.dump(lst(k8s), default_flow_style=False, sort_keys=True, width=1000))
        if istio is not None:
            f.write("---\n")
            f.write(yaml.dump(lst(istio), default_flow_style=False, sort_keys=True, width=1000))

def ns_sys(network=None, cp=None):
    return namespace("istio-system", {"topology.istio.io/network": network} if network else None,
                     {"topology.istio.io/controlPlaneClusters": cp} if cp else None)

def app_ns(name):
    return namespace(name, {"istio-injection": "enabled"})

HDR = "# kubectl get namespaces,nodes,pods,services,endpointslices,configmaps,secrets,deployments,replicasets -A -o yaml\n# (then, after ---) kubectl get destinationrules,virtualservices,serviceentries,workloadentries,sidecars -A -o yaml\n"

def workloads(svc, ns, port, specs, app=None):
    """specs: (pod name, version, ip, node, zone, state, sidecar)"""
    pods, eps = [], []
    for pname, ver, ip, nd, zone, state, sc in specs:
        pods.append(pod(pname, ns, app or svc, ver, ip, nd, sidecar=sc, ready=(state == "ready"), terminating=(state == "terminating")))
        eps.append((ip, nd, zone, pname, state))
    return pods, slice_(svc, ns, port, eps)

# ---------------------------------------------------------------- single-cluster
def single_cluster():
    nodes = [node("kind-worker", "region1", "zone-a", "172.18.0.2"), node("kind-worker2", "region1", "zone-b", "172.18.0.3"), node("kind-worker3", "region1", "zone-c", "172.18.0.4")]
    zn = {"kind-worker": "zone-a", "kind-worker2": "zone-b", "kind-worker3": "zone-c"}
    specs = [("httpbin-6f4b9d8c7d-2lqzm", None, "10.0.0.11", "kind-worker", "ready"),
             ("httpbin-6f4b9d8c7d-8rvtn", None, "10.0.0.12", "kind-worker2", "ready"),
             ("httpbin-6f4b9d8c7d-hx5kp", None, "10.0.0.13", "kind-worker3", "ready"),
             ("httpbin-6f4b9d8c7d-q9wzs", None, "10.0.0.14", "kind-worker", "notready"),
             ("httpbin-6f4b9d8c7d-v7mcx", None, "10.0.0.15", "kind-worker2", "terminating")]
    pods, sl = workloads("httpbin", "demo", 8000, [(p, v, ip, n, zn[n], st, True) for p, v, ip, n, st in specs])
    cpods, csl = workloads("curl", "demo", 80, [("curl-7d5c9b6d4b-xk2jq", None, "10.0.0.20", "kind-worker", "zone-a", "ready", True)])
    k8s = [ns_sys(), app_ns("demo"), namespace("default")] + nodes + pods + cpods + [
        service("httpbin", "demo", 8000, "10.96.12.40"), service("curl", "demo", 80, "10.96.12.41"), sl, csl,
        istiod(), istiod_service(), mesh_cm(), deployment("httpbin", "demo"), deployment("curl", "demo"),
        replicaset("httpbin-6f4b9d8c7d", "demo"), replicaset("curl-7d5c9b6d4b", "demo"),
        {"apiVersion": "v1", "kind": "ConfigMap", "data": {"ca.crt": "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n"}, "metadata": meta("ConfigMap", "kube-root-ca.crt", "demo")},
        event("demo", "httpbin-6f4b9d8c7d-2lqzm.18a3f2c1d0e4b5a6")]
    write("single-cluster", "kind", k8s, [], HDR)

# ---------------------------------------------------------------- multi-primary
def bookinfo_cluster(cluster, network, nodes, reviews, secrets, gw_ips=None, productpage=None, ew_network=None):
    k8s = [ns_sys(network), app_ns("bookinfo")] + nodes
    pods, sl = workloads("reviews", "bookinfo", 9080, reviews)
    k8s += pods + [service("reviews", "bookinfo", 9080, "10.96.30.10"), sl]
    if productpage:
        k8s.append(pod(productpage[0], "bookinfo", "productpage", "v1", productpage[1], productpage[2]))
    k8s += [istiod(), istiod_service(), mesh_cm()] + [remote_secret(s) for s in secrets]
    if gw_ips:
        k8s.append(eastwest(ew_network or network, gw_ips))
    k8s += [deployment("reviews-v1", "bookinfo"), replicaset("reviews-v1-5b6d8f7c9", "bookinfo")]
    return k8s

def multi_primary():
    east_nodes = [node("east-node-1", "us-east", "us-east-1a", "172.18.1.2"), node("east-node-2", "us-east", "us-east-1b", "172.18.1.3")]
    west_nodes = [node("west-node-1", "us-west", "us-west-1a", "172.18.2.2")]
    east = bookinfo_cluster("east", "net1", east_nodes,
        [("reviews-v1-5b6d8f7c9-aaaa1", "v1", "10.1.0.11", "east-node-1", "us-east-1a", "ready", True),
         ("reviews-v2-7f8b6c5d4-bbbb2", "v2", "10.1.0.12", "east-node-2", "us-east-1b", "ready", True)],
        ["west"], productpage=("productpage-v1-6c8d5f9b7-pp001", "10.1.0.50", "east-node-1"))
    west = bookinfo_cluster("west", "net1", west_nodes,
        [("reviews-v1-5b6d8f7c9-cccc3", "v1", "10.2.0.21", "west-node-1", "us-west-1a", "ready", True),
         ("reviews-v3-9d7c6b5a4-dddd4", "v3", "10.2.0.22", "west-node-1", "us-west-1a", "ready", True)], ["east"])
    write("multi-primary", "east", east, [], HDR)
    write("multi-primary", "west", west, [], HDR)

def multi_network():
    east_nodes = [node("east-node-1", "us-east", "us-east-1a", "172.18.1.2")]
    west_nodes = [node("west-node-1", "us-west", "us-west-1a", "172.18.2.2")]
    east = bookinfo_cluster("east", "net1", east_nodes,
        [("reviews-v1-5b6d8f7c9-aaaa1", "v1", "10.1.0.11", "east-node-1", "us-east-1a", "ready", True),
         ("reviews-v2-7f8b6c5d4-bbbb2", "v2", "10.1.0.12", "east-node-1", "us-east-1a", "ready", True)],
        ["west"], gw_ips=["192.0.2.10"], productpage=("productpage-v1-6c8d5f9b7-pp001", "10.1.0.50", "east-node-1"))
    west = bookinfo_cluster("west", "net2", west_nodes,
        [("reviews-v1-5b6d8f7c9-cccc3", "v1", "10.2.0.21", "west-node-1", "us-west-1a", "ready", True),
         ("reviews-v2-7f8b6c5d4-dddd4", "v2", "10.2.0.22", "west-node-1", "us-west-1a", "ready", True),
         ("reviews-v3-9d7c6b5a4-eeee5", "v3", "10.2.0.23", "west-node-1", "us-west-1a", "ready", True),
         ("reviews-v3-9d7c6b5a4-ffff6", "v3", "10.2.0.24", "west-node-1", "us-west-1a", "ready", False)],
        ["east"], gw_ips=["192.0.2.20", "192.0.2.21"])
    write("multi-network", "east", east, [], HDR)
    write("multi-network", "west", west, [], HDR)

# ---------------------------------------------------------------- primary-remote
def primary_remote():
    pn = [node("primary-node-1", "eu-west", "eu-west-1a", "172.18.1.2")]
    rn = [node("remote-node-1", "eu-west", "eu-west-1b", "172.18.2.2")]
    ppods, psl = workloads("ratings", "bookinfo", 9080, [("ratings-v1-5d8b7c6f9-aaaa1", "v1", "10.10.0.5", "primary-node-1", "eu-west-1a", "ready", True)])
    rpods, rsl = workloads("ratings", "bookinfo", 9080, [("ratings-v1-5d8b7c6f9-bbbb2", "v1", "10.20.0.5", "remote-node-1", "eu-west-1b", "ready", True),
                                                          ("ratings-v1-5d8b7c6f9-cccc3", "v1", "10.20.0.6", "remote-node-1", "eu-west-1b", "ready", True)])
    # The primary exposes istiod through an east-west gateway without a network label
    # (one network): not a mesh gateway, only the remote's discovery address.
    primary = [ns_sys(), app_ns("bookinfo")] + pn + ppods + [service("ratings", "bookinfo", 9080, "10.96.30.20"), psl,
               istiod(), istiod_service(), mesh_cm(), remote_secret("remote"), eastwest("", ["192.0.2.1"], net_label=False),
               deployment("ratings-v1", "bookinfo")]
    primary_istio = [dr("ratings", "bookinfo", {"host": "ratings.bookinfo.svc.cluster.local", "trafficPolicy": {"loadBalancer": {"simple": "ROUND_ROBIN"}}}),
                     {"apiVersion": "networking.istio.io/v1", "kind": "Gateway", "metadata": meta("Gateway", "istiod-gateway", "istio-system"),
                      "spec": {"selector": {"istio": "eastwestgateway"}, "servers": [{"hosts": ["*"], "port": {"name": "tls-istiod", "number": 15012, "protocol": "tls"}, "tls": {"mode": "PASSTHROUGH"}}]}},
                     vs("istiod-vs", "istio-system", {"gateways": ["istiod-gateway"], "hosts": ["*"],
                         "tls": [{"match": [{"port": 15012, "sniHosts": ["*"]}], "route": [{"destination": {"host": "istiod.istio-system.svc.cluster.local", "port": {"number": 15012}}}]}]})]
    remote = [ns_sys(cp="primary"), app_ns("bookinfo")] + rn + rpods + [
        pod("productpage-v1-6c8d5f9b7-pp001", "bookinfo", "productpage", "v1", "10.20.0.50", "remote-node-1"),
        service("ratings", "bookinfo", 9080, "10.96.30.21"), rsl, istiod_service("192.0.2.1"), istiod_endpoints("192.0.2.1"), mesh_cm(),
        deployment("ratings-v1", "bookinfo")]
    remote_istio = [dr("ratings", "bookinfo", {"host": "ratings.bookinfo.svc.cluster.local", "trafficPolicy": {
        "loadBalancer": {"simple": "RANDOM", "localityLbSetting": {"enabled": True, "failover": [{"from": "eu-west", "to": "eu-central"}]}},
        "outlierDetection": {"consecutive5xxErrors": 1, "interval": "1s", "baseEjectionTime": "1m"}}})]
    write("primary-remote", "primary", primary, primary_istio, HDR)
    write("primary-remote", "remote", remote, remote_istio, HDR)

# ---------------------------------------------------------------- external control plane
def external():
    def hello(cluster, idx, nodes, specs, extra, istio_objs, remote=True):
        pods, sl = workloads("helloworld", "sample", 5000, specs)
        k8s = [ns_sys(), app_ns("sample")] + nodes + pods + [service("helloworld", "sample", 5000, f"10.96.40.{idx}"), sl] + extra
        if remote:
            k8s += [istiod_service("172.18.0.100"), istiod_endpoints("172.18.0.100"), mesh_cm()]
        else:
            k8s += [istiod(), istiod_service(), mesh_cm()]
        write("external-control-plane", cluster, k8s, istio_objs, HDR)
    hello("cluster1", 1, [node("c1-node", "region1", "zone1", "172.18.1.2")],
          [("helloworld-v1-7b9d6f8c5-aaaa1", "v1", "10.1.0.10", "c1-node", "zone1", "ready", True)],
          [pod("curl-5d6c8b7f9-cu001", "sample", "curl", None, "10.1.0.50", "c1-node")],
          [dr("helloworld", "sample", {"host": "helloworld.sample.svc.cluster.local", "trafficPolicy": {"loadBalancer": {"simple": "ROUND_ROBIN"}}})])
    hello("cluster2", 2, [node("c2-node", "region1", "zone2", "172.18.2.2")],
          [("helloworld-v1-7b9d6f8c5-bbbb2", "v1", "10.2.0.10", "c2-node", "zone2", "ready", True),
           ("helloworld-v2-6c8d7e9f1-cccc3", "v2", "10.2.0.11", "c2-node", "zone2", "ready", True)], [], [])
    hello("cluster3", 3, [node("c3-node", "region2", "zone3", "172.18.3.2")],
          [("helloworld-v2-6c8d7e9f1-dddd4", "v2", "10.3.0.10", "c3-node", "zone3", "ready", True)], [], [], remote=False)

# ---------------------------------------------------------------- blue/green
def checkout_cluster(model, cluster, nodes, specs, istio_objs, base_ip):
    pods, sl = workloads("checkout", "shop", 8080, specs)
    k8s = [ns_sys(), app_ns("shop")] + nodes + pods + [
        pod("frontend-8c7b6d5f4-fr001", "shop", "frontend", None, base_ip, nodes[0]["metadata"]["name"]),
        service("checkout", "shop", 8080, "10.96.50.10"), sl, istiod(), istiod_service(), mesh_cm(),
        deployment("checkout", "shop"), deployment("frontend", "shop")]
    write(model, cluster, k8s, istio_objs, HDR)

def blue_green():
    nodes = [node("prod-node-1", "region1", "zone1", "172.18.1.2"), node("prod-node-2", "region1", "zone2", "172.18.1.3")]
    specs = [("checkout-blue-5b6d8f7c9-aaaa1", "blue", "10.0.0.1", "prod-node-1", "zone1", "ready", True),
             ("checkout-blue-5b6d8f7c9-bbbb2", "blue", "10.0.0.2", "prod-node-2", "zone2", "ready", True),
             ("checkout-green-7c8d9e6f5-cccc3", "green", "10.0.0.3", "prod-node-1", "zone1", "ready", True),
             ("checkout-v0-4b5c6d7e8-dddd4", "v0", "10.0.0.4", "prod-node-2", "zone2", "ready", True)]
    istio_objs = [dr("checkout", "shop", {"host": "checkout.shop.svc.cluster.local", "trafficPolicy": {"loadBalancer": {"simple": "ROUND_ROBIN"}},
                                          "subsets": [{"name": "blue", "labels": {"version": "blue"}}, {"name": "green", "labels": {"version": "green"}}]}),
                  vs("checkout", "shop", {"hosts": ["checkout.shop.svc.cluster.local"], "http": [{"route": [
                      {"destination": {"host": "checkout.shop.svc.cluster.local", "subset": "blue"}, "weight": 90},
                      {"destination": {"host": "checkout.shop.svc.cluster.local", "subset": "green"}, "weight": 10}]}]})]
    checkout_cluster("blue-green-subsets", "prod", nodes, specs, istio_objs, "10.0.0.50")
    for cluster, octet in (("blue", 1), ("green", 2)):
        nodes = [node(f"{cluster}-node-1", "region1", "zone1", f"172.18.{octet}.2"), node(f"{cluster}-node-2", "region1", "zone2", f"172.18.{octet}.3")]
        specs = [(f"checkout-5b6d8f7c9-{cluster}1", None, f"10.0.{octet}.1", f"{cluster}-node-1", "zone1", "ready", True),
                 (f"checkout-5b6d8f7c9-{cluster}2", None, f"10.0.{octet}.2", f"{cluster}-node-2", "zone2", "ready", True)]
        checkout_cluster("blue-green-secrets", cluster, nodes, specs, [], f"10.0.{octet}.50")

# ---------------------------------------------------------------- two meshes
def meshes(model, trusted):
    an = [node("a-node-1", "eu-west", "eu-west-1a", "172.18.1.2")]
    bn = [node("b-node-1", "eu-central", "eu-central-1a", "172.18.2.2")]
    extra = ""
    if trusted:
        extra = "caCertificates:\n- pem: |\n    -----BEGIN CERTIFICATE-----\n    MIIB (mesh-b's root, elided)\n    -----END CERTIFICATE-----\n  trustDomains:\n  - b.example\n"
    a = [ns_sys("net-a"), app_ns("shop"), app_ns("billing")] + an + [
        pod("checkout-5b6d8f7c9-ch001", "shop", "checkout", None, "10.10.0.50", "a-node-1"),
        service("payments", "billing", 8443, "10.96.60.10", selector=False),
        istiod(), istiod_service(), mesh_cm("mesh-a", "a.example", extra=extra), eastwest("net-a", ["192.0.2.40"])]
    pods, sl = workloads("payments", "billing", 8443, [("payments-7c6d5b8f9-aaaa1", None, "10.20.0.5", "b-node-1", "eu-central-1a", "ready", True),
                                                      ("payments-7c6d5b8f9-bbbb2", None, "10.20.0.6", "b-node-1", "eu-central-1a", "ready", True)])
    b = [ns_sys("net-b"), app_ns("billing")] + bn + pods + [service("payments", "billing", 8443, "10.96.61.10"), sl,
         istiod(), istiod_service(), mesh_cm("mesh-b", "b.example"), eastwest("net-b", ["192.0.2.50"])]
    write(model, "cluster-a", a, [], HDR)
    write(model, "cluster-b", b, [], HDR)

single_cluster(); multi_primary(); multi_network(); primary_remote(); external(); blue_green(); meshes("meshes-trusted", True); meshes("meshes-untrusted", False)
