"""Command line: `python -m sample_data generate --scale demo --out DIR …`, `demo` and `simulate`."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import time
from dataclasses import replace

from data_access.db import DATABASE_URL_HELP
from sample_data.events import EventSpec
from sample_data.generate import SCALES, generate_city


def _range(text: str) -> tuple[int, int]:
    """'6-15' or '8' as (low, high) whole numbers."""
    low, _, high = text.partition("-")
    try:
        values = (int(low), int(high or low))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number or range: {text!r} (e.g. 8 or 6-15)") from None
    if values[0] < 0 or values[0] > values[1]:
        raise argparse.ArgumentTypeError(f"not a range from low to high: {text!r}")
    return values


def end_argument(text: str) -> dt.date | dt.datetime:
    """--as-of: a date, or a moment with a time of day."""
    return dt.datetime.fromisoformat(text) if "T" in text or " " in text.strip() else dt.date.fromisoformat(text)


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
        type=end_argument,
        default=None,
        help="when the data end: YYYY-MM-DD (that day's last second) or YYYY-MM-DDTHH:MM (city time; default: "
        "the current minute in Asia/Shanghai)",
    )
    events = generate.add_argument_group("labelled events (written to events.truth.csv; default: the scale's)")
    events.add_argument("--surges", type=int, default=None, help="how many surges to inject")
    events.add_argument("--surge-level", choices=("street", "community", "grid"), default=None,
                        help="the area level a surge happens in (default community)")
    events.add_argument("--surge-per-day", type=_range, default=None, metavar="N or LOW-HIGH",
                        help="extra orders a day in the area and category (default 6-15, raised where the area "
                             "usually gets many: --surge-noise-sd)")
    events.add_argument("--surge-days", type=_range, default=None, metavar="N or LOW-HIGH",
                        help="how many days a surge lasts (default 2-7)")
    events.add_argument("--surge-noise-sd", type=float, default=None, metavar="Z",
                        help="each surge day's extra is at least the area's usual count of the category plus Z "
                             "standard deviations of it (default 4; 0: the drawn size as it is)")
    events.add_argument("--clusters", type=int, default=None, help="how many repeat clusters to inject")
    events.add_argument("--cluster-requests", type=_range, default=None, metavar="N or LOW-HIGH",
                        help="requests in a repeat cluster (default 3-5)")
    events.add_argument("--event-weeks", type=int, default=None,
                        help="injected events fall in the data's last N weeks")
    commands.add_parser("demo", help="build the demo city (data up to now) into the default SQLite database "
                        "when it is empty or its demo is more than an hour old")
    simulate = commands.add_parser("simulate", help="keep appending and advancing work orders until stopped")
    simulate.add_argument("--db", help=DATABASE_URL_HELP)
    simulate.add_argument("--rate", type=float, default=30, help="new work orders per minute (default 30)")
    simulate.add_argument("--tick", type=float, default=5, help="seconds between batches (default 5)")
    simulate.add_argument("--ticks", type=int, default=None, help="stop after this many batches")
    simulate.add_argument("--seed", type=int, default=None)
    simulate.add_argument("--surge", metavar="COMMUNITY:CATEGORY", default=None,
                          help="also feed a surge: extra orders in this community code and first-level category")
    simulate.add_argument("--surge-per-tick", type=int, default=2,
                          help="the surge's extra orders per batch (default 2)")
    return parser.parse_args(argv)


def event_spec(arguments: argparse.Namespace) -> EventSpec:
    """The scale's events with the options given on the command line."""
    spec = SCALES[arguments.scale].events
    options = {"surges": arguments.surges, "surge_level": arguments.surge_level,
               "surge_per_day": arguments.surge_per_day, "surge_days": arguments.surge_days,
               "surge_noise_sd": arguments.surge_noise_sd,
               "clusters": arguments.clusters, "cluster_requests": arguments.cluster_requests,
               "weeks": arguments.event_weeks}
    return replace(spec, **{name: value for name, value in options.items() if value is not None})


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
        from sample_data.simulate import parse_surge, simulate

        engine = create_db_engine(database_url(arguments.db))
        try:
            surge = parse_surge(engine, arguments.surge, arguments.surge_per_tick) if arguments.surge else None
            written = simulate(engine, arguments.rate, arguments.tick, arguments.ticks, arguments.seed, surge)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 0
        finally:
            engine.dispose()
        print(", ".join(f"{kind}: {count:,}" for kind, count in written.items()))
        return 0
    started = time.perf_counter()
    counts = generate_city(arguments.out, scale=arguments.scale, seed=arguments.seed, as_of=arguments.as_of,
                           events=event_spec(arguments))
    for file_name, count in counts.items():
        print(f"{file_name:24} {count:>10,}")
    print(f"written to {arguments.out} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
