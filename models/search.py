"""Search the layouts the seed's words allow for its galaxy Model 2, counting parameters by arithmetic.

The seed says Model 2 has 7 convolutions, "starts with a 10x10 convolution and only 8 filters",
"slowly increases in complexity starting with fewer filters and gradually increasing them", "uses a
variety of kernel sizes", and has 3,649,546 or 3,532,314 parameters (its sentence pairing the two
counts with Models 1 and 2 reads either way). The space searched here:

- filters: 8, then never decreasing, multiples of 8 up to 128, each at most twice the one before;
- kernels: 10, then never increasing (any size 1-10);
- padding 'same' or 'valid' per convolution; a 2x2 max-pool (floor) after 3 or 4 of the 7;
- the CIFAR-style head of Model 1: Flatten, Dense(64) relu, dropout, Dense(10); input 256x256x3.

Parameters and forward FLOPs are counted arithmetically (no Keras build), so the whole space (2,954
filter x 5,005 kernel sequences x 128 paddings x 70 pool placements, 1.3 x 10^11 layouts) is searched
in about half a minute: for each kernel sequence the reachable final sides come from a small dynamic
program, every filter sequence's convolution count is one numpy product, and only a count whose
remainder is 64 x last filters x side^2 survives. The conventional sizes (kernels 10/7/5/3/1, widths
8/16/24/32/48/64/96/128) narrow it to 5.8 x 10^8 layouts. ``python -m models.search`` prints both;
its output:

    Model 2 at 3,532,314, kernels 10..1, filters 8..128: 90,820 layouts, FLOPs ratio 0.437 .. 49.519,
      222 within 0.05 of the seed's
      conventional sizes: 950 layouts, 1 filter/kernel sequence(s); closest:
      0.577 GFLOPs (0.601x) filters 8-16-24-32-32-64-64, kernels 10-5-5-3-3-3-3, pool after 1,2,3,
        valid on 1,2
      0.605 GFLOPs (0.630x) filters 8-16-24-32-32-64-64, kernels 10-5-5-3-3-3-3, pool after 1,2,3,
        valid on 2,3
    Model 2 at 3,649,546, kernels 10..1, filters 8..128: 68,570 layouts, FLOPs ratio 0.407 .. 62.696,
      928 within 0.05 of the seed's
      conventional sizes: 6 layouts, 1 filter/kernel sequence(s); closest:
      0.512 GFLOPs (0.533x)  filters 8-16-24-48-64-96-96, kernels 10-3-3-3-3-3-1, pool after 1,2,3,
      valid on 2,3,4,5,6
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

INPUT_SIDE = 256
CHANNELS = 3
DENSE = 64
CLASSES = 10
HEAD_EXTRA = DENSE + DENSE * CLASSES + CLASSES  # dense bias + the softmax layer: 714
TARGETS = (3_532_314, 3_649_546)  # the seed's two counts; either could be Model 2's
CONVS = 7
FIRST_FILTERS = 8
FIRST_KERNEL = 10
FILTER_CHOICES = tuple(range(8, 129, 8))  # the whole space: any multiple of 8 up to 128
KERNEL_CHOICES = tuple(range(FIRST_KERNEL, 0, -1))  # the whole space: any size 10..1
# The conventional sizes: the seed's 10 and the odd kernels, the usual widths.
CONVENTIONAL_KERNELS = (10, 7, 5, 3, 1)
CONVENTIONAL_FILTERS = (8, 16, 24, 32, 48, 64, 96, 128)
POOL_COUNTS = (3, 4)
# The seed's Model 1 (its CIFAR CNN on 256x256x3 galaxy images, 'valid' padding) in forward FLOPs,
# and the seed's training-time ratio Model 2 / Model 1 (35 / 67 minutes, 50 epochs each).
SEED_TIME_RATIO = 35 / 67


@dataclass(frozen=True)
class Layout:
    """One Model 2 candidate: per convolution its filters, kernel, padding, and a max-pool after or not."""

    filters: tuple[int, ...]
    kernels: tuple[int, ...]
    paddings: tuple[str, ...]
    pools: tuple[bool, ...]

    def sides(self) -> list[int]:
        """The feature map's side after each convolution (before its pool), then the final side."""
        side, out = INPUT_SIDE, []
        for k, pad, pool in zip(self.kernels, self.paddings, self.pools, strict=True):
            side = side if pad == "same" else side - k + 1
            out.append(side)
            side = side // 2 if pool else side
        return [*out, side]

    def params(self) -> int:
        """Trainable parameters: convolutions, Dense(64) on the flattened map, and the softmax layer."""
        chans = (CHANNELS, *self.filters)
        conv = sum(k * k * a * b + b for k, a, b in zip(self.kernels, chans[:-1], chans[1:], strict=True))
        return conv + self.sides()[-1] ** 2 * self.filters[-1] * DENSE + HEAD_EXTRA

    def forward_flops(self) -> int:
        """Forward FLOPs per image, multiply-add = 2 (the models/flops.py convention)."""
        chans = (CHANNELS, *self.filters)
        sides = self.sides()
        conv = sum(
            s * s * k * k * a * b
            for s, k, a, b in zip(sides[:-1], self.kernels, chans[:-1], chans[1:], strict=True)
        )
        return 2 * (conv + sides[-1] ** 2 * self.filters[-1] * DENSE + DENSE * CLASSES)

    def describe(self) -> str:
        """E.g. 'filters 8-16-24, kernels 10-5-5, pool after 1,2, valid 1,2'."""
        pools = ",".join(str(i + 1) for i, p in enumerate(self.pools) if p)
        valid = ",".join(str(i + 1) for i, p in enumerate(self.paddings) if p == "valid") or "none"
        return (
            f"filters {'-'.join(map(str, self.filters))}, kernels {'-'.join(map(str, self.kernels))}, "
            f"pool after {pools}, valid on {valid}"
        )


def model1_forward_flops(side: int = INPUT_SIDE) -> int:
    """Forward FLOPs of the seed's Model 1 as built (conv 3x3 32/64/64 'valid', each then a 2x2 pool)."""
    macs, chans = 0, CHANNELS
    for filters in (32, 64, 64):
        side -= 2
        macs += side * side * 9 * chans * filters
        side //= 2
        chans = filters
    return 2 * (macs + side * side * chans * DENSE + DENSE * CLASSES)


def model1_exact_counts(targets: tuple[int, ...] = TARGETS) -> dict[int, float]:
    """For each target, the flattened size Model 1's Dense(64) would need: whole and a multiple of its
    64 channels for an exact layout to exist at any input size, padding or pooling."""
    conv = 3 * 3 * CHANNELS * 32 + 32 + 3 * 3 * 32 * 64 + 64 + 3 * 3 * 64 * 64 + 64
    return {t: (t - conv - HEAD_EXTRA) / DENSE for t in targets}


def filter_sequences(choices: tuple[int, ...] = FILTER_CHOICES) -> np.ndarray:
    """Every allowed filter sequence as rows of an int64 array (8 first, non-decreasing, at most 2x)."""
    rows = []
    for rest in itertools.combinations_with_replacement(sorted(choices), CONVS - 1):
        seq = (FIRST_FILTERS, *rest)
        if all(b <= 2 * a for a, b in zip(seq, seq[1:], strict=False)):
            rows.append(seq)
    return np.array(rows, dtype=np.int64)


def kernel_sequences(choices: tuple[int, ...] = KERNEL_CHOICES) -> list[tuple[int, ...]]:
    """Every allowed kernel sequence: 10 first, then never increasing."""
    return [
        (FIRST_KERNEL, *rest)
        for rest in itertools.combinations_with_replacement(sorted(choices, reverse=True), CONVS - 1)
    ]


def reachable_sides(kernels: tuple[int, ...]) -> set[int]:
    """Final sides reachable with these kernels over every padding choice and 3-4 pools (a small DP)."""
    states = {(INPUT_SIDE, 0)}
    for k in kernels:
        nxt = set()
        for side, pools in states:
            for conv in {side, side - k + 1}:
                if conv >= 1:
                    nxt.add((conv, pools))
                    if conv >= 2:
                        nxt.add((conv // 2, pools + 1))
        states = nxt
    return {side for side, pools in states if pools in POOL_COUNTS}


def layouts_for(filters: tuple[int, ...], kernels: tuple[int, ...], final_side: int) -> list[Layout]:
    """Every padding/pool choice that turns these kernels' input into ``final_side``."""
    found = []
    for pads in itertools.product(("same", "valid"), repeat=CONVS):
        if any(k == 1 and pad == "valid" for k, pad in zip(kernels, pads, strict=True)):
            continue  # a 1x1 convolution is the same either way: count it once, as 'same'
        for count in POOL_COUNTS:
            for where in itertools.combinations(range(CONVS), count):
                pools = tuple(i in where for i in range(CONVS))
                layout = Layout(filters, kernels, pads, pools)
                sides = layout.sides()
                if sides[-1] == final_side and min(sides) >= 1 and _fits(layout, sides):
                    found.append(layout)
    return found


def _fits(layout: Layout, sides: list[int]) -> bool:
    """Whether every 'valid' convolution had at least its kernel's side to work on."""
    before = INPUT_SIDE
    for side, k, pad, pool in zip(sides[:-1], layout.kernels, layout.paddings, layout.pools, strict=True):
        if pad == "valid" and before < k:
            return False
        before = side // 2 if pool else side
    return True


def search(target: int, kernel_choices: tuple[int, ...] = KERNEL_CHOICES,
           filter_choices: tuple[int, ...] = FILTER_CHOICES) -> list[Layout]:
    """Every layout in the space (these kernel and filter sizes) with exactly ``target`` parameters."""
    filters = filter_sequences(filter_choices)
    chans = np.hstack([np.full((len(filters), 1), CHANNELS, dtype=np.int64), filters])
    products = chans[:, :-1] * chans[:, 1:]
    biases = filters.sum(axis=1)
    last = filters[:, -1]
    found = []
    for ks in kernel_sequences(kernel_choices):
        rest = target - HEAD_EXTRA - products @ np.array([k * k for k in ks], dtype=np.int64) - biases
        area, remainder = np.divmod(rest, DENSE * last)
        side = np.rint(np.sqrt(np.maximum(area, 0))).astype(np.int64)
        hits = np.flatnonzero((rest > 0) & (remainder == 0) & (side * side == area))
        if not len(hits):
            continue
        sides = reachable_sides(ks)
        for i in hits:
            if side[i] in sides:
                found.extend(layouts_for(tuple(int(f) for f in filters[i]), ks, int(side[i])))
    return found


def time_ratio(layout: Layout) -> float:
    """The layout's forward FLOPs over Model 1's: the proxy for its training-time ratio."""
    return layout.forward_flops() / model1_forward_flops()


def rank(layouts: list[Layout]) -> list[Layout]:
    """Closest first to the seed's time ratio Model 2 / Model 1 (35 / 67 minutes)."""
    return sorted(layouts, key=lambda lay: abs(time_ratio(lay) - SEED_TIME_RATIO))


def main() -> None:
    """Print, per target count, the whole space's matches, then the conventional sizes' closest layouts."""
    print(f"Model 1 (galaxy_cnn): {model1_forward_flops() / 1e9:.3f} forward GFLOPs; "
          f"seed time ratio Model 2 / Model 1 {SEED_TIME_RATIO:.3f}")
    for target, flat in model1_exact_counts().items():
        verdict = "possible" if flat.is_integer() and flat % 64 == 0 else "impossible"
        print(f"Model 1 at {target:,}: its Dense(64) would need {flat:,.2f} inputs ({verdict})")
    for target in TARGETS:
        whole = search(target)
        ratios = [time_ratio(lay) for lay in whole]
        near = sum(abs(r - SEED_TIME_RATIO) <= 0.05 for r in ratios)
        print(f"\nModel 2 at {target:,}, kernels 10..1, filters 8..128: {len(whole):,} layouts, "
              f"FLOPs ratio {min(ratios):.3f} .. {max(ratios):.3f}, {near:,} within 0.05 of the seed's")
        found = rank(search(target, CONVENTIONAL_KERNELS, CONVENTIONAL_FILTERS))
        pairs = sorted({(lay.filters, lay.kernels) for lay in found})
        print(f"  conventional sizes: {len(found)} layouts, {len(pairs)} filter/kernel sequence(s); closest:")
        for lay in found[:5]:
            print(f"  {lay.forward_flops() / 1e9:.3f} GFLOPs ({time_ratio(lay):.3f}x)  {lay.describe()}")


if __name__ == "__main__":
    main()
