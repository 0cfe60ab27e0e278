//! The fields of every mapping a scenario has: meshlb's own sections exactly as listed, Istio's
//! messages with istio/api's field lists (accepted-but-unmodelled fields named in a note).

use meshlb::HealthStatus;

use crate::object::{Shape, Spelling};

const fn own(what: &'static str, modelled: &'static [&'static str]) -> Shape<'static> {
    Shape::own(what, modelled)
}

const fn istio(
    what: &'static str,
    modelled: &'static [&'static str],
    unmodelled: &'static [&'static str],
) -> Shape<'static> {
    Shape::proto(what, modelled, unmodelled)
}

pub(super) const SCENARIO: Shape<'static> = own(
    "the scenario",
    &[
        "istioVersion",
        "meshes",
        "externalControlPlanes",
        "clusters",
        "networks",
        "services",
        "workloads",
        "config",
        "client",
        "request",
    ],
);
pub(super) const MESH: Shape<'static> =
    own("a mesh", &["id", "trustDomain", "trustBundles", "imports"]);
pub(super) const IMPORT: Shape<'static> = own("a federated import", &["mesh", "service"]);
pub(super) const EXTERNAL_CP: Shape<'static> = own(
    "an external control plane",
    &["name", "configCluster", "remoteSecrets"],
);
pub(super) const CLUSTER: Shape<'static> = own(
    "a cluster",
    &[
        "name",
        "mesh",
        "network",
        "controlPlane",
        "remoteSecrets",
        "dnsProxy",
        "meshConfig",
    ],
);
pub(super) const MESH_CONFIG: Shape<'static> = istio(
    "MeshConfig",
    &[
        "localityLbSetting",
        "serviceSettings",
        "outboundTrafficPolicy",
        "rootNamespace",
    ],
    &[
        "proxyListenPort",
        "proxyInboundListenPort",
        "proxyHttpPort",
        "connectTimeout",
        "hboneIdleTimeout",
        "protocolDetectionTimeout",
        "tcpKeepalive",
        "ingressClass",
        "ingressService",
        "ingressControllerMode",
        "ingressSelector",
        "enableTracing",
        "accessLogFile",
        "accessLogFormat",
        "accessLogEncoding",
        "enableEnvoyAccessLogService",
        "disableEnvoyListenerLog",
        "defaultConfig",
        "inboundTrafficPolicy",
        "configSources",
        "enableAutoMtls",
        "trustDomain",
        "trustDomainAliases",
        "caCertificates",
        "defaultServiceExportTo",
        "defaultVirtualServiceExportTo",
        "defaultDestinationRuleExportTo",
        "zoneAwareLbSetting",
        "dnsRefreshRate",
        "h2UpgradePolicy",
        "inboundClusterStatName",
        "outboundClusterStatName",
        "certificates",
        "serviceScopeConfigs",
        "enablePrometheusMerge",
        "verifyCertificateAtClient",
        "ca",
        "extensionProviders",
        "defaultProviders",
        "discoverySelectors",
        "pathNormalization",
        "defaultHttpRetryPolicy",
        "defaultInboundHttpRetryPolicy",
        "meshMTLS",
        "tlsDefaults",
        "defaultTrafficPolicy",
        "serviceEntryVisibility",
    ],
);
pub(super) const SERVICE_SETTINGS: Shape<'static> =
    istio("MeshConfig.ServiceSettings", &["settings", "hosts"], &[]);
pub(super) const SETTINGS: Shape<'static> = istio(
    "MeshConfig.ServiceSettings.Settings",
    &["clusterLocal"],
    &[],
);
pub(super) const NETWORK: Shape<'static> = own("a network", &["name", "gateways"]);
pub(super) const GATEWAY: Shape<'static> = own("a gateway", &["address", "port", "cluster"]);
pub(super) const SERVICE: Shape<'static> = own(
    "a Service",
    &[
        "name",
        "namespace",
        "clusters",
        "ports",
        "exportTo",
        "trafficDistribution",
    ],
);
pub(super) const WORKLOAD: Shape<'static> = own(
    "a workload",
    &[
        "service",
        "cluster",
        "address",
        "port",
        "locality",
        "network",
        "labels",
        "health",
        "weight",
        "sidecar",
        "terminating",
    ],
);
pub(super) const CONFIG: Shape<'static> = own("a cluster's config", &["cluster", "resources"]);
pub(super) const CLIENT: Shape<'static> = own(
    "the client",
    &["cluster", "namespace", "locality", "labels"],
);
pub(super) const REQUEST: Shape<'static> = own(
    "the request",
    &["host", "port", "headers", "path", "method"],
);

pub(super) const RESOURCE: Shape<'static> = Shape {
    what: "an Istio resource",
    modelled: &["apiVersion", "kind", "metadata", "spec"],
    unmodelled: &["status"],
    spelling: Spelling::Exact,
};
pub(super) const METADATA: Shape<'static> = Shape {
    what: "ObjectMeta",
    modelled: &["name", "namespace"],
    unmodelled: &[
        "generateName",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    ],
    spelling: Spelling::Exact,
};
pub(super) const DESTINATION_RULE: Shape<'static> = istio(
    "DestinationRule",
    &["host", "trafficPolicy", "subsets", "exportTo"],
    &["workloadSelector"],
);
pub(super) const TRAFFIC_POLICY: Shape<'static> = istio(
    "TrafficPolicy",
    &[
        "loadBalancer",
        "outlierDetection",
        "tls",
        "portLevelSettings",
    ],
    &["connectionPool", "tunnel", "proxyProtocol", "retryBudget"],
);
pub(super) const PORT_POLICY: Shape<'static> = istio(
    "TrafficPolicy.PortTrafficPolicy",
    &["port", "loadBalancer", "outlierDetection", "tls"],
    &["connectionPool"],
);
pub(super) const PORT_SELECTOR: Shape<'static> = istio("PortSelector", &["number"], &[]);
pub(super) const LOAD_BALANCER: Shape<'static> = istio(
    "LoadBalancerSettings",
    &["simple", "consistentHash", "localityLbSetting"],
    &["zoneAwareLbSetting", "warmupDurationSecs", "warmup"],
);
pub(super) const CONSISTENT_HASH: Shape<'static> = istio(
    "LoadBalancerSettings.ConsistentHashLB",
    &["ringHash", "maglev", "minimumRingSize"],
    &[
        "httpHeaderName",
        "httpCookie",
        "useSourceIp",
        "httpQueryParameterName",
    ],
);
pub(super) const RING_HASH: Shape<'static> =
    istio("ConsistentHashLB.RingHash", &["minimumRingSize"], &[]);
pub(super) const MAGLEV: Shape<'static> = istio("ConsistentHashLB.MagLev", &["tableSize"], &[]);
pub(super) const LOCALITY_LB: Shape<'static> = istio(
    "LocalityLoadBalancerSetting",
    &["distribute", "failover", "failoverPriority", "enabled"],
    &[],
);
pub(super) const DISTRIBUTE: Shape<'static> = istio(
    "LocalityLoadBalancerSetting.Distribute",
    &["from", "to"],
    &[],
);
pub(super) const FAILOVER: Shape<'static> =
    istio("LocalityLoadBalancerSetting.Failover", &["from", "to"], &[]);
pub(super) const OUTLIER: Shape<'static> = istio(
    "OutlierDetection",
    &["minHealthPercent"],
    &[
        "consecutiveErrors",
        "splitExternalLocalOriginErrors",
        "consecutiveLocalOriginFailures",
        "consecutiveGatewayErrors",
        "consecutive5xxErrors",
        "interval",
        "baseEjectionTime",
        "maxEjectionPercent",
        "outlierDetectionHttpErrorCodes",
    ],
);
pub(super) const TLS: Shape<'static> = istio(
    "ClientTLSSettings",
    &["mode"],
    &[
        "clientCertificate",
        "privateKey",
        "caCertificates",
        "credentialName",
        "subjectAltNames",
        "sni",
        "insecureSkipVerify",
        "caCrl",
    ],
);
pub(super) const SUBSET: Shape<'static> =
    istio("Subset", &["name", "labels", "trafficPolicy"], &[]);
pub(super) const VIRTUAL_SERVICE: Shape<'static> = istio(
    "VirtualService",
    &["hosts", "http", "exportTo", "gateways"],
    &["tls", "tcp"],
);
pub(super) const HTTP_MATCH: Shape<'static> = istio(
    "HTTPMatchRequest",
    &[
        "name",
        "uri",
        "method",
        "headers",
        "port",
        "sourceLabels",
        "gateways",
        "queryParams",
        "ignoreUriCase",
        "withoutHeaders",
        "sourceNamespace",
    ],
    &["scheme", "authority", "statPrefix"],
);
pub(super) const STRING_MATCH: Shape<'static> =
    istio("StringMatch", &["exact", "prefix", "regex"], &[]);
pub(super) const SIDECAR: Shape<'static> = istio(
    "Sidecar",
    &["workloadSelector", "egress", "outboundTrafficPolicy"],
    &["ingress", "inboundConnectionPool"],
);
pub(super) const EGRESS_LISTENER: Shape<'static> = istio(
    "IstioEgressListener",
    &["port", "hosts"],
    &["bind", "captureMode"],
);
pub(super) const SIDECAR_PORT: Shape<'static> = istio(
    "SidecarPort",
    &["number", "protocol"],
    &["name", "targetPort"],
);
pub(super) const OUTBOUND_POLICY: Shape<'static> =
    istio("OutboundTrafficPolicy", &["mode"], &["egressProxy"]);
pub(super) const MESH_OUTBOUND_POLICY: Shape<'static> =
    istio("MeshConfig.OutboundTrafficPolicy", &["mode"], &[]);
pub(super) const HTTP_ROUTE: Shape<'static> = istio(
    "HTTPRoute",
    &["name", "match", "route"],
    &[
        "redirect",
        "directResponse",
        "delegate",
        "rewrite",
        "timeout",
        "retries",
        "fault",
        "mirror",
        "mirrors",
        "mirrorPercent",
        "mirrorPercentage",
        "corsPolicy",
        "headers",
    ],
);
pub(super) const ROUTE_DESTINATION: Shape<'static> = istio(
    "HTTPRouteDestination",
    &["destination", "weight"],
    &["headers"],
);
pub(super) const DESTINATION: Shape<'static> =
    istio("Destination", &["host", "subset", "port"], &[]);
pub(super) const SERVICE_ENTRY: Shape<'static> = istio(
    "ServiceEntry",
    &[
        "hosts",
        "ports",
        "location",
        "resolution",
        "endpoints",
        "workloadSelector",
        "exportTo",
    ],
    &["addresses", "subjectAltNames"],
);
pub(super) const SERVICE_PORT: Shape<'static> = istio(
    "ServicePort",
    &["number", "name", "targetPort"],
    &["protocol"],
);
pub(super) const WORKLOAD_SELECTOR: Shape<'static> = istio("WorkloadSelector", &["labels"], &[]);
pub(super) const WORKLOAD_ENTRY: Shape<'static> = istio(
    "WorkloadEntry",
    &[
        "address", "ports", "labels", "network", "locality", "weight",
    ],
    &["serviceAccount"],
);

pub(super) const API_VERSIONS: &[&str] = &[
    "networking.istio.io/v1",
    "networking.istio.io/v1beta1",
    "networking.istio.io/v1alpha3",
];
pub(super) const KINDS: &str =
    "DestinationRule, VirtualService, ServiceEntry, WorkloadEntry, Sidecar";

/// Health values of a workload, as written.
pub(super) const HEALTH: &[(&str, HealthStatus)] = &[
    ("HEALTHY", HealthStatus::Healthy),
    ("UNHEALTHY", HealthStatus::Unhealthy),
    ("DEGRADED", HealthStatus::Degraded),
    ("DRAINING", HealthStatus::Draining),
    ("TIMEOUT", HealthStatus::Timeout),
    ("UNKNOWN", HealthStatus::Unknown),
];
