"""Other novelty scorers on the descriptors `kit_model` exports, for trade-off curves.

    KIT_CACHE=/tmp/kits.json KIT_EXPORT=/tmp/kit256.jsonl \
        cargo run --release -p timbrel-cli --example kit_model
    python3 cli/examples/kit_scorers.py /tmp/kit256.jsonl   # needs numpy

`FormatThree` re-implements `learn/src/novelty.rs` (format 3) with the training rule of
`learn/src/model/train.rs` (threshold 1.5 x the 90th percentile of the leave-one-out novelty, at
least 1.25), and gives kit_model's figures to the hit. Every other scorer is a variant of it;
each is printed at the same threshold rule scaled by 0.8..1.2, so that scorers are compared at
equal "between" rejection (the trade-off curve), not at one threshold. Categories: other kits'
hi-hats, cymbals, kicks and toms (share rejected), blends of the two trained sounds and the
snare under a hi-hat stroke (share unknown), held-out velocity layers of the split models
(share unknown).
"""

import json
import sys

import numpy as np

LEN = 276
# Level dimensions (descriptor.rs: mfcc0, frame peak and RMS mean/min/max; window level block).
LEVEL = [0, 2, 3, 144, 146, 147, 152, 154, 155, 168, 169, 170]
USED = np.array([j for j in range(LEN) if j not in LEVEL])
FRAME = [j for j in range(168) if j not in LEVEL]
# Descriptor blocks (descriptor.rs layout 1), for block weights.
BLOCKS = {
    "mfcc": [j for j in FRAME if j < 104 and j % 8 < 4],
    "mfcc_diff": [j for j in FRAME if j < 104 and j % 8 >= 4],
    "spectral": [j for j in FRAME if j >= 104 and j % 8 < 4],
    "spectral_diff": [j for j in FRAME if j >= 104 and j % 8 >= 4],
    "mel_rel": list(range(171, 211)),
    "mel_early_minus_late": list(range(211, 251)),
    "shape": list(range(251, 275)),
    "decay": [275],
}
CATEGORIES = ["HiHat", "Cymbal", "Kick", "Tom", "between", "snarehat", "snarehatbefore"]


def load(path):
    """{model: {set: (rows, labels)}} from kit_model's KIT_EXPORT lines."""
    models = {}
    for line in open(path):
        o = json.loads(line)
        m = models.setdefault(o["model"], {})
        rows = np.array(o["rows"], dtype=np.float64).reshape(-1, LEN)
        if o["set"] in m:
            m[o["set"]] = (np.vstack([m[o["set"]][0], rows]), m[o["set"]][1] + o["labels"])
        else:
            m[o["set"]] = (rows, o["labels"])
    return models


class FormatThree:
    """learn/src/novelty.rs: pooled within-class whitening, class spheres, box between."""

    def __init__(self, x, y, weights=None, floor=0.15, in_box=0.5, power=2.0, mahalanobis=None):
        self.power, self.in_box = power, in_box
        self.mu = x.mean(0)
        sd = x.std(0)
        self.inv = np.where(sd < 1e-6, 1.0, 1.0 / np.maximum(sd, 1e-300))
        z = ((x - self.mu) * self.inv)[:, USED]
        means = np.array([z[y == c].mean(0) for c in (0, 1)])
        var = sum(((z[y == c] - means[c]) ** 2).sum(0) for c in (0, 1)) / (len(y) - 2)
        self.whiten = 1.0 / np.maximum(np.sqrt(var), floor)
        if weights is not None:
            self.whiten = self.whiten * np.sqrt(weights)
        w = z * self.whiten
        self.centre = means * self.whiten
        self.precision = None
        self.scale = np.zeros(2)
        loo = np.zeros(len(y))
        if mahalanobis is not None:
            # Shrunk pooled within-class covariance; leave-one-out distances refit without
            # the hit (in-sample Mahalanobis distances in 264 dimensions from 30 hits are
            # several times too small).
            def precision(keep):
                r = np.vstack([w[keep & (y == c)] - w[keep & (y == c)].mean(0) for c in (0, 1)])
                s = r.T @ r / (len(r) - 2)
                s = (1 - mahalanobis) * s + mahalanobis * np.trace(s) / len(s) * np.eye(len(s))
                return np.linalg.inv(s)

            for i in range(len(y)):
                keep = np.arange(len(y)) != i
                self.precision = precision(keep)
                d = w[i] - w[keep & (y == y[i])].mean(0)
                loo[i] = self._norm(d[None])[0]
            self.precision = precision(np.ones(len(y), dtype=bool))
        for c in (0, 1):
            idx = np.where(y == c)[0]
            if mahalanobis is None:
                loo[idx] = self._norm(w[idx] - self.centre[c]) * len(idx) / (len(idx) - 1)
            self.scale[c] = max(np.quantile(loo[idx], 0.9), 1e-3)
        loo /= self.scale[y]
        self.threshold = max(1.5 * np.quantile(loo, 0.9), 1.25)

    def _norm(self, d):
        if self.precision is not None:
            return np.sqrt(np.einsum("ij,jk,ik->i", d, self.precision, d) / d.shape[1])
        return np.mean(np.abs(d) ** self.power, axis=-1) ** (1 / self.power)

    def _box(self, r, v):
        """Projection `t` of the rows `r` (hits minus the segment's start) onto `v` (the segment:
        one vector, or one per row), and their distance to the box `v` spans: the part outside
        it, plus `in_box` of the deviation from the segment inside it."""
        t = r @ v / (v @ v) if v.ndim == 1 else (r * v).sum(1) / (v * v).sum(1)
        outside = r - np.clip(r, np.minimum(v, 0), np.maximum(v, 0))
        off = r - t[:, None] * v
        p = self.power
        e_box = np.mean(np.abs(outside) ** p, 1)
        e_seg = np.mean(np.abs(off) ** p, 1)
        return t, (e_box + self.in_box * np.maximum(e_seg - e_box, 0)) ** (1 / p)

    def score(self, x):
        u = ((x - self.mu) * self.inv)[:, USED] * self.whiten
        best = np.min([self._norm(u - self.centre[c]) / self.scale[c] for c in (0, 1)], axis=0)
        v = self.centre[1] - self.centre[0]
        r = u - self.centre[0]
        t, dist = self._box(r, v)
        seg = dist / (self.scale[0] + t * (self.scale[1] - self.scale[0]))
        if self.precision is not None:
            tc = np.clip(r @ self.precision @ v / (v @ self.precision @ v), 0, 1)
            seg = self._norm(r - tc[:, None] * v) / (self.scale[0] + tc * (self.scale[1] - self.scale[0]))
        return np.where((t > 0) & (t < 1), np.minimum(best, seg), best)


class PerClassSpread(FormatThree):
    """Format 3 with each class's own spread per dimension (shrunk halfway to the pooled one)."""

    def __init__(self, x, y, own=0.5):
        super().__init__(x, y)
        w = ((x - self.mu) * self.inv)[:, USED] * self.whiten
        self.per_class = np.array(
            [1 / np.sqrt(np.maximum(own * ((w[y == c] - self.centre[c]) ** 2).mean(0) + 1 - own, 0.05)) for c in (0, 1)]
        )
        loo = np.zeros(len(y))
        for c in (0, 1):
            idx = np.where(y == c)[0]
            loo[idx] = self._norm((w[idx] - self.centre[c]) * self.per_class[c]) * len(idx) / (len(idx) - 1)
            self.scale[c] = np.quantile(loo[idx], 0.9)
        self.threshold = max(1.5 * np.quantile(loo / self.scale[y], 0.9), 1.25)

    def score(self, x):
        u = ((x - self.mu) * self.inv)[:, USED] * self.whiten
        best = np.min([self._norm((u - self.centre[c]) * self.per_class[c]) / self.scale[c] for c in (0, 1)], axis=0)
        v = self.centre[1] - self.centre[0]
        r = u - self.centre[0]
        t = r @ v / (v @ v)
        k = self.per_class[0] + np.clip(t, 0, 1)[:, None] * (self.per_class[1] - self.per_class[0])
        outside = (r - np.clip(r, np.minimum(v, 0), np.maximum(v, 0))) * k
        off = (r - t[:, None] * v) * k
        e_box = np.mean(outside**2, 1)
        e = e_box + self.in_box * np.maximum(np.mean(off**2, 1) - e_box, 0)
        seg = np.sqrt(e) / (self.scale[0] + t * (self.scale[1] - self.scale[0]))
        return np.where((t > 0) & (t < 1), np.minimum(best, seg), best)


class NearestHits(FormatThree):
    """Format 3 with the class spheres replaced by the mean distance to the 3 nearest training
    hits (scaled by its leave-one-out 90th percentile); the box between the centres stays."""

    def __init__(self, x, y, k=3):
        super().__init__(x, y)
        self.k = k
        self.w = ((x - self.mu) * self.inv)[:, USED] * self.whiten
        d = self._pairwise(self.w)
        np.fill_diagonal(d, np.inf)
        loo = np.sort(d, 1)[:, :k].mean(1)
        self.near_scale = np.quantile(loo, 0.9)
        self.threshold = max(1.5 * np.quantile(loo / self.near_scale, 0.9), 1.25)

    def _pairwise(self, u):
        return np.sqrt(((u[:, None] - self.w[None]) ** 2).mean(-1))

    def score(self, x):
        u = ((x - self.mu) * self.inv)[:, USED] * self.whiten
        near = np.sort(self._pairwise(u), 1)[:, : self.k].mean(1) / self.near_scale
        self_in_box = FormatThree.score(self, x)
        spheres = np.min([self._norm(u - self.centre[c]) / self.scale[c] for c in (0, 1)], axis=0)
        # The box part of format 3 where it is the nearer part, else the nearest hits.
        box = np.where(self_in_box < spheres, self_in_box, np.inf)
        return np.minimum(near, box)


class BrightForgiven(FormatThree):
    """Format 3 whose class distances also count without the deviations a hi-hat stroke on the
    drum makes: a *higher* mean, min or max of the frames' spectral centroid, spread, flatness or
    rolloff (linear frequency, magnitude-weighted: a hat 15 dB down moves them by 10-25 pooled
    within-class spreads, more than any other block). That distance divided by `kappa` (<= 1,
    stricter) competes with format 3's; scales and threshold stay format 3's."""

    def __init__(self, x, y, kappa=1.0):
        super().__init__(x, y)
        self.kappa = kappa
        sign = np.zeros(LEN)
        for feature in (13, 14, 15, 16):  # centroid, spread, flatness, rolloff
            for stat in (0, 2, 3):  # mean, min, max
                sign[8 * feature + stat] = 1.0
        self.sign = sign[USED]

    def score(self, x):
        u = ((x - self.mu) * self.inv)[:, USED] * self.whiten
        kept = lambda d: np.where(d * self.sign > 0, 0.0, d)
        forgiving = np.min(
            [np.sqrt(np.mean(kept(u - self.centre[c]) ** 2, -1)) / self.scale[c] for c in (0, 1)], axis=0
        )
        return np.minimum(FormatThree.score(self, x), forgiving / self.kappa)


class LevelConditioned(FormatThree):
    """Format 3 whose class centres move with the hit's level: each whitened dimension linear in
    the window RMS (dBFS, descriptor index 169) within the class, the slope shrunk towards 0 by
    `shrink`, the level clamped to the class's trained range (widened by `margin` dB). Whitening
    and scales come from the residuals (exact leave-one-out for the regression)."""

    LEVEL = 169

    def __init__(self, x, y, shrink=0.0, floor=0.15, in_box=0.5, margin=0.0):
        self.in_box, self.power, self.precision = in_box, 2.0, None
        self.mu = x.mean(0)
        sd = x.std(0)
        self.inv = np.where(sd < 1e-6, 1.0, 1.0 / np.maximum(sd, 1e-300))
        z = ((x - self.mu) * self.inv)[:, USED]
        level = x[:, self.LEVEL]
        self.mean_level, self.lo, self.hi, slopes, means = [], [], [], [], []
        res = np.zeros_like(z)
        leverage = np.zeros(len(y))
        for c in (0, 1):
            i = y == c
            dl = level[i] - level[i].mean()
            m = z[i].mean(0)
            sxx = max((dl**2).sum(), 1e-9)
            slope = (dl[:, None] * (z[i] - m)).sum(0) / sxx * (1 - shrink)
            res[i] = z[i] - m - dl[:, None] * slope
            leverage[i] = 1.0 / i.sum() + (1 - shrink) * dl**2 / sxx
            self.mean_level.append(level[i].mean())
            self.lo.append(level[i].min() - margin)
            self.hi.append(level[i].max() + margin)
            slopes.append(slope)
            means.append(m)
        self.whiten = 1.0 / np.maximum(np.sqrt((res**2).sum(0) / (len(y) - 4)), floor)
        self.means = np.array(means) * self.whiten
        self.slopes = np.array(slopes) * self.whiten
        loo = np.sqrt(((res * self.whiten) ** 2).mean(1)) / (1 - leverage)
        self.scale = np.array([max(np.quantile(loo[y == c], 0.9), 1e-3) for c in (0, 1)])
        loo /= self.scale[y]
        self.threshold = max(1.5 * np.quantile(loo, 0.9), 1.25)

    def score(self, x):
        u = ((x - self.mu) * self.inv)[:, USED] * self.whiten
        level = x[:, self.LEVEL]
        c0, c1 = (
            self.means[c] + (np.clip(level, self.lo[c], self.hi[c]) - self.mean_level[c])[:, None] * self.slopes[c]
            for c in (0, 1)
        )
        best = np.minimum(self._norm(u - c0) / self.scale[0], self._norm(u - c1) / self.scale[1])
        t, dist = self._box(u - c0, c1 - c0)
        seg = dist / (self.scale[0] + t * (self.scale[1] - self.scale[0]))
        return np.where((t > 0) & (t < 1), np.minimum(best, seg), best)


class MixtureBox(FormatThree):
    """Format 3 plus, per class, a box from its centre to the centre of the same training hits
    with a synthetic hi-hat burst on their attack (kit_model's `train_hat` set: seeded noise
    high-passed at 5 kHz, 15-40 ms decay, its peak `level` dB below the hit's; -15 dB alone, or
    every level), with format 3's in-box weight and the class's own scale: a drum hit with a
    hat stroke on it lies in that box, a hat alone far beyond its end."""

    def __init__(self, x, y, hat_x, hat_y, level=None):
        super().__init__(x, y)
        u = ((hat_x - self.mu) * self.inv)[:, USED] * self.whiten
        # Rows come per layer at -10, -15, -20 dB.
        pick = {None: slice(None), 10: slice(0, None, 3), 15: slice(1, None, 3), 20: slice(2, None, 3)}[level]
        self.ends = [u[hat_y == c][pick].mean(0) for c in (0, 1)]

    def score(self, x):
        out = FormatThree.score(self, x)
        u = ((x - self.mu) * self.inv)[:, USED] * self.whiten
        for c in (0, 1):
            t, dist = self._box(u - self.centre[c], self.ends[c] - self.centre[c])
            out = np.where((t > 0) & (t < 1), np.minimum(out, dist / self.scale[c]), out)
        return out


def training(m, name):
    x, labels = m[name]
    keep = np.array(["x" not in s for s in labels])  # "x": left out as doubtful by train()
    y = np.array([int(s.rstrip("x")) for s in labels])
    return x[keep], y[keep]


def block_weights(per_block):
    pos = {j: k for k, j in enumerate(USED)}
    w = np.ones(len(USED))
    for name, f in per_block.items():
        for j in BLOCKS[name]:
            w[pos[j]] = f
    return w


SCORERS = {
    "format 3": lambda x, y: FormatThree(x, y),
    "L4 instead of RMS": lambda x, y: FormatThree(x, y, power=4.0),
    "segment (in-box weight 1)": lambda x, y: FormatThree(x, y, in_box=1.0),
    "box only (in-box weight 0)": lambda x, y: FormatThree(x, y, in_box=0.0),
    "floor 0.5": lambda x, y: FormatThree(x, y, floor=0.5),
    "Mahalanobis, shrinkage 0.3": lambda x, y: FormatThree(x, y, mahalanobis=0.3),
    "per-class spreads": lambda x, y: PerClassSpread(x, y),
    "nearest 3 hits instead of centres": lambda x, y: NearestHits(x, y),
    "half weight: differences, early-late": lambda x, y: FormatThree(
        x, y, weights=block_weights({"mfcc_diff": 0.5, "spectral_diff": 0.5, "mel_early_minus_late": 0.5})
    ),
    "double weight: spectral, mel_rel": lambda x, y: FormatThree(
        x, y, weights=block_weights({"spectral": 2.0, "mel_rel": 2.0})
    ),
    "brighter spectral stats forgiven": lambda x, y: BrightForgiven(x, y),
    "brighter forgiven, 0.9 x stricter": lambda x, y: BrightForgiven(x, y, kappa=0.9),
    "centres following the level": lambda x, y: LevelConditioned(x, y),
    "the same, slopes shrunk halfway": lambda x, y: LevelConditioned(x, y, shrink=0.5),
    # Scorers that read the model's `train_hat` set (a third argument).
    "mixture box, synthetic hat -15 dB": lambda x, y, m: MixtureBox(x, y, *hat_set(m), level=15),
    "mixture box, synthetic hat every level": lambda x, y, m: MixtureBox(x, y, *hat_set(m)),
}


def hat_set(m):
    """The training hits with a synthetic hat (rows, classes), from kit_model's `train_hat`."""
    x, labels = m["train_hat"]
    return x, np.array([int(s) for s in labels])

def scores(models, make):
    """Per model: (threshold, {category: novelties}) of the full and the split model."""
    out = []
    for m in models.values():
        fit = (lambda x, y: make(x, y, m)) if make.__code__.co_argcount == 3 else make
        s = fit(*training(m, "train"))
        split = fit(*training(m, "split_train"))
        got = {c: s.score(m[c][0]) / s.threshold for c in CATEGORIES if c in m}
        got["held-out layers"] = split.score(m["split_test"][0]) / split.threshold
        out.append(got)
    return out


def rejected(per_model, factor):
    """Percent above `factor` x each model's threshold, per category, over all models."""
    keys = per_model[0].keys()
    return {
        k: 100.0 * sum((p[k] > factor).sum() for p in per_model) / sum(len(p[k]) for p in per_model)
        for k in keys
    }


if __name__ == "__main__":
    models = load(sys.argv[1])
    order = ["between", "held-out layers", "Tom", "Cymbal", "HiHat", "Kick", "snarehat", "snarehatbefore"]
    print("% rejected or unknown: " + ", ".join(order))
    print("at the trained threshold (factor 1), then at the lowest factor (0.5..4) with at most")
    print("5.6 % and 1.4 % of blends unknown (format 3 at factor 1 and 1.1)")
    for name, make in SCORERS.items():
        if make.__code__.co_argcount == 3 and not all("train_hat" in m for m in models.values()):
            print(f"{name:38s} (needs kit_model's train_hat set: export again)")
            continue
        per_model = scores(models, make)
        rows = [("1.00", rejected(per_model, 1.0))]
        grid = np.arange(0.5, 4.0, 0.01)
        for limit in (5.6, 1.4):
            f = next((f for f in grid if rejected(per_model, f)["between"] <= limit), None)
            if f is not None:
                rows.append((f"{f:.2f}", rejected(per_model, f)))
        for f, r in rows:
            print(f"{name:38s} {f}: " + " ".join(f"{r[k]:5.1f}" for k in order))
