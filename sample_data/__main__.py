"""Command line: `python -m sample_data generate --scale demo --out DIR …`, `demo` and `simulate`."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import time

from data_access.db import DATABASE_URL_HELP
from sample_data.generate import SCALES, generate_city


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m sample_data", description="Synthetic city for Cityscreen."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    generate = commands.add_parser(
        "generate", help="write the sample files of docs/data-format.md into a folder"
    )
    generate.add_argument(
        "--scale", choices=sorted(SCALES), default="demo", help="test, demo (default) or city"
    )
    generate.add_argument("--out", required=True, help="output folder (created if missing)")
    generate.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    generate.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        default=None,
        help="last day covered, YYYY-MM-DD (default: today in Asia/Shanghai)",
    )
    commands.add_parser("demo", help="build the demo city into the default SQLite database when it is empty")
    simulate = commands.add_parser("simulate", help="keep appending and advancing work orders until stopped")
    simulate.add_argument("--db", help=DATABASE_URL_HELP)
    simulate.add_argument("--rate", type=float, default=30, help="new work orders per minute (default 30)")
    simulate.add_argument("--tick", type=float, default=5, help="seconds between batches (default 5)")
    simulate.add_argument("--ticks", type=int, default=None, help="stop after this many batches")
    simulate.add_argument("--seed", type=int, default=None)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the command and print what was written."""
    arguments = parse_arguments(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(relativeCreated)7.0f ms  %(message)s", stream=sys.stderr
    )
    if arguments.command == "demo":
        from sample_data.demo import build_demo_database

        print(f"demo database ready: {build_demo_database()}")
        return 0
    if arguments.command == "simulate":
        from data_access.db import create_db_engine, database_url
        from sample_data.simulate import simulate

        engine = create_db_engine(database_url(arguments.db))
        try:
            written = simulate(engine, arguments.rate, arguments.tick, arguments.ticks, arguments.seed)
        except KeyboardInterrupt:
            return 0
        finally:
            engine.dispose()
        print(", ".join(f"{kind}: {count:,}" for kind, count in written.items()))
        return 0
    started = time.perf_counter()
    counts = generate_city(arguments.out, scale=arguments.scale, seed=arguments.seed, as_of=arguments.as_of)
    for file_name, count in counts.items():
        print(f"{file_name:24} {count:>10,}")
    print(f"written to {arguments.out} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
