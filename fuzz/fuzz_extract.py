"""Coverage-guided fuzzing of the extractor with atheris.

Any input must give an Extraction or an ExtractError with a position inside the
text; anything else (another exception, a hang) is a bug.

Bounded run (as CI does):   python fuzz/fuzz_extract.py -runs=800 -max_len=9000 -seed=1 /tmp/fuzz-out fuzz/corpus
Longer run:                 python fuzz/fuzz_extract.py -max_total_time=3600 -max_len=9000 /tmp/fuzz-out fuzz/corpus
libFuzzer writes new inputs into the first folder: keep fuzz/corpus (the seeds) second.
The seed corpus in fuzz/corpus/ is the real announcement and the test fixture.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from egovkg.errors import ExtractError
    from egovkg.ingest.extract import Extractor, Gazetteer, Lexicon

ROOT = Path(__file__).resolve().parent.parent
EXTRACTOR = Extractor(
    Lexicon.load(ROOT / "data/lexicon/extractor.toml"),
    Gazetteer.load(ROOT / "data/gazetteer/gbt2260.csv"),
    ["管理创新", "公共服务", "技术应用", "政务微博"],
)


def test_one(data: bytes) -> None:
    text = data.decode("utf-8", errors="replace")
    try:
        result = EXTRACTOR.extract(text, source="fuzz")
    except ExtractError as exc:
        if not 0 <= exc.offset <= len(text):
            raise AssertionError(f"error offset {exc.offset} outside the text ({len(text)})") from exc
        return
    for award in result.awards:
        if text[award.span.start : award.span.end] != award.span.text:
            raise AssertionError("a span does not match its text")


def main() -> None:
    atheris.Setup(sys.argv, test_one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
