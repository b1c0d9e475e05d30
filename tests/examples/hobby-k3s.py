"""Seed 002's rules on examples/hobby-k3s/out: apps behind Traefik, a DNS-01 wildcard
certificate from a Cloudflare-solving ClusterIssuer, a SecretStore backed by Infisical in
every app namespace and an ExternalSecret per app reading from it, and a spec per app in
place of the apps/_template copy."""
import glob
import os
import re
import sys

import yaml

from rules import expect, finish, load as load_objects

example = sys.argv[1]
out = os.path.join(example, "out")


def load(*parts):
    return load_objects(out, *parts)[0]


with open(os.path.join(example, "templates", "stamp.yaml")) as f:
    platform = yaml.safe_load(f)["platform"]
domain = platform["domain"]

issuer = load("cluster", "clusterissuer.yaml")
solvers = issuer["spec"]["acme"]["solvers"]
expect(issuer["kind"] == "ClusterIssuer" and all("cloudflare" in s.get("dns01", {}) for s in solvers),
       "the ClusterIssuer solves DNS-01 through Cloudflare")
cert = load("cluster", "wildcard-certificate.yaml")
expect("*." + domain in cert["spec"]["dnsNames"], "a wildcard certificate for *.%s" % domain)
expect(cert["spec"]["issuerRef"] == {"kind": "ClusterIssuer", "name": issuer["metadata"]["name"]},
       "the wildcard comes from that issuer")
with open(os.path.join(out, "terraform", "apps.auto.tfvars")) as f:
    dns = f.read()

apps = sorted(os.path.basename(p)[:-5] for p in glob.glob(os.path.join(example, "customers", "*.yaml")))
expect(len(apps) >= 3, "at least three apps")
for app in apps:
    with open(os.path.join(example, "customers", app + ".yaml")) as f:
        spec = yaml.safe_load(f)
    files = sorted(os.listdir(os.path.join(out, "apps", app)))
    expect(files == ["configmap.yaml", "deployment.yaml", "externalsecret.yaml", "ingress.yaml",
                     "kustomization.yaml", "namespace.yaml", "secretstore.yaml", "service.yaml"],
           "%s: the whole app from one spec (got %s)" % (app, files))
    ns = load("apps", app, "namespace.yaml")["metadata"]["name"]
    store = load("apps", app, "secretstore.yaml")
    expect(store["kind"] == "SecretStore" and store["metadata"]["namespace"] == ns, "%s: a SecretStore in %s" % (app, ns))
    infisical = store["spec"]["provider"].get("infisical", {})
    expect(infisical.get("hostAPI", "").startswith("https://eu.infisical.com"), "%s: the store reads Infisical EU" % app)
    expect("universalAuthCredentials" in infisical.get("auth", {}), "%s: with Universal Auth" % app)
    es = load("apps", app, "externalsecret.yaml")
    expect(es["spec"]["secretStoreRef"] == {"kind": "SecretStore", "name": store["metadata"]["name"]},
           "%s: the ExternalSecret reads its namespace's store" % app)
    keys = {d["secretKey"]: d["remoteRef"]["key"] for d in es["spec"]["data"]}
    for env, key in (spec.get("secrets") or {}).items():
        expect(keys.get(env) == key, "%s: secret %s from Infisical's %s" % (app, env, key))
    deployment = load("apps", app, "deployment.yaml")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    image = "%s/%s:%s" % (platform["registry"], spec["image"].get("repository", app), spec["image"]["tag"])
    expect(container["image"] == image, "%s: image %s" % (app, image))
    expect({"secretRef": {"name": es["spec"]["target"]["name"]}} in container["envFrom"],
           "%s: the pod reads the synced Secret" % app)
    ingress = load("apps", app, "ingress.yaml")
    host = "%s.%s" % (spec.get("subdomain", app), domain)
    expect(ingress["spec"]["ingressClassName"] == "traefik", "%s: behind Traefik" % app)
    expect([r["host"] for r in ingress["spec"]["rules"]] == [host], "%s: served at %s" % (app, host))
    expect(ingress["spec"]["tls"] == [{"hosts": [host]}], "%s: TLS with the wildcard (no per-app certificate)" % app)
    expect(re.search(r'name\s*=\s*"%s"' % re.escape(host), dns), "%s: a DNS record for %s" % (app, host))

finish("hobby-k3s")
