#!/usr/bin/env python3
"""A stand-in for the tollama daemon, for tests only (Python standard library).

Speaks the parts of tollama's API that tsfm uses (see shared/TOLLAMA.md): POST /api/forecast
(stream defaults to true; "stream": false gives one JSON object), POST /v1/forecast (rejects
"stream"), GET /api/version, /v1/health, /api/tags; optional bearer auth; the `mock` model
(mean and every quantile = the last target value, repeated). Installed models: mock, chronos2.

Behaviour is chosen per run by flags:
  --mode ok | hang | drop | malformed | missing-level | crossing | nonfinite | reorder | stream
         | status:CODE | notfound-plain | notfound-model | license | echo-auth
           (license: 409 "requires license acceptance"; echo-auth: 400 whose detail echoes the
           Authorization header, as a careless proxy might)
  --fail-first N   the first N forecast calls answer --fail-status (then --mode applies)
  --delay-ms N     wait before answering a forecast call
  --token T        require "Authorization: Bearer T"
  --serial         serve one forecast call at a time, as tollama 0.1.0 does (its runner lock)
  --log FILE       append one JSON line per request: method, path, headers, series ids, model,
                   options, and for forecast calls "inflight": the calls in the daemon on arrival
  --port N         listen on N (a restart on the same address: state is per daemon URL)
Binds 127.0.0.1 on a free port (or --port) and prints the port on stdout.
"""
import argparse, json, math, signal, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

p = argparse.ArgumentParser()
p.add_argument("--mode", default="ok")
p.add_argument("--fail-first", type=int, default=0)
p.add_argument("--fail-status", type=int, default=503)
p.add_argument("--delay-ms", type=int, default=0)
p.add_argument("--token")
p.add_argument("--log")
p.add_argument("--serial", action="store_true")
p.add_argument("--port", type=int, default=0)
args = p.parse_args()
lock = threading.Lock()
runner_lock = threading.Lock()
forecast_calls = [0]
inflight = [0]
# name -> digest, as /api/tags reports them
INSTALLED = {"mock": "sha256:standin-mock", "chronos2": "sha256:standin-chronos2"}


def g(q):
    return format(q, "g")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without this, Nagle holds the body until the
    # client's delayed ACK (40 ms), which uvicorn does not do.
    disable_nagle_algorithm = True

    def log_message(self, *a):
        pass

    def send(self, status, obj=None, raw=None, ctype="application/json", extra=()):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def record(self, body, extra_fields=None):
        if not args.log:
            return
        ids, extra = [], {}
        try:
            req = json.loads(body or b"{}")
            ids = [s.get("id") for s in req.get("series", [])]
            extra = {k: req[k] for k in ("model", "options") if k in req}
        except Exception:
            pass
        with lock, open(args.log, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path,
                                "headers": {k.lower(): v for k, v in self.headers.items()}, "ids": ids, **extra,
                                **(extra_fields or {})}) + "\n")

    def authorized(self):
        if not args.token:
            return True
        auth = self.headers.get("Authorization")
        if auth is None:
            self.send(401, {"detail": "missing bearer token"}, extra=[("WWW-Authenticate", "Bearer")])
            return False
        if auth != "Bearer " + args.token:
            self.send(401, {"detail": "invalid api key"}, extra=[("WWW-Authenticate", "Bearer")])
            return False
        return True

    def do_GET(self):
        self.record(b"")
        if not self.authorized():
            return
        if self.path == "/api/version":
            self.send(200, {"version": "0.0-standin"})
        elif self.path == "/v1/health":
            self.send(200, {"status": "ok"})
        elif self.path == "/api/tags":
            self.send(200, {"models": [{"name": m, "model": m, "digest": d} for m, d in sorted(INSTALLED.items())]})
        else:
            self.send(404, {"detail": "Not Found"})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if self.path not in ("/api/forecast", "/v1/forecast"):
            self.record(body)
            if self.authorized():
                self.send(404, {"detail": "Not Found"})
            return
        with lock:
            inflight[0] += 1
            now = inflight[0]
        self.record(body, {"inflight": now})
        try:
            if args.serial:
                with runner_lock:
                    self.forecast(body)
            else:
                self.forecast(body)
        finally:
            with lock:
                inflight[0] -= 1

    def forecast(self, body):
        if not self.authorized():
            return
        mode = args.mode
        if mode == "notfound-plain" and self.path == "/api/forecast":
            return self.send(404, {"detail": "Not Found"})
        with lock:
            forecast_calls[0] += 1
            n = forecast_calls[0]
        if n <= args.fail_first:
            return self.send(args.fail_status, {"detail": "runner unavailable"})
        if args.delay_ms:
            time.sleep(args.delay_ms / 1000)
        if mode == "hang":
            time.sleep(3600)
        if mode.startswith("status:"):
            code = int(mode.split(":")[1])
            if code == 500:
                return self.send(500, raw=b"Internal Server Error", ctype="text/plain")
            return self.send(code, {"detail": "stand-in failure %d" % code})
        if mode == "drop":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"model":"mock","forecasts":[')
            self.wfile.flush()
            self.close_connection = True
            return
        if mode == "license":
            return self.send(409, {"detail": "model 'mock' requires license acceptance; pass accept_license=True"})
        if mode == "echo-auth":
            return self.send(400, {"detail": "bad request; headers were: Authorization: %s" % self.headers.get("Authorization")})
        if mode == "malformed":
            return self.send(200, raw=b'{"model": "mock", "forecasts": [', ctype="application/json")
        try:
            req = json.loads(body)
        except Exception:
            return self.send(400, {"detail": [{"type": "json_invalid", "loc": ["body"], "msg": "JSON decode error"}]})
        allowed = {"model", "horizon", "quantiles", "series", "options", "timeout", "keep_alive", "parameters"}
        if self.path == "/api/forecast":
            allowed.add("stream")
        extra = [k for k in req if k not in allowed]
        if extra:
            return self.send(400, {"detail": [{"type": "extra_forbidden", "loc": ["body", extra[0]], "msg": "Extra inputs are not permitted"}]})
        horizon = req.get("horizon")
        if not isinstance(horizon, int) or isinstance(horizon, bool) or horizon <= 0:
            return self.send(400, {"detail": [{"type": "greater_than", "loc": ["body", "horizon"], "msg": "bad horizon"}]})
        qs = req.get("quantiles")
        if qs is not None and (sorted(set(qs)) != qs or any(not (0 < q < 1) for q in qs)):
            return self.send(400, {"detail": "quantiles must be ascending, unique and inside (0, 1)"})
        if req.get("model") not in INSTALLED or mode == "notfound-model":
            name = req.get("model")
            return self.send(404, {"detail": "model '%s' is not installed" % name, "hint": "Run `tollama pull %s`" % name})
        forecasts = []
        for s in req.get("series", []):
            if len(s.get("timestamps", [])) != len(s.get("target", [])):
                return self.send(400, {"detail": "timestamps and target differ in length"})
            last = s["target"][-1]
            quant = None
            if qs is not None:
                quant = {}
                for i, q in enumerate(sorted(qs, key=g)):  # keys in lexicographic order, as the daemon
                    v = last
                    if mode == "crossing":
                        v = last + (0.5 - q)
                    if mode == "nonfinite" and i == 0:
                        v = float("nan")
                    quant[g(q)] = [v] * horizon
                if mode == "missing-level":
                    quant.pop(g(qs[0]))
            forecasts.append({"id": s["id"], "freq": s.get("freq"), "start_timestamp": s["timestamps"][-1],
                              "mean": [last] * horizon, "quantiles": quant})
        if mode == "reorder":
            forecasts.reverse()
        response = {"model": req["model"], "forecasts": forecasts, "warnings": None,
                    "timing": {"model_load_ms": 0, "inference_ms": 1, "total_ms": 1}, "metrics": None,
                    "explanation": None, "narrative": None, "preprocessing": None}
        streamed = (self.path == "/api/forecast" and req.get("stream", True)) or mode == "stream"
        if streamed:
            lines = [{"status": "loading model"}, {"status": "running forecast"}, {"done": True, "response": response}]
            return self.send(200, raw=("\n".join(json.dumps(l) for l in lines) + "\n").encode(), ctype="application/x-ndjson")
        self.send(200, raw=json.dumps(response, allow_nan=True).encode())


# A test runner may start us from a thread that blocks signals; the mask is inherited, so
# unblock the ones that stop us.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
# The default listen backlog (5) drops the SYNs of a burst of connections, which then retry
# after 1 s; the real daemon (uvicorn) listens with 2048.
ThreadingHTTPServer.request_queue_size = 128
server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
try:
    server.serve_forever()
except KeyboardInterrupt:
    pass
