#!/usr/bin/env python3
"""Checks one training run of pipedream-train against a reference run.

    check-run.py REFERENCE.json RUN.json RUN.csv [--slack-us N]

REFERENCE.json and RUN.json are `pipedream-train --json` summaries of the same
options on two devices (say cpu and cuda); RUN.csv is the run's `--csv`.
Checks: the per-batch losses agree; the event stream is complete (one F and
one backward, B or I, per microbatch per model part per batch; W after I; one U
per part per batch for flush kinds); a stage's slots never overlap; and every
dependency holds in measured time (F of part p ends before F of part p+1
starts, the backward of part p+1 ends before that of part p starts).
Prints one line per failed check and exits 1 if there is any, else 0.
"""
import argparse
import csv
import json
import sys
from collections import defaultdict

HEADER = ["batch", "stage", "microbatch", "op", "chunk", "version", "start_us", "end_us"]


def main(argv):
    parser = argparse.ArgumentParser(description="Checks a pipedream-train run against a reference run.")
    parser.add_argument("reference", help="--json summary of the reference run (say, on the CPU)")
    parser.add_argument("run", help="--json summary of the run to check")
    parser.add_argument("csv", help="--csv of the run to check")
    parser.add_argument("--slack-us", type=int, default=1,
                        help="tolerance of the time checks in microseconds (default 1: rounding)")
    args = parser.parse_args(argv[1:])
    ref_path, run_path, csv_path, slack = args.reference, args.run, args.csv, args.slack_us
    with open(ref_path) as f:
        ref = json.load(f)
    with open(run_path) as f:
        run = json.load(f)
    problems = []

    ref_losses = [b["loss"] for b in ref["batch_results"]]
    run_losses = [b["loss"] for b in run["batch_results"]]
    if len(ref_losses) != len(run_losses) or not run_losses:
        problems.append(f"batches: reference {len(ref_losses)}, run {len(run_losses)}")
    for i, (a, b) in enumerate(zip(ref_losses, run_losses)):
        if abs(a - b) > 1e-3 * max(1.0, abs(a)):
            problems.append(f"batch {i}: loss {b:.6f} on {run['device']}, {a:.6f} on {ref['device']}")

    S, V, M = run["stages"], run["chunks"], run["microbatches"]
    with open(csv_path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if header[: len(HEADER)] != HEADER:
            problems.append(f"csv header {header}")
        rows = [dict(zip(header, r)) for r in reader]
    for r in rows:
        for k in ("batch", "stage", "microbatch", "chunk", "version", "start_us", "end_us"):
            r[k] = int(r[k])
        # Model part of (stage, chunk): round robin, or a V for zb-v and
        # dualpipev (chunk 1 of stage s holds part 2S-1-s).
        if run["schedule"] in ("zb-v", "dualpipev"):
            r["part"] = r["stage"] if r["chunk"] == 0 else 2 * S - 1 - r["stage"]
        else:
            r["part"] = r["chunk"] * S + r["stage"]
        if r["end_us"] < r["start_us"]:
            problems.append(f"slot ends before it starts: {r}")

    by_stage = defaultdict(list)
    for r in rows:
        by_stage[r["stage"]].append(r)
    for s, slots in sorted(by_stage.items()):
        slots.sort(key=lambda r: (r["start_us"], r["end_us"]))
        for a, b in zip(slots, slots[1:]):
            if b["start_us"] < a["end_us"]:
                problems.append(f"stage {s}: {a['op']} mb{a['microbatch']} and {b['op']} "
                                f"mb{b['microbatch']} overlap")

    slot = defaultdict(list)  # (batch, mb, part, op) -> rows
    for r in rows:
        slot[(r["batch"], r["microbatch"], r["part"], r["op"])].append(r)
    batches = run["batches"]
    def backward(b, mb, p):
        # Split kinds run I then W where a plain backward is B (dualpipev
        # mixes both): whichever the run recorded.
        return slot.get((b, mb, p, "I")) or slot.get((b, mb, p, "B"), [])

    for b in range(batches):
        for mb in range(M):
            for p in range(S * V):
                f = slot.get((b, mb, p, "F"), [])
                back = backward(b, mb, p)
                split = back and back[0]["op"] == "I"
                if len(f) != 1 or len(back) != 1:
                    problems.append(f"batch {b} mb{mb} part {p}: {len(f)} F, {len(back)} backward")
                    continue
                if split:
                    w = slot.get((b, mb, p, "W"), [])
                    if len(w) != 1 or w[0]["start_us"] + slack < back[0]["end_us"]:
                        problems.append(f"batch {b} mb{mb} part {p}: W missing or before I")
                if p + 1 < S * V:
                    nf = slot.get((b, mb, p + 1, "F"), [])
                    if nf and nf[0]["start_us"] + slack < f[0]["end_us"]:
                        problems.append(f"batch {b} mb{mb}: F of part {p + 1} starts before "
                                        f"F of part {p} ends")
                    nb = backward(b, mb, p + 1)
                    if nb and back[0]["start_us"] + slack < nb[0]["end_us"]:
                        problems.append(f"batch {b} mb{mb}: backward of part {p} starts before "
                                        f"that of part {p + 1} ends")

    for p in problems[:50]:
        print("FAIL", p)
    if len(problems) > 50:
        print(f"FAIL ... and {len(problems) - 50} more")
    print(f"{run['schedule']} on {run['device']}: {len(rows)} slots, "
          f"losses {' '.join(f'{x:.4f}' for x in run_losses)}, "
          f"bubble measured {run['bubble_fraction']['measured']:.3f} "
          f"closed form {run['bubble_fraction'].get('closed_form', float('nan')):.3f}: "
          f"{'ok' if not problems else str(len(problems)) + ' problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
