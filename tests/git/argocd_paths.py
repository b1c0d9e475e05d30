"""What Argo CD would read, checked against what git holds.

Usage: argocd_paths.py REPO REVISION DIR [TARGET]

Reads every YAML file under DIR ("" for the whole tree) at REVISION of the git
repository REPO, and for each Argo CD Application in it (also inside a kind: List)
checks that every source's path is a directory at that source's targetRevision, and
with TARGET that the targetRevision is TARGET (the branch Argo CD must read). For
each kustomization.yaml it checks that every resource exists beside it at REVISION.
Prints one line per problem and a count; exits 1 if there was a problem or nothing to
check, so a walk that finds no Application cannot pass by accident.
"""
import subprocess
import sys

import yaml


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], capture_output=True, text=True)


def kind_at(repo, revision, path):
    r = git(repo, "cat-file", "-t", f"{revision}:{path}")
    return r.stdout.strip() if r.returncode == 0 else None


def documents(text):
    for doc in yaml.safe_load_all(text):
        if isinstance(doc, dict) and doc.get("kind") == "List":
            yield from (item for item in doc.get("items") or [] if isinstance(item, dict))
        elif isinstance(doc, dict):
            yield doc


def main():
    repo, revision, top = sys.argv[1:4]
    expected = sys.argv[4] if len(sys.argv) > 4 else None
    listing = git(repo, "ls-tree", "-r", "--name-only", revision, "--", top or ".")
    if listing.returncode != 0:
        print(f"{revision}: {listing.stderr.strip()}")
        return 1
    problems, applications, kustomizations = [], 0, 0
    for name in listing.stdout.splitlines():
        if not name.endswith(".yaml"):
            continue
        text = git(repo, "show", f"{revision}:{name}").stdout
        for doc in documents(text):
            if doc.get("kind") == "Application" and str(doc.get("apiVersion", "")).startswith("argoproj.io/"):
                applications += 1
                spec = doc.get("spec") or {}
                sources = spec.get("sources") or [spec.get("source") or {}]
                for source in sources:
                    target, path = source.get("targetRevision"), source.get("path")
                    if not target or path is None:
                        problems.append(f"{revision}:{name}: an Application source without targetRevision or path")
                    elif expected and target != expected:
                        problems.append(f"{revision}:{name}: {doc['metadata']['name']} reads {target}, not {expected}")
                    elif kind_at(repo, target, path) != "tree":
                        problems.append(f"{revision}:{name}: {doc['metadata']['name']} reads {target}:{path}, "
                                        f"which is not a directory")
            elif doc.get("kind") == "Kustomization" and name.rsplit("/", 1)[-1] == "kustomization.yaml":
                kustomizations += 1
                here = name.rsplit("/", 1)[0] + "/" if "/" in name else ""
                for resource in doc.get("resources") or []:
                    if kind_at(repo, revision, here + resource) is None:
                        problems.append(f"{revision}:{name}: resource {resource} is not at {revision}")
    for p in problems:
        print(p)
    print(f"{revision}: {applications} Applications, {kustomizations} kustomizations, {len(problems)} problems")
    return 1 if problems or applications == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
