#!/usr/bin/env python3
"""Decision values of a two-class liblinear model (make bench).

    bench/linear.py MODEL DATA.svm > scores

liblinear-predict prints only labels (probabilities only for logistic
regression), so the decision value w.x + b, positive for the +1 label, is
computed here from the model's weights: one value a line of DATA.svm.
"""
import sys

import numpy as np


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    with open(sys.argv[1]) as f:
        head = {}
        for line in f:
            if line.strip() == "w":
                break
            k, _, v = line.strip().partition(" ")
            head[k] = v
        w = np.array([float(x) for x in f.read().split()])
    if head.get("nr_class") != "2":
        sys.exit("linear.py: not a two-class model")
    sign = 1.0 if head["label"].split()[0] == "1" else -1.0
    n = int(head["nr_feature"])
    bias = float(head.get("bias", "-1"))
    b = w[n] * bias if bias >= 0 else 0.0
    out = []
    with open(sys.argv[2]) as f:
        for line in f:
            s = b
            for tok in line.split()[1:]:
                i, _, v = tok.partition(":")
                i = int(i)
                if i <= n:
                    s += w[i - 1] * float(v)
            out.append("%.6f\n" % (sign * s))
    sys.stdout.write("".join(out))


if __name__ == "__main__":
    main()
