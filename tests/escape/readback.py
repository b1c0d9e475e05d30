#!/usr/bin/python3
"""Reads back every output the escaping test accepted, with readers that are not ours:
PyYAML (a YAML 1.1 reader) for YAML, Python's json module for JSON. Each case must
parse, keep exactly its keys, and give back the value byte for byte.

Usage: readback.py CASES_FILE  (written by test_escape)"""
import json
import sys

try:
    import yaml
except ImportError:
    print("escape read-back (PyYAML, json): skipped (python3-yaml is not installed)")
    sys.exit(0)

passed = failed = 0


def follow(root, path):
    v = root
    for part in path:
        if isinstance(v, list):
            v = v[int(part)]
        else:
            v = v[part]
    return v


def text(hexed):
    return b"" if hexed == "-" else bytes.fromhex(hexed)


for line in open(sys.argv[1], encoding="ascii"):
    fmt, keys, path, expected_hex, output_hex, name = line.rstrip("\n").split(" ", 5)
    if fmt not in ("yaml", "json"):
        continue
    expected = text(expected_hex).decode("utf-8", errors="surrogateescape")
    output = text(output_hex).decode("utf-8")
    try:
        if fmt == "yaml":
            root = yaml.load(output, Loader=yaml.SafeLoader)
        else:
            root = json.loads(output)
        got_keys = list(root.keys())
        want_keys = keys.split("|") if keys != "-" else [expected, "z"]
        assert [str(k) for k in got_keys] == want_keys, f"keys {got_keys!r} != {want_keys!r}"
        assert all(isinstance(k, str) for k in got_keys), f"a key is not a string: {got_keys!r}"
        if path != "-":
            value = follow(root, path.split(","))
            assert isinstance(value, str), f"value is {type(value).__name__} {value!r}, not a string"
            assert value == expected, f"{value!r} != {expected!r}"
        passed += 1
    except Exception as e:  # noqa: BLE001 - every failure is reported the same way
        failed += 1
        print(f"FAIL {name}: {e}\n  output: {output!r}", file=sys.stderr)

print(f"escape read-back (PyYAML, json): {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
