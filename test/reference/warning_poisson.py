#!/usr/bin/env python3
"""Reference values for test/regress/sql/warning.sql, computed independently
of extension/warning.c with the Python standard library only (decimal at 60
significant digits; math.factorial for exact small factorials).

    P(X >= k), X ~ Poisson(lam) = sum_{i >= k} exp(-lam) lam^i / i!

summed term by term from i = k upwards (or as 1 - sum_{i < k} when that is the
shorter side) until the terms no longer change the 60-digit sum; log(k!) for
large k from Stirling's series with 8 Bernoulli terms (error far below 1e-40
for k >= 1000). EWMA: s1 = x1, st = a*xt + (1 - a)*s(t-1) in exact decimals.

Run: python3 test/reference/warning_poisson.py
"""
from decimal import Decimal as D, getcontext
from fractions import Fraction
import math

getcontext().prec = 60
PI = D("3.14159265358979323846264338327950288419716939937510582097494459")
BERNOULLI = [Fraction(1, 6), Fraction(-1, 30), Fraction(1, 42), Fraction(-1, 30), Fraction(5, 66),
             Fraction(-691, 2730), Fraction(7, 6), Fraction(-3617, 510)]


def log_factorial(k):
    if k < 1000:
        return D(math.factorial(k)).ln()
    k = D(k)
    s = (k + D("0.5")) * k.ln() - k + (2 * PI).ln() / 2
    for m, b in enumerate(BERNOULLI, start=1):
        s += D(b.numerator) / D(b.denominator) / (2 * m * (2 * m - 1) * k ** (2 * m - 1))
    return s


def log_pmf(i, lam):
    return -lam + i * lam.ln() - log_factorial(i)


def tail(k, lam):
    """P(X >= k) for X ~ Poisson(lam)."""
    lam = D(lam)
    if k == 0:
        return D(1)
    if lam == 0:
        return D(0)
    if lam < k + 1:
        term = log_pmf(k, lam).exp()
        total = D(0)
        i = k
        while True:
            new = total + term
            if new == total:
                return total
            total = new
            i += 1
            term = term * lam / i
    term = log_pmf(k - 1, lam).exp()
    total = D(0)
    i = k - 1
    while i >= 0:
        new = total + term
        if new == total:
            break
        total = new
        term = term * i / lam
        i -= 1
    return 1 - total


def ewma(xs, a):
    a = D(a)
    s = [D(xs[0])]
    for x in xs[1:]:
        s.append(a * D(x) + (1 - a) * s[-1])
    return s


if __name__ == "__main__":
    for k, lam in [(1, "2.5"), (5, "1"), (10, "2"), (20, "3.2"), (3, "500"), (7, "7"),
                   (1000100, "1000000"), (1005000, "1000000"), (1000000, "1000000"), (999000, "1000000"),
                   (1000, "1"), (60, "0.5")]:
        print(f"poisson_tail({k}, {lam}) = {tail(k, lam):.20e}")
    print("ewma({2,1,3,0,2}, 0.3) =", [str(v) for v in ewma([2, 1, 3, 0, 2], "0.3")])
    hist = [2, 1, 3, 1, 2, 1]
    base = ewma(hist, "0.3")[-1]
    print("spike({2,1,3,1,2,1,9}, 0.3): baseline =", base, " p =", f"{tail(9, base):.20e}")
