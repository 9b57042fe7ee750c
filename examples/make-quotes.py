#!/usr/bin/env python3
"""Dev-only: regenerates examples/quotes.ndjson and examples/markets.ndjson (seeded, so the
output is the committed data). Six markets over 2026-11-21..23: random walks in logit space,
a jump, a gap, a market that stops quoting (stale), an illiquid one, price-only and
trade-only quotes, empty books, one late line and one duplicate timestamp. Volatilities are
those of active markets (5-minute moves of a few tenths of a cent, an hour's of one to three
cents), so the 0.02 minimum band width binds only at the first steps. The goldens
depend on the data, not on this script; the product never runs it."""
import json, math, os, random
HERE = os.path.dirname(os.path.abspath(__file__))
random.seed(20261124)
start = 1795219200  # 2026-11-21T00:00:00Z
end = start + 3 * 86400
def ts(t): 
    import datetime
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
markets = {
 "pres-2028-dem": dict(p=0.43, vol=0.06, spread=0.01),
 "fed-cut-dec": dict(p=0.62, vol=0.08, spread=0.015, jump=(start+2*86400+14*3600, 0.18)),
 "btc-100k-dec": dict(p=0.35, vol=0.12, spread=0.02, tradeonly=(start+86400+6*3600, start+86400+9*3600), priceform=True),
 "rain-nyc-tmrw": dict(p=0.08, vol=0.16, spread=0.03),
 "oscar-best-pic": dict(p=0.22, vol=0.08, spread=0.02, gap=(start+2*86400+15*3600, start+2*86400+16*3600+30*60)),
 "senate-runoff": dict(p=0.71, vol=0.06, spread=0.01, stop=start+2*86400+12*3600),
}
lines = []
for mid, m in markets.items():
    x = math.log(m["p"]/(1-m["p"]))
    t = start + random.randint(0, 120)
    while t < end:
        if "stop" in m and t > m["stop"]: break
        if "gap" in m and m["gap"][0] <= t < m["gap"][1]:
            t += random.randint(60, 300); continue
        x += m["vol"] * random.gauss(0, 1) * math.sqrt(1/20)
        if "jump" in m and m["jump"][0] <= t < m["jump"][0] + 200: x += 0.9; m["jump"] = (0, 0)
        p = 1/(1+math.exp(-x))
        half = m["spread"]/2
        bid = round(max(0.001, p-half), 3); ask = round(min(0.999, p+half), 3)
        last = round(p + random.uniform(-half, half), 3); last = min(max(last, 0.001), 0.999)
        lt = t - random.randint(0, 240)
        rec = {"market_id": mid, "ts": ts(t)}
        if "tradeonly" in m and m["tradeonly"][0] <= t < m["tradeonly"][1]:
            rec.update(last_trade=last, last_trade_ts=ts(lt))
        elif m.get("priceform") and random.random() < 0.05:
            rec = {"market_id": mid, "ts": ts(t), "price": round(p, 3)}
        elif random.random() < 0.01:
            rec.update(bid=None, ask=None)  # an empty book
        else:
            rec.update(bid=bid, ask=ask, last_trade=last, last_trade_ts=ts(lt))
        lines.append((t, rec))
        t += random.randint(60, 300)
lines.sort(key=lambda r: (r[0], r[1]["market_id"]))
out = [json.dumps(r, separators=(",", ":")) for _, r in lines]
# one quote delivered late (out of order) and one duplicate timestamp (the later line wins)
late = out.pop(5000); out.insert(5040, late)
dup = json.loads(out[6000]); dup["bid"] = round(dup.get("bid", 0.5) - 0.002, 3) if "bid" in dup and dup["bid"] else dup.get("bid")
out.insert(6001, json.dumps(dup, separators=(",", ":")))
open(os.path.join(HERE, "quotes.ndjson"), "w").write("\n".join(out) + "\n")
meta = [
 {"market_id":"pres-2028-dem","volume_24h":1850000,"open_interest":9200000,"liquidity_bucket":"high","category":"politics","event_id":"us-pres-2028","end_ts":"2028-11-07T00:00:00Z"},
 {"market_id":"fed-cut-dec","volume_24h":640000,"open_interest":2100000,"liquidity_bucket":"HIGH","category":"economics","event_id":"fomc-2026-12","end_ts":"2026-12-10T19:00:00Z"},
 {"market_id":"btc-100k-dec","volume_24h":310000,"open_interest":870000,"liquidity_bucket":"MEDIUM","category":"crypto","event_id":"btc-2026-12","end_ts":"2026-11-30T00:00:00Z"},
 {"market_id":"rain-nyc-tmrw","volume_24h":1200,"open_interest":3000,"liquidity_bucket":"LOW","category":"weather","event_id":"nyc-weather-1125","end_ts":"2026-11-24T18:00:00Z"},
 {"market_id":"oscar-best-pic","volume_24h":48000,"open_interest":410000,"liquidity_bucket":"Medium","category":"culture","event_id":"oscars-2027","end_ts":"2027-03-14T00:00:00Z"},
 {"market_id":"senate-runoff","volume_24h":95000,"open_interest":300000,"liquidity_bucket":"MEDIUM","category":"politics","event_id":"ga-runoff-2026","end_ts":"2026-12-08T00:00:00Z"},
]
open(os.path.join(HERE, "markets.ndjson"), "w").write("\n".join(json.dumps(m, separators=(",", ":")) for m in meta) + "\n")
