"""The search benchmark's figures: percentiles per engine, per match-count bucket, ratios,
and the text table."""

from __future__ import annotations

from typing import Any

from benchmarks.measure import median, percentile

BUCKETS = ("0", "1-10", "11-100", "101-1,000", "over 1,000")
_UPPER = (0, 10, 100, 1_000)  # inclusive upper bounds of the first four buckets
PEERS = ("tantivy", "sqlite-fts5")


def bucket_of(matches: int) -> str:
    """Return the match-count bucket of a query matching `matches` documents."""
    for name, upper in zip(BUCKETS, _UPPER, strict=False):
        if matches <= upper:
            return name
    return BUCKETS[-1]


def stats(values: list[float]) -> dict[str, float]:
    """Return the count, median, p95 and p99 (ms) of `values`."""
    return {
        "queries": len(values),
        "median_ms": round(median(values), 3),
        "p95_ms": round(percentile(values, 0.95), 3),
        "p99_ms": round(percentile(values, 0.99), 3),
    }


def _ratio(ours: dict[str, float], peer: dict[str, float], key: str) -> float | None:
    return round(ours[key] / peer[key], 2) if ours["queries"] and peer[key] else None


def summarise(times: dict[str, dict[str, dict[int, float]]], buckets: list[str]) -> dict[str, Any]:
    """Return {"workloads": per workload, the stats of each engine over the whole log
    ("all") and per bucket; "ratios": ours over each peer, median and p95}."""
    workloads: dict[str, Any] = {}
    ratios: dict[str, Any] = {}
    for workload, per_engine in times.items():
        table: dict[str, dict[str, dict[str, float]]] = {}
        for group in ("all", *BUCKETS):
            table[group] = {
                name: stats([ms for n, ms in by_query.items() if group in ("all", buckets[n])])
                for name, by_query in per_engine.items()
            }
        workloads[workload] = table
        ratios[workload] = {
            group: {
                f"ours/{peer} {key[:-3]}": _ratio(rows["ours"], rows[peer], key)
                for peer in PEERS
                for key in ("median_ms", "p95_ms")
            }
            for group, rows in table.items()
            if rows["ours"]["queries"]
        }
        slow = per_engine.get("textbook-whoosh", {})
        if slow:
            same = stats([per_engine["ours"][n] for n in slow])
            ratios[workload]["textbook/ours median, textbook's queries"] = round(
                stats(list(slow.values()))["median_ms"] / same["median_ms"], 2
            )
    return {"workloads": workloads, "ratios": ratios}


def _log_lines(name: str, log: dict[str, Any]) -> list[str]:
    matches = log["matches"]
    agree = ", ".join(f"{k} {v}" for k, v in matches["totals_agree_with_ours"].items())
    per_bucket = log["workloads"]["top10"]
    counted = ", ".join(f"{b}: {per_bucket[b]['ours']['queries']}" for b in BUCKETS)
    lines = [
        f"log {name}: {log['queries']} queries ({matches['distinct_queries']} distinct; "
        f"totals equal to ours: {agree})",
        f"queries per bucket (documents matched, ours, every word, unfiltered): {counted}; "
        f"median {matches['median']:g}",
        f"{'workload':<9} {'bucket':<11} {'engine':<16} {'n':>5} {'p50 ms':>8} "
        f"{'p95 ms':>8} {'p99 ms':>8}",
    ]
    for workload, table in log["workloads"].items():
        for group, rows in table.items():
            for engine, row in rows.items():
                if row["queries"]:
                    lines.append(
                        f"{workload:<9} {group:<11} {engine:<16} {row['queries']:>5} "
                        f"{row['median_ms']:>8.3f} {row['p95_ms']:>8.3f} {row['p99_ms']:>8.3f}"
                    )
    lines.append("ratios (ours with every word required, over each peer):")
    for workload, groups in log["ratios"].items():
        for group, values in groups.items():
            if isinstance(values, dict):
                shown = "  ".join(
                    f"{k} {'-' if v is None else f'{v:.2f}'}" for k, v in values.items()
                )
                lines.append(f"  {workload:<9} {group:<11} {shown}")
            else:
                lines.append(f"  {workload:<9} {group}: {values:.2f}")
    return lines


def format_search(result: dict[str, Any]) -> str:
    """Return the search benchmark as text tables, one per log."""
    lines = [
        f"search latency, {result['size']} files, {result['queries']} queries per log "
        f"(textbook Whoosh on the first {result['textbook_queries']})",
        "index on disk, MB: " + ", ".join(f"{k} {v:.1f}" for k, v in result["index_mb"].items()),
    ]
    for name, row in result.get("memory", {}).items():
        lines.append(
            f"memory {name}: RSS +{row['open_mb']:.0f} MB after open, "
            f"+{row['queries_mb']:.0f} MB after {row['queries']} queries "
            f"(anonymous +{row['open_anon_mb']:.0f} / +{row['queries_anon_mb']:.0f})"
        )
    for name, log in result["logs"].items():
        lines += ["", *_log_lines(name, log)]
    return "\n".join(lines)
