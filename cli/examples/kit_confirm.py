"""The later-confirmation prototype on kit_model's hits: two windows' novelties averaged.

    rm -f /tmp/d256 /tmp/d1024   # KIT_DUMP appends
    KIT_DUMP=/tmp/d256 cargo run --release -p timbrel-cli --example kit_model
    KIT_DUMP=/tmp/d1024 cargo run --release -p timbrel-cli --example kit_model -- --window 1024
    python3 cli/examples/kit_confirm.py /tmp/d256 /tmp/d1024 [LIMIT]

Both dumps list the same test hits in the same order (`model category novelty/threshold` per
line). A hit is unknown when the mean of its two relative novelties is over LIMIT (default
0.9); printed per category: the share unknown at the first window, the second, and both
averaged (for "snarehat" and "snarehatbefore" the share is the snare called unknown, for
"velsplit" the held-out layers).
"""

import sys
from collections import defaultdict


def rows(path):
    return [line.rstrip("\n").split("\t") for line in open(path)]


def main():
    short, long = rows(sys.argv[1]), rows(sys.argv[2])
    limit = float(sys.argv[3]) if len(sys.argv) > 3 else 0.9
    if len(short) != len(long) or any(a[:2] != b[:2] for a, b in zip(short, long)):
        sys.exit("the two dumps do not list the same hits")
    counts = defaultdict(lambda: [0, 0, 0, 0])
    for a, b in zip(short, long):
        n1, n2 = float(a[2]), float(b[2])
        c = counts[a[1]]
        c[0] += 1
        c[1] += n1 > 1.0
        c[2] += n2 > 1.0
        c[3] += 0.5 * (n1 + n2) > limit
    print("category  hits  unknown: first / second / mean over %.2f" % limit)
    for name, (n, first, second, mean) in sorted(counts.items()):
        print("%-15s %4d  %5.1f / %5.1f / %5.1f %%" % (name, n, 100 * first / n, 100 * second / n, 100 * mean / n))


if __name__ == "__main__":
    main()
