"""How well the suggesters would have done: train on the older 80 % of the labelled history, test on the newest
20 % (a time split, as they are used: on complaints newer than anything they learned from)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.triage.learn import TARGETS, Example, Trained, fit

TEST_FRACTION = 0.2


@dataclass(frozen=True)
class Score:
    train: int  # labelled examples trained on
    test: int  # labelled examples tested on
    top1: float | None  # share of test examples whose label is the first suggestion (None: nothing to test)
    top3: float | None  # … among the first three

    def as_dict(self) -> dict[str, Any]:
        return {"train": self.train, "test": self.test, "top1": self.top1, "top3": self.top3}


@dataclass(frozen=True)
class Evaluation:
    examples: int
    train_examples: int
    test_examples: int
    split_at: str | None  # received time of the first test example (ISO, UTC)
    fit_seconds: float
    scores: dict[str, Score]

    def as_dict(self) -> dict[str, Any]:
        return {"examples": self.examples, "train_examples": self.train_examples,
                "test_examples": self.test_examples, "split_at": self.split_at,
                "fit_seconds": round(self.fit_seconds, 3), **{t: s.as_dict() for t, s in self.scores.items()}}


def time_split(examples: Sequence[Example], test_fraction: float = TEST_FRACTION) -> tuple[list[Example],
                                                                                            list[Example]]:
    """Oldest (1 - fraction) for training, newest fraction for testing, by received time."""
    ordered = sorted(examples, key=lambda e: (e.at, e.complaint_id))
    cut = len(ordered) - int(round(len(ordered) * test_fraction))
    return ordered[:cut], ordered[cut:]


def score(trained: Trained, test: Sequence[Example], target: str) -> Score:
    labelled = [e for e in test if e.label(target)]
    train_n = trained.counts.get(target, 0)
    if not labelled or trained.pipelines.get(target) is None:
        return Score(train_n, len(labelled), None, None)
    ranked = trained.rank_many(target, [e.features for e in labelled], k=3)
    top1 = sum(r[:1] == [e.label(target)] for r, e in zip(ranked, labelled, strict=True))
    top3 = sum(e.label(target) in r for r, e in zip(ranked, labelled, strict=True))
    return Score(train_n, len(labelled), top1 / len(labelled), top3 / len(labelled))


def evaluate(examples: Sequence[Example], min_examples: int, test_fraction: float = TEST_FRACTION) -> Evaluation:
    train, test = time_split(examples, test_fraction)
    trained = fit(train, min_examples)
    return Evaluation(len(examples), len(train), len(test), test[0].at.isoformat() if test else None,
                      trained.seconds, {target: score(trained, test, target) for target in TARGETS})
