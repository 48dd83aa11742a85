#!/usr/bin/env python3
"""Checks docker-compose.yml where `docker compose config` is not available:
it parses as YAML, has the services the README names, and every variable it
uses or passes is one pricewatch reads (src/config.rs VARIABLES) or a
compose-only one (COMPOSE_ONLY), documented in .env.example. Prints one line
per problem and exits 1 if there is any."""
import re
import sys
from pathlib import Path

import yaml

root = Path(__file__).resolve().parent.parent
config = (root / "src/config.rs").read_text()


def const_list(name):
    m = re.search(r"pub const %s: &\[&str\] = &\[(.*?)\];" % name, config, re.S)
    return set(re.findall(r'"([A-Z0-9_]+)"', m.group(1))) if m else set()


variables = const_list("VARIABLES")
compose_only = const_list("COMPOSE_ONLY")
example = {
    line.split("=", 1)[0].strip()
    for line in (root / ".env.example").read_text().splitlines()
    if "=" in line and not line.startswith("#")
}
text = (root / "docker-compose.yml").read_text()
doc = yaml.safe_load(text)
problems = []
if not variables:
    problems.append("could not read VARIABLES from src/config.rs")

services = doc.get("services", {})
for name in ["postgres", "redis", "pricewatch", "worker"]:
    if name not in services:
        problems.append(f"service {name} is missing")
for name in ["pricewatch", "worker"]:
    svc = services.get(name, {})
    if svc.get("env_file") != ".env":
        problems.append(f"{name}: env_file must be .env")
    if svc.get("build") != ".":
        problems.append(f"{name}: must build from . (the Dockerfile)")
    for var in svc.get("environment", {}) or {}:
        if var not in variables:
            problems.append(f"{name}: {var} is not a variable pricewatch reads")
        if var not in example:
            problems.append(f"{name}: {var} is not in .env.example")
    for dep in svc.get("depends_on", {}) or {}:
        if dep not in services:
            problems.append(f"{name}: depends on unknown service {dep}")
if services.get("worker", {}).get("healthcheck", {}).get("disable") is not True:
    problems.append("worker: serves no HTTP, so the image's HEALTHCHECK must be disabled")
declared = set((doc.get("volumes") or {}).keys())
for name, svc in services.items():
    for vol in svc.get("volumes", []) or []:
        source = vol.split(":", 1)[0]
        if not source.startswith((".", "/")) and source not in declared:
            problems.append(f"{name}: volume {source} is not declared")
for var in re.findall(r"\$\{([A-Za-z0-9_]+)", text):
    if var not in variables and var not in compose_only:
        problems.append(f"${{{var}}} is neither a pricewatch nor a compose-only variable")
    if var not in example:
        problems.append(f"${{{var}}} is not documented in .env.example")

for p in problems:
    print(f"docker-compose.yml: {p}", file=sys.stderr)
if problems:
    sys.exit(1)
print(f"docker-compose.yml: {len(services)} services, variables agree with src/config.rs and .env.example")
