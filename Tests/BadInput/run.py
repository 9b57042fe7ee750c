#!/usr/bin/env python3
"""Runs every tool on every kind of bad input line (kinds.py) and checks each tool's verdict
against Tests/BadInput/expected.tsv: the exit status under --on-error skip, and for a rejected
line its error record {"error":{"file","line","reason"},"input"} (the reason must match; the
input must be the line). It also checks that:
  - --on-error fail ends with the same status and exactly `FILE:1: reason` on stderr (control
    characters escaped), nothing on stdout;
  - after the bad line, an upstream error record passes through unchanged and a good record
    is still processed; the 1:1 tools write exactly one line per input line.
Usage: Tests/BadInput/run.py [--update] [BIN_DIR]   (tools on PATH when BIN_DIR is omitted)
Run by the golden case Tests/Golden/corpus/bad-input (so under its memory limit)."""
import json, os, subprocess, sys, tempfile

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
sys.path.insert(0, here)
from kinds import KINDS, BASE, line  # noqa: E402

update = "--update" in sys.argv
args = [a for a in sys.argv[1:] if a != "--update"]
env = dict(os.environ)
if args:
    env["PATH"] = os.path.abspath(args[0]) + os.pathsep + env["PATH"]
env["LC_ALL"] = "C"
EXPECTED = os.path.join(here, "expected.tsv")
UPSTREAM = b'{"error":{"file":"upstream.ndjson","line":7,"reason":"r"},"input":"x"}'
NAME = "input.ndjson"


def escaped(text):
    return "".join("\\u{%x}" % ord(c) if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 else c for c in text)


def run(cmd, cwd):
    p = subprocess.run(cmd + [NAME], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout, p.stderr


def main():
    work = tempfile.mkdtemp()
    params = os.path.join(work, "params.json")
    subprocess.run(["tsfm-conformal", "fit", "--min-samples", "150", "--out", params,
                    os.path.join(root, "examples/conformal/scored.ndjson")], env=env, check=True)
    quotes = os.path.join(work, "quotes.ndjson")
    with open(quotes, "wb") as f:
        f.write(line(BASE) + b"\n")
    tools = [  # name, command, one output line per input line
        ("prep", ["tsfm-prep", "--min-input", "1"], False),
        ("prep-actuals", ["tsfm-prep", "actuals", "--quotes", quotes], True),
        ("forecast", ["tsfm-forecast", "--runtime", "baseline", "--deterministic"], True),
        ("post", ["tsfm-post"], True),
        ("conformal-apply", ["tsfm-conformal", "apply", "--params", params], True),
        ("conformal-fit", ["tsfm-conformal", "fit", "--report", "--min-samples", "1"], False),
        ("eval", ["tsfm-eval", "--log-format", "json"], False),
    ]
    expected = {}
    if not update:
        with open(EXPECTED) as f:
            for row in f:
                tool, kind, status, reason = row.rstrip("\n").split("\t")
                expected[(tool, kind)] = (int(status), json.loads(reason))
    rows, problems = [], []
    names = [k for k, _ in KINDS]
    assert len(set(names)) == len(names), "duplicate kind names"
    for kind, bad in KINDS:
        assert b"\n" not in bad, kind
        with open(os.path.join(work, NAME), "wb") as f:
            f.write(bad + b"\n" + UPSTREAM + b"\n" + line(BASE) + b"\n")
        for tool, cmd, one_to_one in tools:
            def problem(what):
                problems.append(f"{tool} {kind}: {what}")
            status, out, err = run(cmd + ["--on-error", "skip"], work)
            out_lines = out.splitlines()
            reason = None
            if tool == "eval":
                for l in err.splitlines():
                    try:
                        log = json.loads(l)
                    except ValueError:
                        continue
                    if log.get("at") == f"{NAME}:1":
                        reason = log.get("reason")
            else:
                for l in out_lines:
                    try:
                        rec = json.loads(l)
                    except ValueError:
                        problem(f"stdout line is not JSON: {l[:80]!r}")
                        continue
                    if isinstance(rec, dict) and isinstance(rec.get("error"), dict) \
                            and rec["error"].get("file") == NAME and rec["error"].get("line") == 1:
                        reason = rec["error"].get("reason")
                        try:
                            text = bad.decode("utf-8")
                            if rec.get("input") != text:
                                problem("error record's input is not the line")
                        except UnicodeDecodeError:
                            pass
                    if l.startswith(b"{") is False:
                        problem("stdout line is not an object")
                if out_lines.count(UPSTREAM) != 1:
                    problem("upstream error record not passed through exactly once")
            for l in out_lines:
                try:
                    l.decode("utf-8")
                except UnicodeDecodeError:
                    problem("stdout is not UTF-8")
            if reason is None and status == 65:
                problem("exit 65 without an error record for line 1")
            if reason is not None and status != 65:
                problem(f"error record for line 1 but exit {status}")
            if one_to_one and len(out_lines) != 3:
                problem(f"{len(out_lines)} output lines for 3 input lines")
            if status not in (0, 65):
                problem(f"exit {status} (only 0 or 65 are acceptable for a bad line)")
            rows.append((tool, kind, status, reason or ""))
            if not update:
                want = expected.get((tool, kind))
                if want is None:
                    problem("no expectation recorded")
                elif want != (status, reason or ""):
                    problem(f"got exit {status} {reason!r}, expected exit {want[0]} {want[1]!r}")
            if reason is not None:
                fstatus, fout, ferr = run(cmd + ["--on-error", "fail"], work)
                first = ferr.decode("utf-8", "replace").split("\n")[0]
                if fstatus != 65:
                    problem(f"--on-error fail exit {fstatus}")
                if first != f"{NAME}:1: {escaped(reason)}":
                    problem(f"--on-error fail stderr {first[:160]!r}")
                if fout:
                    problem("--on-error fail wrote to stdout")
    if update:
        with open(EXPECTED, "w") as f:
            for tool, kind, status, reason in rows:
                f.write(f"{tool}\t{kind}\t{status}\t{json.dumps(reason, ensure_ascii=False)}\n")
    for p in problems:
        print("FAIL", p)
    rejected = sum(1 for r in rows if r[2] == 65)
    print(f"bad-input corpus: {len(KINDS)} kinds x {len(tools)} tools, {rejected} rejections"
          + (" recorded" if update else (", all as expected" if not problems else f", {len(problems)} problems")))
    return 1 if problems else 0


sys.exit(main())
