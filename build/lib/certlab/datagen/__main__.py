"""``python -m certlab.datagen [--check] [--out DIR]``: regenerate data/ and its checksums."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from certlab.datagen import generators
from certlab.datasets import CHECKSUMS, data_dir, read_checksums, sha256


def regenerate(folder: Path) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    sums = {}
    for module in generators():
        module.generate(folder)
        for name in module.FILES:
            sums[name] = sha256(folder / name)
    lines = "".join(f"{digest}  {name}\n" for name, digest in sorted(sums.items()))
    (folder / CHECKSUMS).write_text(lines)
    return sums


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m certlab.datagen", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when data/ differs from a fresh regeneration")
    parser.add_argument("--out", type=Path, default=None, help="folder to write (default: the course's data/)")
    args = parser.parse_args(argv)
    target = args.out or data_dir()
    if not args.check:
        sums = regenerate(target)
        print(f"wrote {len(sums)} files and {CHECKSUMS} to {target}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        fresh = regenerate(Path(tmp))
    committed = read_checksums(target)
    stale = sorted(n for n in set(fresh) | set(committed) if fresh.get(n) != committed.get(n))
    stale += sorted(n for n in fresh if (target / n).exists() and sha256(target / n) != fresh[n] and n not in stale)
    if stale:
        print("data/ is stale: " + ", ".join(stale) + ". Run `python -m certlab.datagen`.", file=sys.stderr)
        return 1
    print(f"data/ matches its generators ({len(fresh)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
