"""Measuring search quality: recall@k and mean reciprocal rank over the labelled questions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass
class Quality:
    """Recall@1, recall@3 and MRR over a question set, and the questions missed at 3."""

    questions: int = 0
    recall_at_1: float = 0.0
    recall_at_3: float = 0.0
    mrr: float = 0.0
    misses: list[tuple[str, str, list[str]]] = field(default_factory=list)


def evaluate(questions: Sequence[dict], ranked: Callable[[str], list[str]], depth: int = 10) -> Quality:
    """Score `ranked(question) → slugs best first` against each question's labelled `slug`."""
    hits1 = hits3 = 0
    reciprocal = 0.0
    misses = []
    for item in questions:
        slugs = ranked(item["q"])[:depth]
        rank = slugs.index(item["slug"]) + 1 if item["slug"] in slugs else None
        if rank == 1:
            hits1 += 1
        if rank is not None and rank <= 3:
            hits3 += 1
        else:
            misses.append((item["q"], item["slug"], slugs[:3]))
        reciprocal += 1 / rank if rank else 0.0
    n = max(len(questions), 1)
    return Quality(len(questions), round(hits1 / n, 4), round(hits3 / n, 4), round(reciprocal / n, 4), misses)
