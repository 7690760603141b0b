"""A small byte-level BPE tokenizer trained here, saved as a Hugging Face tokenizer folder with the
chat template, so mlx-lm (and transformers) load it like any model's tokenizer. Byte-level: it can
encode any text, whatever it was trained on."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from train import quiet_transformers
from train.chat_template import CHAT_TEMPLATE, EOS, PAD, SPECIAL_TOKENS, TOOL_TOKENS

DEFAULT_VOCAB = 1024


def build_tokenizer(
    texts: Iterable[str], folder: Path, *, vocab_size: int = DEFAULT_VOCAB, chat_template: str = CHAT_TEMPLATE
) -> Path:
    quiet_transformers()
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    fast: Any = PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[*SPECIAL_TOKENS, *TOOL_TOKENS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer)
    wrapped = fast(tokenizer_object=tokenizer, eos_token=EOS, pad_token=PAD)
    wrapped.chat_template = chat_template
    folder.mkdir(parents=True, exist_ok=True)
    wrapped.save_pretrained(str(folder))
    return folder
