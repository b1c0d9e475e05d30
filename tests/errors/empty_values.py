"""No message prints "(null)", whatever a spec or a manifest holds.

Usage: empty_values.py STAMP TEMPLATE_SET_DIR...

For each template set (a directory holding templates/ and customers/), every field the
schema describes is given, in a spec of its own, each of the values below (empty, null,
missing, and every wrong type), and `stamp check` runs once over all of them. Then every
section of templates/stamp.yaml and every rule of every schema field is given the same
values, one run each. Every run must exit 1 (invalid input, never a crash or an
environment error), and every line it prints must be one diagnostic of the one form or a
summary, with no "(null)" anywhere. Prints what went wrong and exits 1 if anything did.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

EMPTY = "__stamp_empty__"
VALUES = [EMPTY, None, "", [], {}, 0, -1, True, 1.5, "x" * 300, {"a": {"b": [1]}}, [[1], {"k": None}],
          "caf\u00e9\u202e"]
FEW = [EMPTY, "", [], {}, 0]
LINE = re.compile(r'^(stamp|[^ :][^:]*(:[0-9]+:[0-9]+)?): (error|warning|note): |'
                  r'^stamp: ([0-9]+ errors?[ ;]|the template set has [0-9]+ errors?$|out/ is not in sync )')


def dump(doc):
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=1000)
    return re.sub(r"'?%s'?" % EMPTY, "", text)


def fields(rules, path=(), at=("schema",)):
    """Every field the schema describes: its path in a spec (a list item is [0], a map
    value [KEY]), its rule, and the rule's path in the manifest."""
    for name, rule in (rules or {}).items():
        yield from field(rule, path + (name,), at + (name,))


def field(rule, path, at):
    if not isinstance(rule, dict):
        return
    yield path, rule, at
    yield from fields(rule.get("fields") if isinstance(rule.get("fields"), dict) else {}, path, at + ("fields",))
    yield from field(rule.get("items"), path + (0,), at + ("items",))
    yield from field(rule.get("values"), path + ("KEY",), at + ("values",))


def set_at(doc, path, value):
    for k, step in enumerate(path[:-1]):
        nxt = path[k + 1]
        want = [] if isinstance(nxt, int) else {}
        if isinstance(doc, list):
            while len(doc) <= step:
                doc.append(type(want)())
            if not isinstance(doc[step], type(want)):
                doc[step] = want
            doc = doc[step]
        else:
            if not isinstance(doc.get(step), type(want)):
                doc[step] = want
            doc = doc[step]
    last = path[-1]
    if isinstance(doc, list):
        while len(doc) <= last:
            doc.append(None)
        if value is KeyError:
            del doc[last]
        else:
            doc[last] = value
    elif value is KeyError:
        doc.pop(last, None)
    else:
        doc[last] = value


def run(stamp, repo, problems, what):
    r = subprocess.run([stamp, "-C", repo, "-j", "2", "check"], capture_output=True, text=True,
                       env=dict(os.environ, NO_COLOR="1"), errors="replace")
    text = r.stdout + r.stderr
    if "(null)" in text:
        problems.append(f"{what}: prints (null): " + next(l for l in text.splitlines() if "(null)" in l))
    if r.returncode != 1:
        problems.append(f"{what}: exit {r.returncode}, not 1: {r.stderr.strip()[:300]}")
    for line in r.stderr.splitlines():
        if not LINE.match(line):
            problems.append(f"{what}: not of the one form: {line[:300]}")
            break
    return r


def main():
    stamp, sets = sys.argv[1], sys.argv[2:]
    problems, runs, specs = [], 0, 0
    for root in sets:
        name = os.path.basename(os.path.abspath(root)) or root
        manifest = yaml.safe_load(open(os.path.join(root, "templates", "stamp.yaml")))
        customers = sorted(f for f in os.listdir(os.path.join(root, "customers")) if f.endswith(".yaml"))
        base = yaml.safe_load(open(os.path.join(root, "customers", customers[0])))
        with tempfile.TemporaryDirectory() as work:
            shutil.copytree(os.path.join(root, "templates"), os.path.join(work, "templates"))
            os.mkdir(os.path.join(work, "customers"))
            n = 0
            for path, _, _ in fields(manifest.get("schema")):
                for value in VALUES + [KeyError]:
                    spec = yaml.safe_load(yaml.safe_dump(base))
                    set_at(spec, path, value)
                    n += 1
                    with open(os.path.join(work, "customers", "v%05d.yaml" % n), "w") as f:
                        f.write(dump(spec))
            specs += n
            runs += 1
            run(stamp, work, problems, f"{name}: {n} specs")
            shutil.rmtree(os.path.join(work, "customers"))
            os.mkdir(os.path.join(work, "customers"))
            with open(os.path.join(work, "customers", "a.yaml"), "w") as f:
                f.write(dump(base))
            mutations = [((section,), v) for section in manifest for v in VALUES]
            mutations += [(where + (rule,), v) for _, rules, where in fields(manifest.get("schema"))
                          for rule in rules for v in FEW]
            for path, value in mutations:
                doc = yaml.safe_load(yaml.safe_dump(manifest))
                try:
                    set_at(doc, path, value)
                except (TypeError, IndexError, KeyError, AttributeError):
                    continue
                with open(os.path.join(work, "templates", "stamp.yaml"), "w") as f:
                    f.write(dump(doc))
                runs += 1
                run(stamp, work, problems, f"{name}: templates/stamp.yaml with {'.'.join(map(str, path))} = {value!r}")
    for p in problems:
        print(p)
    print(f"empty values: {specs} specs and {runs} runs, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
