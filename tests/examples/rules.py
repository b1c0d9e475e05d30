"""Shared by the example rule checks: collect failed expectations, read rendered YAML
(a v1 List as its items), and end with one line and the exit status."""
import os
import sys

import yaml

failures = []


def expect(condition, what):
    if not condition:
        failures.append(what)


def load(*parts):
    """The objects of one rendered file: its items if it is a v1 List."""
    with open(os.path.join(*parts)) as f:
        doc = yaml.safe_load(f)
    return doc["items"] if doc.get("kind") == "List" and doc.get("apiVersion") == "v1" else [doc]


def finish(name):
    for f in failures:
        print("FAIL", f)
    print("%s rules: %d failed" % (name, len(failures)))
    sys.exit(1 if failures else 0)
