#!/usr/bin/env python3
"""Checks the operations files against their documentation (run by Tests/Ops/run.sh):
  metrics   every fixture Tests/Ops/metrics/*.prom follows docs/metrics.md: family order, HELP and
            TYPE as documented, exactly the documented labels in the documented order, sorted
            samples, integer counters, no exponent, NaN or timestamp, the documented histogram
            buckets (cumulative, +Inf = _count), the codes that are always written (read from
            Sources/TSFMCore/Records/Codes.swift and TollamaConfigProblem.swift); the doc's example
            block equals its fixture; every documented family has an example;
  alerts    every metric ops/alerts.yml uses is documented; every runbook_url anchor is a
            heading of docs/ops-runbook.md;
  models    ops/models.json follows docs/models.md and covers the vendored tollama registry.
  outputs   with --outputs DIR: every DIR/*.prom a tool wrote is checked by the same rules as the
            fixtures (Tests/Ops/metrics-pipeline.sh runs the tools to make them).
Prints one line per check, 'ok …' or 'FAIL …'.
Usage: Tests/Ops/check.py [TOLLAMA_TARBALL] [--outputs DIR]"""
import glob, io, json, os, re, sys, tarfile

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../..")
args = sys.argv[1:]
outputs_dir = None
if "--outputs" in args:
    i = args.index("--outputs")
    outputs_dir = os.path.abspath(args[i + 1])
    del args[i:i + 2]
os.chdir(root)
results = []


def check(ok, what, why=""):
    results.append(ok)
    print(("ok   " if ok else "FAIL ") + what + ("" if ok or not why else ": " + why))


# ---- the contract, from docs/metrics.md
doc = open("docs/metrics.md", encoding="utf-8").read()
LABEL_ORDER = ["tool", "pipeline", "band_source", "pair", "step", "reason", "le"]
families, section_of = {}, {}
section = None
for line in doc.splitlines():
    if line.startswith("## "):
        section = line[3:].strip()
    m = re.match(r"^\| `(tsfm_[a-z0-9_]+)` \| (counter|gauge|histogram) \| ([a-z_, ]+) \| (.+) \|$", line)
    if m:
        name, typ, labels, help_ = m.groups()
        check(name not in families, f"metrics.md: {name} documented once")
        families[name] = (typ, [l.strip() for l in labels.split(",")], help_)
        section_of[name] = section
        check([l for l in LABEL_ORDER if l in families[name][1]] == families[name][1],
              f"metrics.md: {name}'s labels in the documented order")
        check(typ != "counter" or name.endswith("_total"), f"metrics.md: counter {name} ends in _total")
        check(typ == "counter" or not name.endswith("_total"), f"metrics.md: only counters end in _total ({name})")
check(len(families) >= 50, "metrics.md: the family tables parse", f"{len(families)} families")
m = re.search(r"Buckets, in seconds:\s*`([^`]+)`", doc)
BUCKETS = m.group(1).split() if m else []
check(BUCKETS[-1:] == ["+Inf"], "metrics.md: histogram buckets end in +Inf")

# Codes that are always written, from the sources.
codes = open("Sources/TSFMCore/Records/Codes.swift", encoding="utf-8").read()
fallback_codes = set(re.findall(r'FallbackReason\(rawValue: "([a-z_]+)"\)', codes))
prep_codes = set(re.findall(r'case (?:\w+ = "([a-z_]+)"|(\w+))$', codes.split("enum BaselineOnlyReason")[1].split("}")[0], re.M))
prep_codes = {a or re.sub(r"([A-Z])", lambda x: "_" + x.group(1).lower(), b) for a, b in prep_codes}
band_sources = {a or b for a, b in re.findall(r'case (?:\w+ = "([a-z_]+)"|(\w+))$', codes.split("enum BandSource")[1].split("}")[0], re.M)}
problems = open("Sources/TollamaClient/TollamaConfigProblem.swift", encoding="utf-8").read()
problem_codes = {a or b for a, b in re.findall(r'case (?:\w+ = "([a-z_]+)"|(\w+))$', problems.split("enum Kind")[1].split("}")[0], re.M)}
check(len(fallback_codes) == 11 and prep_codes == {"gap_too_long", "too_short", "illiquid", "stale"}
      and len(band_sources) == 4 and problem_codes == {"auth", "model_not_installed", "license_not_accepted"},
      "codes read from the sources", f"{fallback_codes} {prep_codes} {band_sources} {problem_codes}")
ALWAYS = {
    "tsfm_prep_ineligible_requests_total": ("reason", prep_codes),
    "tsfm_forecast_fallbacks_total": ("reason", fallback_codes),
    "tsfm_forecast_requests_total": ("band_source", {"tsfm_raw", "baseline"}),
    "tsfm_tollama_call_errors_total": ("reason", {"tollama_timeout", "tollama_unreachable", "tollama_invalid_response", "model_not_installed"}),
    "tsfm_tollama_config_problems_total": ("reason", problem_codes),
}
ALLOWED_REASONS = {
    "tsfm_prep_ineligible_requests_total": lambda r: r in prep_codes,
    "tsfm_forecast_fallbacks_total": lambda r: r in fallback_codes or re.fullmatch(r"tollama_http_[1-5][0-9][0-9]", r),
    "tsfm_tollama_call_errors_total": lambda r: r in ALWAYS["tsfm_tollama_call_errors_total"][1] or re.fullmatch(r"tollama_http_[1-5][0-9][0-9]", r),
    "tsfm_tollama_config_problems_total": lambda r: r in problem_codes,
}
FILE_SECTIONS = {
    "tsfm-prep": ["tsfm-prep"],
    "tsfm-prep actuals": [],
    "tsfm-forecast": ["tsfm-forecast"],
    "tsfm-post": ["Band guards: tsfm-post and tsfm-conformal apply"],
    "tsfm-conformal apply": ["Band guards: tsfm-post and tsfm-conformal apply", "tsfm-conformal apply"],
    "tsfm-conformal fit": ["tsfm-conformal fit", "tsfm_conformal_params_as_of_timestamp_seconds"],
    "tsfm-eval": ["tsfm-eval"],
    "tsfm-gate alerts": [],
}
COMMON = "Families written by every tool"

NUM = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$")
SAMPLE = re.compile(r'^([a-z_:][a-z0-9_:]*)\{([^}]*)\} (\S+)$')


def parse_labels(text):
    pairs = re.findall(r'([a-z_]+)="((?:[^"\\]|\\.)*)"(,|$)', text)
    rebuilt = ",".join(f'{k}="{v}"' for k, v, _ in pairs)
    return [(k, v) for k, v, _ in pairs] if rebuilt == text else None


def label_sort_key(labels):
    key = []
    for k, v in labels:
        if k == "step":
            key.append((0, int(v), ""))
        elif k == "le":
            key.append((0, float("inf") if v == "+Inf" else float(v), ""))
        else:
            key.append((1, 0, v))
    return key


seen_families = set()
fixture_paths = sorted(glob.glob("Tests/Ops/metrics/*.prom"))
output_paths = sorted(glob.glob(os.path.join(outputs_dir, "*.prom"))) if outputs_dir else []
for path in fixture_paths + output_paths:
    text = open(path, encoding="utf-8").read()
    name = os.path.basename(path)
    errors = []
    if not text.endswith("\n") or "\n\n" in text or "\r" in text:
        errors.append("line ends: \\n only, no blank line, final newline")
    lines = text.splitlines()
    fams, i, tool = [], 0, None
    while i < len(lines):
        h = re.match(r"^# HELP (\S+) (.+)$", lines[i])
        t = re.match(r"^# TYPE (\S+) (\S+)$", lines[i + 1]) if i + 1 < len(lines) else None
        if not h or not t or h.group(1) != t.group(1):
            errors.append(f"line {i + 1}: expected # HELP and # TYPE of one family")
            break
        fam = h.group(1)
        fams.append(fam)
        if fam not in families:
            errors.append(f"{fam}: not in docs/metrics.md")
            i += 2
            while i < len(lines) and not lines[i].startswith("#"):
                i += 1
            continue
        typ, labels, help_ = families[fam]
        if h.group(2) != help_:
            errors.append(f"{fam}: HELP differs from docs/metrics.md")
        if t.group(2) != typ:
            errors.append(f"{fam}: TYPE {t.group(2)}, documented {typ}")
        i += 2
        samples = []
        while i < len(lines) and not lines[i].startswith("#"):
            m = SAMPLE.match(lines[i])
            if not m:
                errors.append(f"line {i + 1}: not 'name{{labels}} value' (no timestamps): {lines[i]}")
                i += 1
                continue
            sname, ltext, value = m.groups()
            lab = parse_labels(ltext)
            if lab is None:
                errors.append(f"line {i + 1}: malformed labels")
            samples.append((i + 1, sname, lab or [], value))
            i += 1
        if not samples:
            errors.append(f"{fam}: no samples")
        # Series: for histograms, group _bucket/_sum/_count by their labels without le.
        series = []
        for ln, sname, lab, value in samples:
            keys = [k for k, _ in lab]
            base = [kv for kv in lab if kv[0] != "le"]
            if typ == "histogram":
                suffix = sname[len(fam):]
                if suffix not in ("_bucket", "_sum", "_count"):
                    errors.append(f"line {ln}: {sname} is not {fam}_bucket/_sum/_count")
                want = labels + (["le"] if suffix == "_bucket" else [])
            else:
                if sname != fam:
                    errors.append(f"line {ln}: sample {sname} under family {fam}")
                want = labels
            if keys != want:
                errors.append(f"line {ln}: labels {keys}, documented {want}")
            d = dict(lab)
            tool = tool or d.get("tool")
            if d.get("tool") != tool:
                errors.append(f"line {ln}: a second tool label in one file")
            if "band_source" in d and d["band_source"] not in band_sources:
                errors.append(f"line {ln}: band_source {d['band_source']}")
            if "pair" in d and not re.fullmatch(r"0\.[0-9]+-0\.[0-9]+", d["pair"]):
                errors.append(f"line {ln}: pair {d['pair']}")
            if "step" in d and not re.fullmatch(r"[1-9][0-9]*", d["step"]):
                errors.append(f"line {ln}: step {d['step']}")
            if "reason" in d and fam in ALLOWED_REASONS and not ALLOWED_REASONS[fam](d["reason"]):
                errors.append(f"line {ln}: reason {d['reason']} not a documented code of {fam}")
            if "pipeline" in d and not re.fullmatch(r"[a-z][a-z0-9_]{0,31}", d["pipeline"]):
                errors.append(f"line {ln}: pipeline {d['pipeline']}")
            if not NUM.match(value):
                errors.append(f"line {ln}: value {value} is not a plain decimal")
            integral = typ == "counter" or sname.endswith("_bucket") or sname.endswith("_count")
            if integral and not re.fullmatch(r"(0|[1-9][0-9]*)", value):
                errors.append(f"line {ln}: {sname} must be a non-negative integer, is {value}")
            if NUM.match(value) and "." in value and value.endswith("0"):
                errors.append(f"line {ln}: {value} is not the shortest form")
            series.append((ln, sname, lab, base, value))
        if typ == "histogram":
            groups = {}
            for ln, sname, lab, base, value in series:
                groups.setdefault(tuple(base), []).append((sname[len(fam):], dict(lab).get("le"), value))
            for base, rows in groups.items():
                les = [le for s, le, _ in rows if s == "_bucket"]
                counts = [int(v) for s, _, v in rows if s == "_bucket"]
                if les != BUCKETS:
                    errors.append(f"{fam}{dict(base)}: buckets {les}, documented {BUCKETS}")
                if counts != sorted(counts):
                    errors.append(f"{fam}{dict(base)}: buckets not cumulative")
                tail = [s for s, _, _ in rows if s != "_bucket"]
                if tail != ["_sum", "_count"]:
                    errors.append(f"{fam}{dict(base)}: _sum then _count after the buckets")
                cnt = [v for s, _, v in rows if s == "_count"]
                if counts and cnt and counts[-1] != int(cnt[0]):
                    errors.append(f"{fam}{dict(base)}: +Inf bucket {counts[-1]} != _count {cnt[0]}")
            order = [label_sort_key(b) for b in groups]
        else:
            order = [label_sort_key(lab) for _, _, lab, _, _ in series]
            if len(set(tuple(map(tuple, lab)) for _, _, lab, _, _ in series)) != len(series):
                errors.append(f"{fam}: a series appears twice")
        if order != sorted(order):
            errors.append(f"{fam}: samples not sorted by label values")
        if fam in ALWAYS:
            label, want = ALWAYS[fam]
            have = {dict(lab).get(label) for _, _, lab, _, _ in series}
            if not want <= have:
                errors.append(f"{fam}: missing always-written {label} values {sorted(want - have)}")
    if fams != sorted(fams):
        errors.append("families not in byte order of their names")
    sections = FILE_SECTIONS.get(tool)
    if sections is None:
        errors.append(f"tool label {tool!r} has no fixture rule")
    else:
        for fam in fams:
            if fam in families and section_of[fam] != COMMON and section_of[fam] not in sections and fam not in sections:
                errors.append(f"{fam} ({section_of[fam]}) is not written by {tool}")
        missing = [f for f in families if section_of[f] == COMMON and f not in fams]
        if missing:
            errors.append(f"common families missing: {missing}")
    if path in fixture_paths:
        seen_families.update(fams)
    kind = "fixture" if path in fixture_paths else "tool output"
    check(not errors, f"metrics {kind} {name} follows docs/metrics.md", "; ".join(errors[:6]))

check(set(families) <= seen_families, "every documented family has an example fixture",
      str(sorted(set(families) - seen_families)))
blocks = re.findall(r"^```prom\n(.*?)^```$", doc, re.M | re.S)
post = open("Tests/Ops/metrics/tsfm-post.prom", encoding="utf-8").read()
check(bool(blocks) and blocks[0] == post, "metrics.md's tsfm-post example equals Tests/Ops/metrics/tsfm-post.prom")
fc = open("Tests/Ops/metrics/tsfm-forecast.prom", encoding="utf-8").read()
for line in (blocks[1].splitlines() if len(blocks) > 1 else ["<missing>"]):
    if line != "…":
        check(line in fc.splitlines(), f"metrics.md's histogram example line is in tsfm-forecast.prom: {line[:60]}")

# ---- the alert rules
rules = open("ops/alerts.yml", encoding="utf-8").read()
exprs = "\n".join(l for l in rules.splitlines() if not l.strip().startswith("#") and "runbook_url" not in l)
used = set(re.findall(r"(?<![:a-z_])(tsfm_[a-z0-9_]+)", re.sub(r'"[^"\n]*"', "", exprs)))
used |= set(re.findall(r"(?<![:a-z_])(tsfm_[a-z0-9_]+)\{", exprs))
undocumented = []
for u in sorted(used):
    base = re.sub(r"_(bucket|sum|count)$", "", u)
    if u not in families and not (base in families and families[base][0] == "histogram"):
        undocumented.append(u)
check(not undocumented and len(used) >= 10, "ops/alerts.yml uses documented metrics only", f"{undocumented} of {sorted(used)}")
runbook = open("docs/ops-runbook.md", encoding="utf-8").read()
anchors = set()
for h in re.findall(r"^#+ (.+)$", runbook, re.M):
    anchors.add(re.sub(r"[^a-z0-9 _-]", "", h.strip().lower()).replace(" ", "-"))
alerts = re.findall(r"^\s+- alert: (\S+)", rules, re.M)
urls = re.findall(r'runbook_url: "docs/ops-runbook\.md#([^"]+)"', rules)
check(len(urls) == len(alerts) == 8, "every alert has a runbook_url into docs/ops-runbook.md", f"{len(alerts)} alerts, {len(urls)} urls")
for a, u in zip(alerts, urls):
    check(u == a.lower() and u in anchors, f"runbook anchor #{u} of {a} is a heading of docs/ops-runbook.md")
for a in alerts:
    sev = re.search(rf"- alert: {a}\n(?:.*\n)*?\s+severity: (\w+)", rules)
    check(bool(sev) and sev.group(1) in ("warning", "critical"), f"{a} has a severity")

# ---- the model registry
models_doc = open("docs/models.md", encoding="utf-8").read()
reg = json.load(open("ops/models.json", encoding="utf-8"))
check(reg.get("format_version") == 1 and isinstance(reg.get("models"), list), "models.json: format_version 1 and a models list")
keys = ["name", "family", "license", "needs_acceptance", "production", "source"]
documented_keys = set(re.findall(r"^\| `([a-z_]+)` \|", models_doc, re.M))
names = []
SPDX_NONCOMMERCIAL = re.compile(r"-NC(-|$)")
for m in reg.get("models", []):
    n = m.get("name", "?")
    names.append(n)
    ok = set(keys) <= set(m) and set(m) <= set(keys) | {"note"} and set(m) <= documented_keys
    ok = ok and isinstance(m["production"], bool) and isinstance(m["needs_acceptance"], bool)
    ok = ok and re.fullmatch(r"[A-Za-z0-9.+-]+", m["license"] or "") is not None
    ok = ok and re.fullmatch(r"(huggingface|local):[A-Za-z0-9._/-]+(@[A-Za-z0-9._-]+)?", m["source"]) is not None
    check(ok, f"models.json: {n} has exactly the documented keys with valid values", json.dumps(m))
    if SPDX_NONCOMMERCIAL.search(m.get("license", "")):
        check(m.get("production") is False, f"models.json: {n} ({m['license']}, non-commercial) is not for production")
check(names == sorted(names) and len(set(names)) == len(names), "models.json: names unique and sorted")
by = {m.get("name"): m for m in reg.get("models", [])}
check(by.get("moirai-2.0-R-small", {}).get("license") == "CC-BY-NC-4.0" and by["moirai-2.0-R-small"]["production"] is False,
      "models.json: moirai-2.0-R-small is CC-BY-NC-4.0, research only")
check(by.get("chronos2", {}).get("license") == "Apache-2.0" and by["chronos2"]["production"] is True,
      "models.json: chronos2 is Apache-2.0, production")
tarball = args[0] if args else ""
if tarball and os.path.exists(tarball):
    with tarfile.open(tarball) as t:
        member = next(x for x in t.getmembers() if x.name.endswith("src/tollama/model_registry/registry.yaml"))
        yaml_text = t.extractfile(member).read().decode()
    upstream = {}
    for block in re.split(r"^  - name: ", yaml_text, flags=re.M)[1:]:
        name = block.split("\n", 1)[0].strip()
        lic = re.search(r"^    license:\n      (?:type|id): (\S+)", block, re.M)
        acc = re.search(r"^      needs_acceptance: (\w+)", block, re.M)
        repo = re.search(r"^      repo_id: (\S+)", block, re.M)
        upstream[name] = (lic.group(1) if lic else None, acc.group(1) == "true" if acc else None, repo.group(1) if repo else None)
    check(set(upstream) == set(names), "models.json lists exactly the models of the vendored tollama registry",
          f"only upstream: {sorted(set(upstream) - set(names))}, only here: {sorted(set(names) - set(upstream))}")
    for n, (lic, acc, repo) in sorted(upstream.items()):
        m = by.get(n, {})
        check(lic is not None and m.get("license", "").lower() == lic.lower() and m.get("needs_acceptance") == acc
              and m.get("source", "").split(":", 1)[-1].split("@")[0] == repo,
              f"models.json: {n} has tollama's licence ({lic}), acceptance flag and repository")
else:
    print("skip models.json against the tollama registry: no vendored tarball" + (f" at {tarball}" if tarball else ""))

print(f"checks: {results.count(True)} passed, {results.count(False)} failed")
sys.exit(0 if all(results) else 1)
