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
from pathlib import Path

import numpy as np

from index.reader.augment import names_in, swap
from index.reader.params import TrainParams  # noqa: F401 - re-exported
from index.reader.inputs import Candidate, Limits, ListEncoder


def candidates(rows: list[dict]) -> list[Candidate]:
    return [Candidate(c["sentence"], c["title"], c["previous"], c["article"], c["start"], c["end"]) for c in rows]


def groups_of(records: list[dict], encoder: ListEncoder, group: int, rng: random.Random | None = None,
              params: TrainParams | None = None) -> list[tuple[tuple, list[int]]]:
    """Per question: its encoded sequence (token ids, types, candidate spans) and the labels of
    its candidates: the first `group` the retriever ranked, an answer sentence it missed in the
    last place. With `rng` (training), the negatives of augment.py are added: a copy of the
    answer sentence about another name or year in place of the last negative, and some
    questions shown again without their answer sentence."""
    out = []
    titles, names = _articles_seen(records)
    for r in records:
        ranked = [c for c in r["candidates"] if c["rank"] >= 0][:group]
        added = [c for c in r["candidates"] if c["rank"] < 0]
        if added and not any(c["label"] for c in ranked):
            ranked = [*ranked[:group - 1], added[0]]
        if not ranked:
            continue
        positives = [c for c in ranked if c["label"]]
        if rng is not None and positives:
            if rng.random() < params.swapped_share:
                ranked = _with_swapped(r, ranked, positives[0], titles, names, rng, group)
            if rng.random() < params.unanswered_share:
                bare = [c for c in ranked if not c["label"] and not c["article"].startswith("swap/")]
                if bare:
                    out.append((encoder.sequence(r["question"], r["history"], candidates(bare)), [0] * len(bare)))
        out.append((encoder.sequence(r["question"], r["history"], candidates(ranked)), [c["label"] for c in ranked]))
    return out


def _articles_seen(records: list[dict]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Each article's title and the names its candidate sentences hold."""
    titles: dict[str, str] = {}
    names: dict[str, set[str]] = {}
    for r in records:
        for c in r["candidates"]:
            titles.setdefault(c["article"], c["title"])
            names.setdefault(c["article"], set()).update(names_in(c["sentence"]))
    return titles, {aid: sorted(found) for aid, found in names.items() if found}


def _with_swapped(record: dict, ranked: list[dict], positive: dict, titles: dict, names: dict,
                  rng: random.Random, group: int) -> list[dict]:
    """The candidates with the answer sentence's swapped copy in place of the last negative."""
    others = [aid for aid in names if aid != positive["article"]]
    if not others:
        return ranked
    other = rng.choice(others)
    swapped = swap(record["question"], positive["sentence"], names[other], rng)
    if swapped is None or swapped == positive["sentence"]:
        return ranked
    fake = {**positive, "sentence": swapped, "title": titles[other], "previous": "", "article": f"swap/{other}",
            "start": 0, "end": len(swapped), "label": 0}
    if len(ranked) < group:
        return [*ranked, fake]
    last_negative = max(n for n, c in enumerate(ranked) if not c["label"]) if any(
        not c["label"] for c in ranked) else None
    if last_negative is None:
        return ranked
    return [*ranked[:last_negative], *ranked[last_negative + 1:], fake]


def batch(torch, groups: list[tuple[tuple, list[int]]]):
    """Padded tensors for several questions: ids, mask, types (questions x tokens), pool
    (questions x candidates x tokens), labels and their mask (questions x candidates)."""
    width = max(len(ids) for (ids, _, _), _ in groups)
    most = max(len(labels) for _, labels in groups)
    ids = torch.zeros((len(groups), width), dtype=torch.long)
    types, mask = torch.zeros_like(ids), torch.zeros_like(ids)
    pool = torch.zeros((len(groups), most, width))
    labels = torch.zeros((len(groups), most))
    present = torch.zeros((len(groups), most))
    for n, ((row, kinds, spans), ys) in enumerate(groups):
        ids[n, :len(row)] = torch.tensor(row)
        types[n, :len(row)] = torch.tensor(kinds)
        mask[n, :len(row)] = 1
        for k, (start, end) in enumerate(spans):
            pool[n, k, start:end] = 1.0 / max(1, end - start)
        labels[n, :len(ys)] = torch.tensor([float(y) for y in ys])
        present[n, :len(ys)] = 1
    return ids, mask, types, pool, labels, present


def loss_of(torch, logits, labels, present, listwise: float):
    """Binary cross-entropy over each question's candidates, plus a softmax loss over them that
    puts its answer sentences above the rest."""
    pairwise = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels, reduction="none")
    loss = (pairwise * present).sum() / present.sum()
    answered = labels.sum(1) > 0
    if listwise and answered.any():
        z = logits.masked_fill(present == 0, -1e4)[answered]
        positive = z.masked_fill(labels[answered] == 0, -1e4)
        loss = loss + listwise * (torch.logsumexp(z, 1) - torch.logsumexp(positive, 1)).mean()
    return loss


def load_base(base: Path, layers: int):
    """The base model's first `layers` layers, each candidate's token vectors mean-pooled (as the
    base model was trained to be read) under a fresh one-logit head. The base model's [CLS]
    vector is untrained: a head on it (BertForSequenceClassification) stayed at the prior."""
    import torch
    from transformers import AutoConfig, AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    config = AutoConfig.from_pretrained(str(base), num_hidden_layers=layers, attn_implementation="eager")

    class ReaderNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bert = AutoModel.from_pretrained(str(base), config=config, add_pooling_layer=False)
            self.head = torch.nn.Linear(config.hidden_size, 1)
            self.config = config

        def forward(self, input_ids, attention_mask, token_type_ids, pool):
            tokens = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                               token_type_ids=token_type_ids).last_hidden_state
            return self.head(torch.matmul(pool, tokens)).squeeze(-1)  # (questions, candidates)

    return ReaderNet()


def score_records(predict, records: list[dict], encoder: ListEncoder, read: int = 8) -> list[np.ndarray]:
    """The probabilities `predict(ids, mask, types, pool)` gives the first `read` candidates the
    retriever ranked (the injected gold sentence, rank -1, left out: the reader never sees it
    when answering)."""
    out = []
    for r in records:
        ranked = [c for c in r["candidates"] if c["rank"] >= 0][:read]
        if not ranked:
            out.append(np.zeros(0))
            continue
        out.append(np.asarray(predict(*encoder.encode(r["question"], r["history"], candidates(ranked))),
                              dtype=np.float64).reshape(-1))
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
    encoder = ListEncoder(tokenizer, limits)
    model = load_base(base, params.layers)
    if params.freeze_words:
        model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    groups = groups_of(train_records, encoder, params.group, random.Random(params.seed + 1), params)
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
        ids, mask, types, pool, labels, present = batch(torch, [groups[i] for i in chosen])
        loss = loss_of(torch, model(ids, mask, types, pool), labels, present, params.listwise)
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
    def predict(ids, mask, types, pool):
        model.eval()
        with torch.no_grad():
            logits = model(*(torch.from_numpy(a) for a in (ids, mask, types, pool))).reshape(-1)
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
    pool = torch.full((2, 3, 8), 0.25)
    names = ["input_ids", "attention_mask", "token_type_ids", "pool"]
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".export-") as tmp:
        raw, fused = Path(tmp) / "raw.onnx", Path(tmp) / "fused.onnx"
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            axes = {n: {0: "batch", 1: "tokens"} for n in names[:3]}
            axes |= {"pool": {0: "batch", 1: "candidates", 2: "tokens"}, "logits": {0: "batch", 1: "candidates"}}
            torch.onnx.export(model, (ids, mask, types, pool), str(raw), input_names=names, output_names=["logits"],
                              dynamic_axes=axes,
                              opset_version=17, dynamo=False)
        config = model.config
        graph = optimizer.optimize_model(str(raw), model_type="bert", opt_level=1,
                                         num_heads=config.num_attention_heads, hidden_size=config.hidden_size)
        graph.save_model_to_file(str(fused))
        quantize_dynamic(str(fused), str(out), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True,
                         extra_options={"DefaultTensorType": TensorProto.FLOAT})
        return {op: n for op, n in graph.get_fused_operator_statistics().items() if n}
