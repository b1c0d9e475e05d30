"""Seed 004's rules on examples/mcpdeploy/out: namespaces dp-{user}-{project}, several
services per project, every pod under gVisor, images named
registry.internal:5000/dp-{user}-{project}/{service}:{sha}, the NetworkPolicy exactly as
the seed states it, custom domains through cert-manager HTTP-01."""
import glob
import ipaddress
import os
import sys

import yaml

from rules import expect, finish, load

example = sys.argv[1]

specs = {}
for path in sorted(glob.glob(os.path.join(example, "customers", "*.yaml"))):
    with open(path) as f:
        specs[os.path.basename(path)[:-5]] = yaml.safe_load(f)
expect(any(len(s["services"]) > 1 for s in specs.values()), "some project has several services")

runtime = load(os.path.join(example, "out", "cluster", "runtimeclass.yaml"))[0]
expect(runtime["kind"] == "RuntimeClass" and runtime["metadata"]["name"] == "gvisor", "a gvisor RuntimeClass")
expect(runtime["handler"] == "runsc", "gVisor's runsc handler")
expect(runtime.get("scheduling", {}).get("nodeSelector"), "the RuntimeClass pins pods to the run pool")

issuers = {o["metadata"]["name"]: o for o in load(os.path.join(example, "out", "cluster", "certificates.yaml"))
           if o["kind"] == "ClusterIssuer"}
expect("http01" in issuers["letsencrypt-prod"]["spec"]["acme"]["solvers"][0], "letsencrypt-prod solves HTTP-01")

for project, spec in specs.items():
    out = os.path.join(example, "out", "projects", project)
    ns = "dp-%s-%s" % (spec["user"], spec["project"])
    namespace = load(os.path.join(out, "namespace.yaml"))[0]
    expect(namespace["metadata"]["name"] == ns, "%s: namespace %s" % (project, ns))
    deployments = {d["metadata"]["name"]: d for d in load(os.path.join(out, "deployments.yaml"))}
    expect(sorted(deployments) == sorted(s["name"] for s in spec["services"]), "%s: a Deployment per service" % project)
    for service in spec["services"]:
        d = deployments.get(service["name"])
        if not d:
            continue
        pod = d["spec"]["template"]["spec"]
        expect(d["metadata"]["namespace"] == ns, "%s/%s: in %s" % (project, service["name"], ns))
        expect(pod.get("runtimeClassName") == "gvisor", "%s/%s: runtimeClassName gvisor" % (project, service["name"]))
        image = "registry.internal:5000/%s/%s:%s" % (ns, service["name"], service["sha"])
        expect([c["image"] for c in pod["containers"]] == [image], "%s/%s: image %s" % (project, service["name"], image))
    services = [s["metadata"]["name"] for s in load(os.path.join(out, "services.yaml"))]
    expect(sorted(services) == sorted(s["name"] for s in spec["services"]), "%s: a Service per service" % project)

    policy = load(os.path.join(out, "networkpolicy.yaml"))[0]
    ps = policy["spec"]
    expect(ps["podSelector"] == {} and sorted(ps["policyTypes"]) == ["Egress", "Ingress"],
           "%s: the policy covers every pod, both directions" % project)
    expect(ps["ingress"] == [{"from": [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "dp-system"}}},
        {"podSelector": {}}]}], "%s: ingress only from dp-system (Traefik) and the same namespace" % project)
    private = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]
    metadata = ipaddress.ip_address("169.254.169.254")
    dns = False
    for rule in ps["egress"]:
        peers = rule.get("to")
        if peers is None:
            ports = {(p["protocol"], p["port"]) for p in rule.get("ports", [])}
            dns = ports == {("UDP", 53), ("TCP", 53)}
            expect(dns, "%s: the only rule to anywhere is DNS on port 53" % project)
            continue
        for peer in peers:
            expect("namespaceSelector" not in peer, "%s: no egress to other namespaces" % project)
            block = peer.get("ipBlock")
            if block:
                excepted = [ipaddress.ip_network(e) for e in block.get("except", [])]
                allowed = ipaddress.ip_network(block["cidr"])
                for net in private:
                    expect(not allowed.overlaps(net) or any(net.subnet_of(e) for e in excepted),
                           "%s: egress never reaches %s" % (project, net))
                expect(metadata not in allowed or any(metadata in e for e in excepted),
                       "%s: egress never reaches the metadata IP" % project)
            elif "podSelector" in peer:
                expect(peer["podSelector"] == {}, "%s: egress to the namespace's own pods" % project)
    expect(dns, "%s: egress allows DNS" % project)

    ingresses = load(os.path.join(out, "ingresses.yaml"))
    for service in spec["services"]:
        for domain in service.get("domains", []):
            found = [i for i in ingresses if any(r["host"] == domain for r in i["spec"]["rules"])]
            expect(len(found) == 1, "%s: an Ingress for %s" % (project, domain))
            for i in found:
                expect(i["metadata"].get("annotations", {}).get("cert-manager.io/cluster-issuer") == "letsencrypt-prod",
                       "%s: %s gets its certificate from letsencrypt-prod" % (project, domain))
                expect(any(domain in t["hosts"] for t in i["spec"].get("tls", [])), "%s: TLS for %s" % (project, domain))
        if not service.get("public", True):
            expect(not any(r["backend"]["service"]["name"] == service["name"]
                           for i in ingresses for rule in i["spec"]["rules"] for r in rule["http"]["paths"]),
                   "%s: %s is not exposed" % (project, service["name"]))

finish("mcpdeploy")
