"""Seed 003's rules on examples/hybrid/out: every app on both clusters (an Argo CD
Application per cluster per app, DigitalOcean primary and Talos failover), and per app an
HPA, a PodDisruptionBudget, a NetworkPolicy, RBAC (Role and RoleBinding) and a
ResourceQuota that fit the Deployment they govern."""
import glob
import ipaddress
import os
import sys

import yaml

from rules import expect, finish, load as load_objects

example = sys.argv[1]
out = os.path.join(example, "out")


def load(*parts):
    return load_objects(out, *parts)


with open(os.path.join(example, "templates", "stamp.yaml")) as f:
    manifest = yaml.safe_load(f)
clusters = manifest["platform"]["clusters"]
expect(sorted(c["role"] for c in clusters) == ["failover", "primary"], "a primary and a failover cluster")
expect(any("ondigitalocean.com" in c["server"] for c in clusters if c["role"] == "primary"), "DOKS is the primary")

apps = sorted(os.path.basename(p)[:-5] for p in glob.glob(os.path.join(example, "customers", "*.yaml")))
with open(os.path.join(out, "argocd", "kustomization.yaml")) as f:
    expect(yaml.safe_load(f)["resources"] == [a + ".yaml" for a in apps], "the app of apps lists every app")
for app in apps:
    with open(os.path.join(example, "customers", app + ".yaml")) as f:
        spec = yaml.safe_load(f)
    plan = manifest["plans"][spec.get("plan", "small")]
    applications = load("argocd", app + ".yaml")
    expect(sorted(a["spec"]["destination"]["server"] for a in applications) == sorted(c["server"] for c in clusters),
           "%s: one Application per cluster" % app)
    expect(all(a["spec"]["source"]["path"] == "out/apps/" + app for a in applications),
           "%s: every cluster syncs the same manifests" % app)
    expect(len({a["metadata"]["name"] for a in applications}) == len(clusters), "%s: Application names differ" % app)

    deployment = load("apps", app, "deployment.yaml")[0]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    expect("replicas" not in deployment["spec"], "%s: replicas left to the HPA" % app)
    hpa = load("apps", app, "hpa.yaml")[0]
    expect(hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": app},
           "%s: the HPA scales the Deployment" % app)
    expect((hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (plan["min_replicas"], plan["max_replicas"]),
           "%s: HPA bounds from the plan" % app)
    pdb = load("apps", app, "pdb.yaml")[0]
    expect(all(labels.get(k) == v for k, v in pdb["spec"]["selector"]["matchLabels"].items()),
           "%s: the PDB selects the app's pods" % app)
    expect(pdb["spec"].get("maxUnavailable") == 1 or pdb["spec"].get("minAvailable") is not None,
           "%s: the PDB limits disruption" % app)

    sa = deployment["spec"]["template"]["spec"]["serviceAccountName"]
    role = load("apps", app, "role.yaml")[0]
    bindings = load("apps", app, "rolebinding.yaml")
    expect(any(b["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role["metadata"]["name"]}
               and {"kind": "ServiceAccount", "name": sa, "namespace": app} in b["subjects"] for b in bindings),
           "%s: a RoleBinding gives the pods' service account its Role" % app)
    expect(all(r["verbs"] and set(r["verbs"]) <= {"get", "list", "watch"} for r in role["rules"]),
           "%s: the Role only reads" % app)

    quota = load("apps", app, "resourcequota.yaml")[0]
    expect(quota["spec"]["hard"]["pods"] == plan["quota"]["pods"], "%s: the quota from the plan" % app)

    policy = load("apps", app, "networkpolicy.yaml")[0]["spec"]
    expect(sorted(policy["policyTypes"]) == ["Egress", "Ingress"] and policy["podSelector"] == {},
           "%s: the policy covers every pod, both directions" % app)
    expect(policy["ingress"] == [{"from": [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}},
        {"podSelector": {}}]}], "%s: ingress only from the ingress controller and the namespace" % app)
    metadata = ipaddress.ip_address("169.254.169.254")
    for rule in policy["egress"]:
        for peer in rule.get("to", []):
            block = peer.get("ipBlock")
            if not block:
                continue
            allowed = ipaddress.ip_network(block["cidr"])
            excepted = [ipaddress.ip_network(e) for e in block.get("except", [])]
            expect(metadata not in allowed or any(metadata in e for e in excepted),
                   "%s: never the metadata endpoint" % app)
            if allowed.prefixlen == 0:
                for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"):
                    expect(any(ipaddress.ip_network(net).subnet_of(e) for e in excepted),
                           "%s: the internet rule excludes %s" % (app, net))
            else:
                expect(rule.get("ports"), "%s: a private range only on named ports" % app)

finish("hybrid")
