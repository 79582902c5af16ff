#!/usr/bin/env python3
"""Reference numbers for test/regress/sql/evaluation_report.sql.

The worked example of an evaluation run (index system EVALTEST-A, four cities,
two quarters of 2003), computed from the formulas of docs/evaluation.md
("Runs") with the standard library only, independently of
sql/evaluation_index.sql: min-max normalisation by direction, a constant
indicator left out and its siblings' weights rescaled, fixed weights divided
by their sum, AHP weights from reference.py (characteristic polynomial, not
the extension's power iteration), entropy weights of the children's
normalised values, weighted sums, scores 0-100, competition ranks, changes
against the previous quarter.

Run: python3 test/evaluation/run_reference.py
"""
import os
import sys
from fractions import Fraction as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import ahp, entropy  # noqa: E402  (same folder)

UNITS = ["320100", "320200", "320300", "320500"]   # 南京 无锡 徐州 苏州

# The tree: group -> (method, children); fixed weights; AHP matrix rows follow the children.
TREE = {
    "total":    ("fixed", ["business", "opinion", "outcome"]),
    "business": ("ahp", ["b_insp", "b_pub", "b_pen"]),
    "opinion":  ("entropy", ["o_neg", "o_complaints"]),
    "outcome":  ("fixed", ["x_accidents", "x_rating", "x_petitions"]),
}
FIXED = {"business": 5, "opinion": 3, "outcome": 2, "x_accidents": 2, "x_rating": 3, "x_petitions": 1}
AHP = {"business": [[F(1), F(3), F(5)], [F(1, 3), F(1), F(3)], [F(1, 5), F(1, 3), F(1)]]}
BENEFIT = {"b_insp": True, "b_pub": True, "b_pen": False, "o_neg": False, "o_complaints": False,
           "x_accidents": False, "x_rating": True, "x_petitions": False}

# Raw values per indicator, in the order of UNITS. b_pen is the number of
# penalty behaviours the test ingests per city and quarter (query penalties).
Q1 = {"b_insp": [92, 85, 70, 96], "b_pub": [88, 95, 60, 90], "b_pen": [3, 1, 5, 2],
      "o_neg": [12, 8, 20, 15], "o_complaints": [30, 25, 40, 28],
      "x_accidents": [1, 0, 3, 2], "x_rating": [86, 90, 78, 88], "x_petitions": [5, 5, 5, 5]}
Q2 = {"b_insp": [90, 93, 80, 88], "b_pub": [91, 94, 75, 85], "b_pen": [2, 2, 1, 4],
      "o_neg": [10, 9, 14, 18], "o_complaints": [26, 27, 35, 30],
      "x_accidents": [0, 1, 2, 2], "x_rating": [88, 89, 82, 85], "x_petitions": [4, 6, 9, 5]}


def run(raw):
    value = {}      # node -> list of values per unit, in [0, 1]
    weight = {}     # node -> weight within its parent (0 when left out)
    for leaf, xs in raw.items():
        lo, hi = min(xs), max(xs)
        if lo == hi:
            continue                        # constant: left out
        value[leaf] = [(x - lo) / (hi - lo) if BENEFIT[leaf] else (hi - x) / (hi - lo) for x in xs]

    def group(g):
        method, children = TREE[g]
        for c in children:
            if c in TREE:
                group(c)
        inc = [c for c in children if c in value]
        if method == "fixed":
            w = [FIXED[c] for c in inc]
        elif method == "ahp":
            full = ahp(AHP[g])[0]
            w = [full[children.index(c)] for c in inc]
        else:
            w = entropy([[value[c][u] for c in inc] for u in range(len(UNITS))])
        s = sum(w)
        for c in children:
            weight[c] = 0.0
        for c, wc in zip(inc, w):
            weight[c] = wc / s
        value[g] = [sum(weight[c] * value[c][u] for c in inc) for u in range(len(UNITS))]

    group("total")
    scores = [100 * v for v in value["total"]]
    ranks = [1 + sum(1 for t in scores if t > sc + 1e-9) for sc in scores]
    return scores, ranks, weight, value


def r4(v):
    return [round(x, 4) for x in v]


if __name__ == "__main__":
    w, lam, ci, cr = ahp(AHP["business"])
    print("AHP business [[1,3,5],[1/3,1,3],[1/5,1/3,1]]: weights", r4(w), "CR", round(cr, 4))
    prev = None
    for name, raw in (("2003 Q1", Q1), ("2003 Q2", Q2)):
        scores, ranks, weight, value = run(raw)
        print(name)
        print("  weights:", {k: round(v, 4) for k, v in sorted(weight.items())})
        for g in ("business", "opinion", "outcome"):
            print("  %-9s" % g, r4([100 * v for v in value[g]]))
        for i, u in enumerate(UNITS):
            line = "  %s score %.4f rank %d" % (u, scores[i], ranks[i])
            if prev:
                line += "  delta %+.4f rank delta %+d" % (scores[i] - prev[0][i], prev[1][i] - ranks[i])
            print(line)
        prev = (scores, ranks)
