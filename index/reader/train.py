"""Training the reader: the first layers of the bundled all-MiniLM-L6-v2 with a one-logit head,
fine-tuned on (question, candidate) pairs from index/reader/examples.py, then exported to ONNX,
fused and quantised to int8. Needs torch and transformers (installed with Footnote); nothing
here runs when a question is answered.
"""

from __future__ import annotations

import math
import random
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.reader.inputs import Candidate, Limits, PairEncoder


@dataclass(frozen=True)
class TrainParams:
    layers: int = 2  # of the base model's six: the reader reads ~8 sentences per question
    epochs: float = 2.0
    learning_rate: float = 7e-5
    warmup: float = 0.06  # share of the steps
    questions_per_step: int = 3
    group: int = 8  # candidates of a question per step, the positives first: as many as it reads
    # The word embeddings stay as the base model learnt them: their dense gradient (30,522 x 384)
    # made a step 4x slower, and 7,000 questions would only wear them down.
    freeze_words: bool = True
    listwise: float = 1.0  # weight of the softmax loss over a question's candidates beside the pairwise one
    seed: int = 13
    threads: int = 2
    checks: int = 6  # validations over the run; the best one is kept


def groups_of(records: list[dict], encoder: PairEncoder, group: int) -> list[tuple[list, list[int]]]:
    """Per question: its (token ids, token types) rows and labels, positives first, then the
    negatives in the retriever's order."""
    out = []
    for r in records:
        cands = sorted(r["candidates"], key=lambda c: (-c["label"], c["rank"]))[:group]
        if not cands:
            continue
        rows = encoder.rows(r["question"], r["history"], [Candidate(c["sentence"], c["title"], c["previous"])
                                                          for c in cands])
        out.append((rows, [c["label"] for c in cands]))
    return out


def batch(torch, groups: list[tuple[list, list[int]]]):
    """Padded tensors for several questions' rows, and each question's slice of them."""
    rows = [row for g, _ in groups for row in g]
    width = max(len(ids) for ids, _ in rows)
    ids = torch.zeros((len(rows), width), dtype=torch.long)
    types = torch.zeros_like(ids)
    mask = torch.zeros_like(ids)
    for n, (row, kinds) in enumerate(rows):
        ids[n, :len(row)] = torch.tensor(row)
        types[n, :len(row)] = torch.tensor(kinds)
        mask[n, :len(row)] = 1
    labels = torch.tensor([float(y) for _, ys in groups for y in ys])
    slices, at = [], 0
    for g, _ in groups:
        slices.append(slice(at, at + len(g)))
        at += len(g)
    return ids, mask, types, labels, slices


def loss_of(torch, logits, labels, slices, listwise: float):
    """Pairwise binary cross-entropy, plus a softmax loss over each question's candidates that
    puts its answer sentences above the rest."""
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
    terms = []
    for s in slices:
        y = labels[s]
        if y.sum() > 0:
            z = logits[s]
            terms.append(torch.logsumexp(z, 0) - torch.logsumexp(z[y > 0], 0))
    if terms and listwise:
        loss = loss + listwise * torch.stack(terms).mean()
    return loss


def load_base(base: Path, layers: int):
    """The base model's first `layers` layers under a fresh one-logit head."""
    from transformers import AutoConfig, AutoModelForSequenceClassification
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    config = AutoConfig.from_pretrained(str(base), num_labels=1, num_hidden_layers=layers,
                                        attn_implementation="eager")
    return AutoModelForSequenceClassification.from_pretrained(str(base), config=config)


def score_records(predict, records: list[dict], encoder: PairEncoder) -> list[np.ndarray]:
    """The probabilities `predict(ids, mask, types)` gives each record's retrieved candidates
    (the injected gold sentence, rank -1, left out: the reader never sees it when answering)."""
    out = []
    for r in records:
        cands = [c for c in r["candidates"] if c["rank"] >= 0]
        if not cands:
            out.append(np.zeros(0))
            continue
        ids, mask, types = encoder.encode(r["question"], r["history"],
                                          [Candidate(c["sentence"], c["title"], c["previous"]) for c in cands])
        out.append(np.asarray(predict(ids, mask, types), dtype=np.float64).reshape(-1))
    return out


def measure(records: list[dict], probabilities: list[np.ndarray], read: int = 8) -> dict:
    """Top-1 among the first `read` retrieved candidates (questions whose answer sentence is
    among them), and how well the best probability tells those from the rest (AUROC)."""
    from index.eval.metrics import auroc

    hits, total, best, answerable = 0, 0, [], []
    for r, p in zip(records, probabilities):
        cands = [c for c in r["candidates"] if c["rank"] >= 0][:read]
        p = p[:read]
        present = any(c["label"] for c in cands)
        if len(p):
            best.append(float(p.max()))
            answerable.append(present)
        if present:
            total += 1
            hits += int(cands[int(np.argmax(p))]["label"] == 1)
    return {"top1": round(hits / total, 4) if total else None, "questions_with_gold": total,
            "questions": len(records),
            "answerable_auroc": round(auroc([-b for b in best], [not a for a in answerable]), 4)
            if any(answerable) and not all(answerable) else None}


def train(train_records: list[dict], valid_records: list[dict], base: Path, tokenizer, out_dir: Path,
          params: TrainParams = TrainParams(), limits: Limits = Limits(), log=print) -> dict:
    """Fine-tune, keep the best validation check, and write `out_dir/model.pt` (a state dict).
    Returns what the card records of the run."""
    import torch

    torch.manual_seed(params.seed)
    torch.set_num_threads(params.threads)
    rng = random.Random(params.seed)
    encoder = PairEncoder(tokenizer, limits)
    model = load_base(base, params.layers)
    if params.freeze_words:
        model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    groups = groups_of(train_records, encoder, params.group)
    steps = max(1, math.ceil(len(groups) * params.epochs / params.questions_per_step))
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=params.learning_rate,
                                  weight_decay=0.01)
    warm = max(1, int(steps * params.warmup))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warm, max(0.0, (steps - s) / max(1, steps - warm))))
    check_every = max(1, math.ceil(steps / max(1, params.checks)))
    order: list[int] = []
    best, history, started = None, [], time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    for step in range(steps):
        if len(order) < params.questions_per_step:
            fresh = list(range(len(groups)))
            rng.shuffle(fresh)
            order += fresh
        chosen, order = order[:params.questions_per_step], order[params.questions_per_step:]
        model.train()
        ids, mask, types, labels, slices = batch(torch, [groups[i] for i in chosen])
        logits = model(input_ids=ids, attention_mask=mask, token_type_ids=types).logits.reshape(-1)
        loss = loss_of(torch, logits, labels, slices, params.listwise)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        if (step + 1) % check_every == 0 or step + 1 == steps:
            figures = measure(valid_records, score_records(_torch_predict(torch, model), valid_records, encoder))
            figures |= {"step": step + 1, "of": steps, "loss": round(float(loss.detach()), 4),
                        "seconds": round(time.perf_counter() - started, 1)}
            history.append(figures)
            log(f"step {step + 1}/{steps}: validation top-1 {figures['top1']}, AUROC {figures['answerable_auroc']} "
                f"({figures['seconds']:.0f} s)")
            merit = (figures["top1"] or 0) + (figures["answerable_auroc"] or 0)
            if best is None or merit > best[0]:
                best = (merit, figures)
                torch.save(model.state_dict(), out_dir / "model.pt")
    return {"checks": history, "best": best[1], "steps": steps, "train_questions": len(groups),
            "seconds": round(time.perf_counter() - started, 1)}


def _torch_predict(torch, model):
    def predict(ids, mask, types):
        model.eval()
        with torch.no_grad():
            logits = model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask),
                           token_type_ids=torch.from_numpy(types)).logits.reshape(-1)
        return torch.sigmoid(logits).numpy()
    return predict


def export(base: Path, layers: int, state: Path, out: Path) -> dict:
    """The trained weights as one int8 ONNX file at `out`: traced, fused by ONNX Runtime's
    transformer optimiser, weights quantised per channel (reduced range, safe on CPUs without
    VNNI). Returns the fused operator counts."""
    import tempfile

    import torch
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer

    model = load_base(base, layers)
    model.load_state_dict(torch.load(state, map_location="cpu"))
    model.eval()
    ids = torch.full((2, 8), 1000, dtype=torch.long)
    mask = torch.ones_like(ids)
    mask[1, 5:] = 0  # a padded row, so no shortcut for an all-ones mask is traced in
    types = torch.zeros_like(ids)
    names = ["input_ids", "attention_mask", "token_type_ids"]
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".export-") as tmp:
        raw, fused = Path(tmp) / "raw.onnx", Path(tmp) / "fused.onnx"
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, (ids, mask, types), str(raw), input_names=names, output_names=["logits"],
                              dynamic_axes={n: {0: "batch", 1: "tokens"} for n in names} | {"logits": {0: "batch"}},
                              opset_version=17, dynamo=False)
        config = model.config
        graph = optimizer.optimize_model(str(raw), model_type="bert", opt_level=1,
                                         num_heads=config.num_attention_heads, hidden_size=config.hidden_size)
        graph.save_model_to_file(str(fused))
        quantize_dynamic(str(fused), str(out), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True,
                         extra_options={"DefaultTensorType": TensorProto.FLOAT})
        return {op: n for op, n in graph.get_fused_operator_statistics().items() if n}
