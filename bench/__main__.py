"""`python -m bench [--only TEXT]`: runs the benchmarks and prints one `name value` per line."""

from __future__ import annotations

import argparse
import os

from bench import run, setup_django


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", default="", help="Run only benchmarks whose path contains this text.")
    parser.add_argument(
        "--scale",
        default="",
        help="Data scale of the page benchmarks at scale: full (the default: 10,000 environments, "
        "100,000 runs), small, or a factor of full such as 0.1 (also BENCH_SCALE).",
    )
    args = parser.parse_args()
    if args.scale:
        os.environ["BENCH_SCALE"] = args.scale
    setup_django()
    for name, value in run(args.only):
        print(f"{name} {value}", flush=True)


if __name__ == "__main__":
    main()
