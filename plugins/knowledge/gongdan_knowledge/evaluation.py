"""Measuring search quality: recall@k and mean reciprocal rank over the labelled questions."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

SPLIT_SEED = 20261130
HELD_OUT_SHARE = 0.3


@dataclass
class Quality:
    """Recall@1, recall@3 and MRR over a question set, and the questions missed at 3."""

    questions: int = 0
    zero_results: float = 0.0
    recall_at_1: float = 0.0
    recall_at_3: float = 0.0
    mrr: float = 0.0
    misses: list[tuple[str, str, list[str]]] = field(default_factory=list)


def evaluate(questions: Sequence[dict], ranked: Callable[[str], list[str]], depth: int = 10) -> Quality:
    """Score `ranked(question) → slugs best first` against each question's labelled `slug`."""
    hits1 = hits3 = empty = 0
    reciprocal = 0.0
    misses = []
    for item in questions:
        slugs = ranked(item["q"])[:depth]
        empty += not slugs
        rank = slugs.index(item["slug"]) + 1 if item["slug"] in slugs else None
        if rank == 1:
            hits1 += 1
        if rank is not None and rank <= 3:
            hits3 += 1
        else:
            misses.append((item["q"], item["slug"], slugs[:3]))
        reciprocal += 1 / rank if rank else 0.0
    n = max(len(questions), 1)
    return Quality(
        len(questions), round(empty / n, 4), round(hits1 / n, 4), round(hits3 / n, 4), round(reciprocal / n, 4), misses
    )


def split(questions: Sequence[dict]) -> tuple[list[dict], list[dict]]:
    """`(development, held_out)`: a fixed share of the questions, chosen by a fixed seed, that
    search is never tuned on (`HELD_OUT_SHARE` of them, `random.Random(SPLIT_SEED)`)."""
    order = list(range(len(questions)))
    random.Random(SPLIT_SEED).shuffle(order)
    held = set(order[: int(len(questions) * HELD_OUT_SHARE)])
    return (
        [q for n, q in enumerate(questions) if n not in held],
        [q for n, q in enumerate(questions) if n in held],
    )
