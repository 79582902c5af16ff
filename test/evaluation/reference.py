#!/usr/bin/env python3
"""Reference values for test/regress/sql/evaluation.sql.

Written independently of extension/evaluate.c, with the standard library only:
min-max, entropy and TOPSIS straight from the formulas in docs/evaluation.md;
AHP by another method than the extension's power iteration: the characteristic
polynomial in exact rational arithmetic (Faddeev-LeVerrier), its largest real
root by bisection, and the eigenvector from (A - lambda I) w = 0 by Gaussian
elimination.  Run: python3 test/evaluation/reference.py
"""
from fractions import Fraction as F
import math

# ------------------------------------------------------------------ data
# Five cities, four indicators: inspection completion rate % (benefit),
# complaints per 10,000 subjects (cost), public rating (benefit), major
# accidents (cost).  Invented numbers.
X = [[96, 3.2, 88, 2],
     [91, 2.5, 90, 1],
     [85, 4.1, 82, 4],
     [93, 2.9, 86, 0],
     [98, 3.6, 91, 3]]
BENEFIT = [True, False, True, False]
W_FIXED = [0.3, 0.2, 0.3, 0.2]


def minmax(x, benefit):
    cols = list(zip(*x))
    lo = [min(c) for c in cols]
    hi = [max(c) for c in cols]
    return [[(v - lo[j]) / (hi[j] - lo[j]) if benefit[j] else (hi[j] - v) / (hi[j] - lo[j])
             for j, v in enumerate(row)] for row in x]


def entropy(x):
    m = len(x)
    d = []
    for col in zip(*x):
        s = sum(col)
        e = -sum((v / s) * math.log(v / s) for v in col if v > 0) / math.log(m)
        d.append(1 - e)
    return [dj / sum(d) for dj in d]


def topsis(x, w, benefit):
    cols = list(zip(*x))
    norm = [math.sqrt(sum(v * v for v in c)) for c in cols]
    v = [[w[j] * row[j] / norm[j] for j in range(len(row))] for row in x]
    vc = list(zip(*v))
    best = [max(c) if benefit[j] else min(c) for j, c in enumerate(vc)]
    worst = [min(c) if benefit[j] else max(c) for j, c in enumerate(vc)]
    out = []
    for row in v:
        dp = math.sqrt(sum((a - b) ** 2 for a, b in zip(row, best)))
        dm = math.sqrt(sum((a - b) ** 2 for a, b in zip(row, worst)))
        out.append(dm / (dp + dm))
    return out


# ------------------------------------------------------------------ AHP
def charpoly(a):
    """Coefficients c[0..n] of det(lambda I - A) = sum c_k lambda^(n-k), exactly."""
    n = len(a)
    ident = [[F(int(i == j)) for j in range(n)] for i in range(n)]
    m = [[F(0)] * n for _ in range(n)]
    c = [F(1)]
    for k in range(1, n + 1):
        # M_k = A M_{k-1} + c_{k-1} I ; c_k = -tr(A M_k) / k
        am = [[sum(a[i][t] * m[t][j] for t in range(n)) for j in range(n)] for i in range(n)]
        m = [[am[i][j] + c[-1] * ident[i][j] for j in range(n)] for i in range(n)]
        am = [[sum(a[i][t] * m[t][j] for t in range(n)) for j in range(n)] for i in range(n)]
        c.append(-sum(am[i][i] for i in range(n)) / k)
    return c


def largest_root(c, lo, hi):
    p = lambda t: sum(ck * t ** (len(c) - 1 - k) for k, ck in enumerate(c))
    # scan down from hi for the first sign change, then bisect (floats suffice here)
    steps = 20000
    prev_t, prev = hi, p(hi)
    for s in range(1, steps + 1):
        t = hi - (hi - lo) * s / steps
        cur = p(t)
        if cur == 0:
            return t
        if (cur < 0) != (prev < 0):
            a, b = t, prev_t
            for _ in range(200):
                mid = (a + b) / 2
                if (p(mid) < 0) == (p(a) < 0):
                    a = mid
                else:
                    b = mid
            return (a + b) / 2
        prev_t, prev = t, cur
    raise ValueError("no root")


def ahp(a):
    n = len(a)
    c = charpoly(a)
    cf = [float(x) for x in c]
    lam = largest_root(cf, n - 1e-9, max(sum(float(v) for v in row) for row in a) + 1)
    # solve (A - lam I) w = 0 with w_n = 1: drop the last equation
    b = [[float(a[i][j]) - (lam if i == j else 0) for j in range(n)] for i in range(n - 1)]
    rhs = [-row[n - 1] for row in b]
    b = [row[:n - 1] for row in b]
    k = n - 1
    for col in range(k):
        piv = max(range(col, k), key=lambda r: abs(b[r][col]))
        b[col], b[piv] = b[piv], b[col]
        rhs[col], rhs[piv] = rhs[piv], rhs[col]
        for r in range(k):
            if r != col:
                f = b[r][col] / b[col][col]
                b[r] = [x - f * y for x, y in zip(b[r], b[col])]
                rhs[r] -= f * rhs[col]
    w = [rhs[i] / b[i][i] for i in range(k)] + [1.0]
    s = sum(w)
    w = [x / s for x in w]
    ri = {3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45}
    ci = (lam - n) / (n - 1)
    return w, lam, ci, ci / ri[n]


def r6(v):
    return [round(x, 6) for x in v]


if __name__ == "__main__":
    print("normalize_minmax(X, BENEFIT):")
    for row in minmax(X, BENEFIT):
        print("  ", r6(row))
    print("entropy_weights(normalize_minmax(X, BENEFIT)):", r6(entropy(minmax(X, BENEFIT))))
    print("entropy_weights(X) (raw, all non-negative):", r6(entropy(X)))
    print("entropy_weights([[1,1,2],[1,0,2],[0,0,2]]):", r6(entropy([[1, 1, 2], [1, 0, 2], [0, 0, 2]])))
    print("topsis(X, W_FIXED, BENEFIT):", r6(topsis(X, W_FIXED, BENEFIT)))
    we = entropy(minmax(X, BENEFIT))
    print("topsis(X, entropy weights, BENEFIT):", r6(topsis(X, we, BENEFIT)))
    a3 = [[F(1), F(3), F(5)], [F(1, 3), F(1), F(3)], [F(1, 5), F(1, 3), F(1)]]
    w, lam, ci, cr = ahp(a3)
    print("ahp 3x3 [[1,3,5],[1/3,1,3],[1/5,1/3,1]]: w", r6(w), "lambda", round(lam, 6), "ci", round(ci, 6), "cr", round(cr, 6))
    a4 = [[F(1), F(1, 3), F(1, 9), F(1, 5)], [F(3), F(1), F(1), F(1)],
          [F(9), F(1), F(1), F(3)], [F(5), F(1), F(1, 3), F(1)]]
    w, lam, ci, cr = ahp(a4)
    print("ahp 4x4 [[1,1/3,1/9,1/5],[3,1,1,1],[9,1,1,3],[5,1,1/3,1]]: w", r6(w), "lambda", round(lam, 6), "ci", round(ci, 6), "cr", round(cr, 6))
    a4b = [[F(1), F(5), F(1, 3), F(7)], [F(1, 5), F(1), F(1, 7), F(3)],
           [F(3), F(7), F(1), F(1, 2)], [F(1, 7), F(1, 3), F(2), F(1)]]
    w, lam, ci, cr = ahp(a4b)
    print("ahp 4x4 inconsistent [[1,5,1/3,7],[1/5,1,1/7,3],[3,7,1,1/2],[1/7,1/3,2,1]]: w", r6(w), "lambda", round(lam, 6), "ci", round(ci, 6), "cr", round(cr, 6))
