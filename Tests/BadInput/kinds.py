"""The bad-input corpus: each kind is one input line (bytes), most of them a mutation of BASE,
a record every tool accepts (a quote for tsfm-prep, a request for tsfm-forecast, a scored
forecast for post, conformal and eval). Tests/BadInput/run.py runs every tool on every kind."""
import json

BASE = {
    "market_id": "m", "ts": "2026-11-20T12:00:00Z", "price": 0.5, "as_of_ts": "2026-11-20T12:00:00Z",
    "freq": "5m", "horizon_steps": 1, "quantiles": [0.1, 0.5, 0.9], "y": [0.4, 0.5, 0.45],
    "yhat_q": {"0.1": [0.4], "0.5": [0.5], "0.9": [0.6]}, "y_future": [0.5],
    "meta": {"band_source": "baseline", "warnings": []},
}


def line(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def base_with(**changes):
    obj = json.loads(json.dumps(BASE))
    for k, v in changes.items():
        obj[k] = v
    return line(obj)


def raw_replace(old, new):
    """BASE's text with one byte-level replacement (for what json.dumps cannot write)."""
    text = line(BASE)
    assert old in text, old
    return text.replace(old, new, 1)


def deep(n):
    return b'{"market_id":"m","x":' + b"[" * n + b"]" * n + b"}"


KINDS = [
    # Not a JSON object
    ("empty-object", b"{}"),
    ("array", b"[1,2]"),
    ("string", b'"x"'),
    ("number", b"42"),
    ("null", b"null"),
    ("true", b"true"),
    # Broken JSON text
    ("truncated-object", line(BASE)[:-1]),
    ("truncated-string", b'{"market_id":"m'),
    ("trailing-comma", raw_replace(b"}}", b"},}")),
    ("trailing-text", line(BASE) + b" x"),
    ("two-objects", line(BASE) + line(BASE)),
    ("single-quotes", b"{'market_id':'m'}"),
    ("unquoted-key", b'{market_id:"m"}'),
    ("missing-colon", raw_replace(b'"market_id":', b'"market_id" ')),
    ("leading-zero", raw_replace(b'"price":0.5', b'"price":00.5')),
    ("nan", raw_replace(b'"price":0.5', b'"price":NaN')),
    ("infinity", raw_replace(b'"price":0.5', b'"price":Infinity')),
    ("negative-infinity", raw_replace(b'"price":0.5', b'"price":-Infinity')),
    ("bad-escape", raw_replace(b'"market_id":"m"', b'"market_id":"\\q"')),
    ("bad-unicode-escape", raw_replace(b'"market_id":"m"', b'"market_id":"\\u12G4"')),
    ("raw-control-char", raw_replace(b'"market_id":"m"', b'"market_id":"a\x01b"')),
    ("deep-nesting", deep(600)),
    # Not UTF-8
    ("utf8-invalid-byte", raw_replace(b'"market_id":"m"', b'"market_id":"\xff"')),
    ("utf8-overlong", raw_replace(b'"market_id":"m"', b'"market_id":"\xc0\xaf"')),
    ("utf8-surrogate", raw_replace(b'"market_id":"m"', b'"market_id":"\xed\xa0\x80"')),
    ("utf8-truncated", raw_replace(b'"market_id":"m"', b'"market_id":"\xe2\x82"')),
    ("utf8-above-max", raw_replace(b'"market_id":"m"', b'"market_id":"\xf4\x90\x80\x80"')),
    ("utf8-in-unowned-field", line(BASE)[:-1] + b',"note":"\xfe"}'),
    # Duplicate keys
    ("duplicate-top-key", line(BASE)[:-1] + b',"market_id":"n"}'),
    ("duplicate-escaped-key", line(BASE)[:-1] + b',"market\\u005fid":"n"}'),
    ("duplicate-unowned-key", line(BASE)[:-1] + b',"x":1,"x":2}'),
    ("duplicate-band-key", raw_replace(b'"0.9":[0.6]', b'"0.9":[0.6],"0.9":[0.7]')),
    ("duplicate-band-level", raw_replace(b'"0.9":[0.6]', b'"0.9":[0.6],"0.90":[0.7]')),
    ("duplicate-meta-key", raw_replace(b'"warnings":[]', b'"warnings":[],"warnings":["x"]')),
    # Error records that are not the exact shape --on-error skip writes
    ("error-empty-object", b'{"error":{}}'),
    ("error-string", b'{"error":"boom"}'),
    ("error-extra-key", b'{"error":{"file":"f","line":1,"reason":"r"},"input":"x","yhat_q":{}}'),
    ("error-line-string", b'{"error":{"file":"f","line":"1","reason":"r"},"input":"x"}'),
    # Identity and time
    ("market-id-number", base_with(market_id=5)),
    ("market-id-missing", line({k: v for k, v in BASE.items() if k != "market_id"})),
    ("market-id-empty", base_with(market_id="")),
    ("time-not-rfc3339", base_with(ts="24/11/2026", as_of_ts="24/11/2026")),
    ("time-month-13", base_with(ts="2026-13-20T12:00:00Z", as_of_ts="2026-13-20T12:00:00Z")),
    ("time-feb-30", base_with(ts="2026-02-30T12:00:00Z", as_of_ts="2026-02-30T12:00:00Z")),
    ("time-year-0000", base_with(ts="0000-01-01T00:00:00+23:59", as_of_ts="0000-01-01T00:00:00+23:59")),
    ("time-before-1970", base_with(ts="1969-12-31T23:59:59Z", as_of_ts="1969-12-31T23:59:59Z")),
    ("freq-unknown", base_with(freq="7m")),
    # Prices (tsfm-prep)
    ("price-above-one", base_with(price=1.5)),
    ("price-negative", base_with(price=-0.1)),
    ("price-string", base_with(price="0.5")),
    ("price-overflow", raw_replace(b'"price":0.5', b'"price":1e400')),
    ("bid-above-ask", base_with(bid=0.6, ask=0.5)),
    # Lengths a record can ask for
    ("horizon-huge", base_with(horizon_steps=1000000000000)),
    ("horizon-zero", base_with(horizon_steps=0)),
    ("horizon-fraction", base_with(horizon_steps=1.5)),
    ("quantiles-tiny-level", raw_replace(b'"quantiles":[0.1,', b'"quantiles":[5e-324,')),
    ("quantiles-level-one", base_with(quantiles=[0.1, 1.0])),
    ("quantiles-duplicate", base_with(quantiles=[0.5, 0.5])),
    ("quantiles-too-many", base_with(quantiles=[round(0.001 + i * 0.004, 6) for i in range(201)])),
    ("y-empty", base_with(y=[])),
    ("y-too-long", base_with(y=[0.5] * 2001)),
    ("y-outside-unit", base_with(y=[0.4, 1.5])),
    ("y-strings", base_with(y=["0.4"])),
    ("transform-eps-string", base_with(transform={"space": "logit", "eps": "0.5"})),
    ("transform-eps-bool", base_with(transform={"space": "logit", "eps": True})),
    ("transform-eps-tiny", raw_replace(b'"freq"', b'"transform":{"space":"logit","eps":5e-324},"freq"')),
    ("transform-space-unknown", base_with(transform={"space": "probit"})),
    # Bands (post, conformal, eval)
    ("band-hex-level", base_with(yhat_q={"0x1p-3": [0.4], "0.5": [0.5]})),
    ("band-level-outside", base_with(yhat_q={"1.5": [0.4]})),
    ("band-ragged", base_with(yhat_q={"0.1": [0.4, 0.5], "0.9": [0.6]})),
    ("band-overflow", raw_replace(b'"0.9":[0.6]', b'"0.9":[1e400]')),
    ("band-huge-value", raw_replace(b'"0.9":[0.6]', b'"0.9":[1e306]')),
    ("band-not-object", base_with(yhat_q=[0.5])),
    ("y-future-outside-unit", base_with(y_future=[2])),
    ("meta-not-object", base_with(meta=5)),
    ("meta-warnings-not-array", base_with(meta={"warnings": "x"})),
    ("meta-overflow-unowned", raw_replace(b'"warnings":[]', b'"warnings":[],"x":1e400')),
]
