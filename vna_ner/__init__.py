"""vna-ner: a French NER and relation dataset over Vietnam News Agency news, and its benchmark."""

from vna_ner.dataset.load import load

__all__ = ["load"]
