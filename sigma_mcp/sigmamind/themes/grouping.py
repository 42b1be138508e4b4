"""Keys merged into themes: average linkage of the cosine similarity of their IDF-weighted words."""

from __future__ import annotations

import heapq
import math
from collections import Counter
from itertools import chain

from sigma_mcp.sigmamind.themes.words import MARKERS, NEGATION

SIMILAR = 0.2
"""The least average similarity (cosine, 0-1) of two themes' keys for the two to be one theme."""
_TURNS = MARKERS - {NEGATION}
"""Markers that conflict when two keys hold different ones ("twice" against "too early")."""
AGGLOMERATED = 300
"""The first keys (those of the most failures) merged by average linkage: each pair of them is compared."""
MAX_THEMES = 1_000
"""Themes that the keys after the first `AGGLOMERATED` are compared with, at most."""
MAX_COMPARISONS = 1_500_000
"""Word look-ups in one call at most (about half a second); keys beyond them stay themes of their own."""
COMMON = 64
"""Themes holding a word, from which a later key does not look for themes by that word ("not", "ask"): it looks by
its other words, and adds that word's part to the themes they found. A theme it shares only such words with is
not alike enough to join."""
CANDIDATES = 32
"""Of the themes a later key finds by its other words, those (the most alike by them) it adds its common words to."""

Vector = dict[str, float]


def clusters(keys: list[str]) -> list[int]:
    """Each key's theme, as the index of the theme's first key (keys in order of their failures, most first)."""
    sets = [key.split() for key in keys]
    counts = Counter(chain.from_iterable(sets))
    total = len(sets)

    def vector(n: int) -> Vector:
        weights = {word: math.log((1 + total) / counts[word]) for word in sets[n]}
        length = math.sqrt(sum(value * value for value in weights.values())) or 1.0
        return {word: value / length for word, value in weights.items()}

    first = min(len(sets), AGGLOMERATED)
    vectors = [vector(n) for n in range(first)]
    parent, left = _agglomerated(vectors, MAX_COMPARISONS)
    parent += range(first, len(sets))
    # The rest, one at a time, each to the theme of the highest average similarity, that is, the highest dot
    # product with the sum of the theme's vectors, divided by their number.
    sums: dict[int, Vector] = {}
    sizes: dict[int, int] = {}
    for n, current in enumerate(vectors):
        summed = sums.setdefault(parent[n], {})
        sizes[parent[n]] = sizes.get(parent[n], 0) + 1
        for word, value in current.items():
            summed[word] = summed.get(word, 0.0) + value
    postings: dict[str, list[int]] = {}
    for root, summed in sums.items():
        for word in summed:
            postings.setdefault(word, []).append(root)
    for n in range(first, len(sets)):
        if left <= 0:
            break  # the rest stay themes of their own
        current = vector(n)
        dots: dict[int, float] = {}
        common: list[tuple[str, float]] = []
        left -= len(current)
        for word, value in current.items():
            found = postings.get(word, ())
            if len(found) > COMMON:
                common.append((word, value))  # added below, to the themes the other words found
                continue
            left -= len(found)
            for root in found:
                dots[root] = dots.get(root, 0.0) + value * sums[root][word]
        if common:
            if len(dots) > CANDIDATES:  # the themes most alike by the other words
                dots = dict(heapq.nlargest(CANDIDATES, dots.items(), key=lambda item: item[1] / sizes[item[0]]))
            left -= len(dots) * len(common) + len(common)
            for root in dots:
                summed = sums[root]
                dots[root] += sum(value * summed.get(word, 0.0) for word, value in common)
        best, best_score = n, SIMILAR
        left -= len(dots)
        for root in sorted(dots):
            score = dots[root] / sizes[root]
            if score > best_score and _alike(current, sums[root]):
                best, best_score = root, score
        parent[n] = best
        if best == n and len(sums) >= MAX_THEMES:
            continue  # a theme of its own, not compared with those after it
        summed = sums.setdefault(best, {})
        sizes[best] = sizes.get(best, 0) + 1
        for word, value in current.items():
            if word not in summed:
                postings.setdefault(word, []).append(best)
            summed[word] = summed.get(word, 0.0) + value
    return parent


def _agglomerated(vectors: list[Vector], left: int) -> tuple[list[int], int]:
    """Each vector's theme by average linkage: the two most alike themes merge, while their keys' average
    similarity is at least `SIMILAR` (a pair not `_alike` counts as 0). And the look-ups left."""
    similar: list[dict[int, float]] = [{} for _ in vectors]
    postings: dict[str, list[int]] = {}
    heap: list[tuple[float, int, int]] = []
    for n, current in enumerate(vectors):
        if left <= 0:
            break  # the rest are compared with none
        dots: dict[int, float] = {}
        for word, value in current.items():
            found = postings.setdefault(word, [])
            left -= len(found) + 1
            for other in found:
                dots[other] = dots.get(other, 0.0) + value * vectors[other][word]
            found.append(n)
        for other, dot in dots.items():
            if _alike(current, vectors[other]):
                similar[n][other] = similar[other][n] = dot
                if dot >= SIMILAR:
                    heap.append((-dot, other, n))
    heapq.heapify(heap)
    parent = list(range(len(vectors)))
    sizes = dict.fromkeys(range(len(vectors)), 1)
    # Each theme's markers, all its keys': two themes whose markers conflict do not merge, however alike the rest
    # of their keys are, so that a key without a marker does not bridge "asked twice" and "asked too early".
    markers = [_TURNS.intersection(vector) for vector in vectors]
    while heap:
        score, one, other = heapq.heappop(heap)
        if one not in sizes or other not in sizes or similar[one].get(other) != -score:
            continue  # between themes since merged into others
        if not _compatible(markers[one], markers[other]):
            continue
        markers[one] = markers[one] | markers[other]
        # `other` joins `one` (the earlier): the merged theme's average similarity to each of the others
        a, b = sizes[one], sizes.pop(other)
        sizes[one] = a + b
        near, similar[other] = similar[other], {}
        near.pop(one, None)
        mine = similar[one]
        mine.pop(other, None)
        for third in sorted(mine.keys() | near.keys()):
            value = (a * mine.get(third, 0.0) + b * near.get(third, 0.0)) / (a + b)
            similar[third].pop(other, None)
            mine[third] = similar[third][one] = value
            if value >= SIMILAR:
                heapq.heappush(heap, (-value, min(one, third), max(one, third)))
        parent[other] = one
    for n in range(len(vectors)):
        root = n
        while parent[root] != root:
            root = parent[root]
        parent[n] = root
    return parent, left


def _alike(one: Vector, other: Vector) -> bool:
    """Whether two keys (or a key and a theme's summed keys) may be alike: both with "not" or both without, and
    not each with a different marker of the rest ("again" against "early")."""
    if (NEGATION in one) != (NEGATION in other):
        return False
    return _compatible(_TURNS.intersection(one), _TURNS.intersection(other))


def _compatible(mine: set[str] | frozenset[str], theirs: set[str] | frozenset[str]) -> bool:
    """Whether two sets of markers may stand in one theme: either is empty, or they share one."""
    return not mine or not theirs or bool(mine & theirs)
