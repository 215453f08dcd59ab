"""How the reader is trained: the knobs of `footnote train-reader`, in a module that imports
nothing heavy, so that the CLI's parser shows their defaults at once."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrainParams:
    layers: int = 4  # of the base model's six: what reading ~8 sentences per question can afford
    epochs: float = 2.0
    learning_rate: float = 7e-5
    warmup: float = 0.06  # share of the steps
    questions_per_step: int = 3
    group: int = 8  # candidates of a question: as many as the answer step reads
    # The word embeddings stay as the base model learnt them: their dense gradient (30,522 x 384)
    # made a step 4x slower, and 7,000 questions would only wear them down.
    freeze_words: bool = True
    listwise: float = 1.0  # weight of the softmax loss over a question's candidates beside the pairwise one
    seed: int = 13
    threads: int = 2
    checks: int = 6  # validations over the run; the best one is kept
    swapped_share: float = 0.5  # questions shown with a copy of their answer about another name or year
    unanswered_share: float = 0.2  # questions shown a second time without their answer sentence
