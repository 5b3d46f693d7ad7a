#!/usr/bin/env python3
"""Writes the bench-match workloads (bench/events/run.sh) into a directory.

patterns-<name>.jsonl: one {"name", "pattern"} per line; events.jsonl: ~500-byte
events of varied shapes. Deterministic: the same seed gives the same files.

Workloads: 1, 100, 10000, 100000 patterns of mixed kinds (exact, prefix,
suffix, anything-but, numeric ranges, exists, wildcard, $or), and 10000 exact.
Every pattern names `source`, which has few distinct values, first: the cost
must come from the fields that tell the rules apart, not their number.
"""
import json
import random
import sys

SOURCES = [f"app.service{i}" for i in range(8)]
TYPES = ["OrderPlaced", "OrderShipped", "OrderCancelled", "PaymentReceived", "PaymentFailed",
         "UserSignedUp", "UserDeleted", "InventoryLow", "InventoryRestocked", "ReportReady"]
STATES = ["pending", "running", "stopped", "failed", "done", "queued", "retrying", "paused"]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "ap-south-1"]
EXTS = [".png", ".jpg", ".txt", ".csv", ".json", ".gz"]
DIRS = ["img", "docs", "logs", "exports", "tmp", "backup"]
CUSTOMERS = 50000


def event(rng):
    customer = rng.randrange(CUSTOMERS)
    detail = {
        "state": rng.choice(STATES),
        "amount": round(rng.uniform(0, 1000), 2),
        "count": rng.randrange(100),
        "customer": {"id": f"c-{customer}", "tier": rng.choice(["free", "pro", "enterprise"]),
                     "country": rng.choice(["US", "DE", "IN", "BR", "JP"])},
        "file": f"/{rng.choice(DIRS)}/{rng.randrange(1000)}/f{rng.randrange(10**6)}{rng.choice(EXTS)}",
        "ip": f"10.{rng.randrange(4)}.{rng.randrange(256)}.{rng.randrange(256)}",
        "items": [{"sku": f"sku-{rng.randrange(5000)}", "qty": rng.randrange(1, 5)}
                  for _ in range(rng.randrange(1, 4))],
    }
    if rng.random() < 0.3:
        detail["coupon"] = f"SAVE{rng.randrange(50)}"
    if rng.random() < 0.2:
        detail["note"] = None
    return {
        "version": "0", "id": f"{rng.getrandbits(128):032x}",
        "detail-type": rng.choice(TYPES), "source": rng.choice(SOURCES),
        "account": "123456789012", "time": "2026-12-03T12:00:00Z",
        "region": rng.choice(REGIONS),
        "resources": [f"arn:aws:s3:::bucket-{rng.randrange(100)}"] * rng.randrange(0, 2),
        "detail": detail,
    }


def condition(rng):
    kind = rng.randrange(9)
    if kind == 0:
        return {"customer": {"id": [f"c-{rng.randrange(CUSTOMERS)}"]}}
    if kind == 1:
        return {"file": [{"prefix": f"/{rng.choice(DIRS)}/{rng.randrange(1000)}/"}]}
    if kind == 2:
        return {"file": [{"suffix": f"{rng.randrange(10)}{rng.choice(EXTS)}"}]}
    if kind == 3:
        return {"state": [{"anything-but": rng.sample(STATES, 2)}]}
    if kind == 4:
        low = rng.randrange(1000)
        return {"amount": [{"numeric": [">=", low, "<", low + rng.randrange(1, 50)]}]}
    if kind == 5:
        return {"coupon": [{"exists": True}], "count": [rng.randrange(100)]}
    if kind == 6:
        return {"file": [{"wildcard": f"/{rng.choice(DIRS)}/*/f{rng.randrange(100)}*"}]}
    if kind == 7:
        return {"$or": [{"customer": {"country": [rng.choice(["US", "DE"])],
                                      "tier": ["enterprise"]}},
                        {"items": {"sku": [f"sku-{rng.randrange(5000)}"]}}]}
    return {"state": [rng.choice(STATES)], "count": [{"numeric": ["<", rng.randrange(100)]}]}


def mixed(rng):
    pattern = {"source": [rng.choice(SOURCES)], "detail": condition(rng)}
    if rng.random() < 0.5:
        pattern["detail-type"] = [rng.choice(TYPES)]
    return pattern


def exact(rng):
    return {"source": [rng.choice(SOURCES)], "detail-type": [rng.choice(TYPES)],
            "detail": {"customer": {"id": [f"c-{rng.randrange(CUSTOMERS)}"]}}}


def write(path, rows):
    with open(path, "w") as f:
        for row in rows:
            f.write(json.dumps(row, separators=(",", ":")) + "\n")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "bench/events/data"
    rng = random.Random(20261203)
    write(f"{out}/events.jsonl", [event(rng) for _ in range(2000)])
    for name, count, make in [("1", 1, mixed), ("100", 100, mixed), ("10000", 10000, mixed),
                              ("100000", 100000, mixed), ("10000-exact", 10000, exact)]:
        write(f"{out}/patterns-{name}.jsonl",
              [{"name": f"rule-{i}", "pattern": make(rng)} for i in range(count)])


if __name__ == "__main__":
    main()
