#!/usr/bin/env python3
"""Validates scenario files against docs/scenario.schema.json, reading YAML with the
YAML 1.2 core schema (as editors' YAML language servers do): `yes` and `on` are text,
dates are text; only true/false, null, integers and floats are typed.

Usage: check-scenario-schema.py SCHEMA FILE...  Prints one line per invalid file
(FILE: path: message) and exits 1 if any is invalid, 0 otherwise."""
import json
import re
import sys

import jsonschema
import yaml


class CoreLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader with YAML 1.2 core-schema implicit types in place of 1.1's."""


CoreLoader.yaml_implicit_resolvers = {}
for tag, pattern, first in [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", "~nN"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     "-+0123456789."),
]:
    CoreLoader.add_implicit_resolver(tag, re.compile(pattern), list(first) if tag != "tag:yaml.org,2002:null" else list(first) + [""])


def construct_int(loader, node):
    text = loader.construct_scalar(node)
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text)


CoreLoader.add_constructor("tag:yaml.org,2002:int", construct_int)


def main():
    schema = json.load(open(sys.argv[1]))
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    for path in sys.argv[2:]:
        try:
            with open(path, encoding="utf-8") as f:
                doc = yaml.load(f, Loader=CoreLoader)
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            print(f"{path}: not YAML: {str(e).splitlines()[0]}")
            bad += 1
            continue
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        if errors:
            e = errors[0]
            where = "/".join(str(p) for p in e.absolute_path) or "(top)"
            print(f"{path}: {where}: {e.message[:300]}")
            bad += 1
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
