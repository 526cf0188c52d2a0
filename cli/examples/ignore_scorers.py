"""Other rules for an ignore class, on the descriptors `kit_model --ignore-own` exports.

    KIT_CACHE=/tmp/kits.json KIT_EXPORT=/tmp/own256.jsonl \\
        cargo run --release -p timbrel-cli --example kit_model -- --ignore-own
    python3 cli/examples/ignore_scorers.py /tmp/own256.jsonl   # needs numpy

The model's own rule (`learn/src/novelty.rs`) ignores a hit nearer, in the drum's whitened
metric, to one of the ignore class's examples than to the drum. Here the drum is scored as
format 4 (`kit_scorers.MixtureBox`, hat segments) and, as the alternative, a hit is ignored
when a shrinkage LDA over the drum's classes and the ignore class (optionally with the drum's
hits under the synthetic hat as drum classes: "hat") gives the ignore class the highest
discriminant. "none" is the drum's novelty with no ignore rule at all. Printed: percent
rejected (unknown or ignored) per category; "own ..." are the training kit's own other pieces
on layers the ignore class left out.
"""

import sys

import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from kit_scorers import USED, MixtureBox, hat_set, load  # noqa: E402

CATS = ["between", "held-out", "own Tom", "own Cymbal", "own HiHat", "own Kick", "Tom", "Cymbal", "HiHat",
        "Kick", "snarehat", "snarehatbefore"]


def rows_of(m, name):
    """(rows, classes) of a training set, without the hits training left out."""
    x, labels = m[name]
    keep = np.array(["x" not in s for s in labels])
    y = np.array([int(s.rstrip("x")) for s in labels])
    return x[keep], y[keep]


def lda_ignore(x, y, shrink, hats=None):
    """A predicate over rows: the ignore class (2) has the highest LDA discriminant."""
    if hats is not None:
        x = np.vstack([x, hats[0]])
        y = np.concatenate([y, hats[1] + 3])
    mu = x[y < 2].mean(0)
    sd = x[y < 2].std(0)
    sd[sd < 1e-6] = 1
    z = ((x - mu) / sd)[:, USED]
    classes = sorted(set(y.tolist()))
    means = [z[y == c].mean(0) for c in classes]
    r = np.vstack([z[y == c] - z[y == c].mean(0) for c in classes])
    s = r.T @ r / len(r)
    s = (1 - shrink) * s + shrink * np.trace(s) / len(s) * np.eye(len(s))
    p = np.linalg.inv(s)

    def ignored(rows):
        u = ((rows - mu) / sd)[:, USED]
        g = np.stack([u @ p @ m - 0.5 * m @ p @ m for m in means], 1)
        gi = g[:, classes.index(2)]
        gd = np.max(np.stack([g[:, k] for k, c in enumerate(classes) if c != 2], 1), 1)
        return gi > gd

    return ignored


def evaluate(models, rule):
    tot = {}
    for m in models.values():
        for train_set, tests in (("train", [c for c in CATS if c in m]), ("split_train", ["held-out"])):
            x, y = rows_of(m, train_set)
            drum = MixtureBox(x[y < 2], y[y < 2], *hat_set(m), level=15)
            ignored = rule(x, y, m) if rule else None
            for c in tests:
                rows = m["split_test"][0] if c == "held-out" else m[c][0]
                out = drum.score(rows) > drum.threshold
                if ignored is not None:
                    out = out | ignored(rows)
                a, b = tot.get(c, (0, 0))
                tot[c] = (a + out.sum(), b + len(out))
    return tot


if __name__ == "__main__":
    models = load(sys.argv[1])
    print(" " * 10 + " ".join(f"{c[:10]:>10s}" for c in CATS))
    rules = [("none", None)]
    for shrink in (0.3, 0.6):
        rules.append((f"lda {shrink}", lambda x, y, m, s=shrink: lda_ignore(x, y, s)))
        rules.append((f"hat {shrink}", lambda x, y, m, s=shrink: lda_ignore(x, y, s, hat_set(m))))
    for label, rule in rules:
        t = evaluate(models, rule)
        print(f"{label:10s}" + " ".join(f"{100 * t[c][0] / t[c][1]:10.1f}" for c in CATS if c in t))
