"""Turn generated work orders into the work_orders.csv columns, wording titles and descriptions in Chinese."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from data_access.codes import APPEAL_TYPES, CHANNELS
from sample_data.work_order_catalog import (
    APPEAL_REQUESTS,
    AWKWARD_FRAGMENTS,
    CATEGORY_TABLE,
    CHANNEL_OPENERS,
    WHISTLE_DEPARTMENTS,
)
from sample_data.work_orders import NEVER, WorkOrderTable

WORK_ORDER_COLUMNS = [
    "order_no",
    "channel",
    "appeal_type",
    "category_l1",
    "category_l2",
    "category_l3",
    "title",
    "description",
    "caller_name",
    "caller_phone",
    "lon",
    "lat",
    "status",
    "received_at",
    "dispatched_at",
    "accepted_at",
    "resolved_at",
    "called_back_at",
    "closed_at",
    "returned_at",
    "extended_at",
    "due_at",
    "department",
    "resolution",
    "satisfaction",
    "repeat_of",
    "whistle",
    "whistled_at",
    "whistle_departments",
]
CHUNK_ROWS = 250_000
# Explicit, so a slice whose times all fall on midnight is not written as bare dates.
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
PARALLEL_MIN_ROWS = 100_000
PARALLEL_SLICE_ROWS = 250_000
MAX_PROCESSES = 4
# Set only while a pool of forked writers runs: they read the orders from here instead of a pickle.
FORKED_STATE: dict[str, tuple] = {}
WHISTLE_COMBINATIONS = np.array(
    [";".join(combo) for size in (2, 3) for combo in itertools.combinations(WHISTLE_DEPARTMENTS, size)],
    dtype=object,
)


def variants_table(lists: list[tuple[str, ...]]) -> tuple[np.ndarray, np.ndarray]:
    """A padded 2-D array of string variants per row and how many each row has."""
    width = max(1, max(len(items) for items in lists))
    table = np.full((len(lists), width), "", dtype=object)
    for row, items in enumerate(lists):
        table[row, : len(items)] = items
    return table, np.array([max(len(items), 1) for items in lists])


def pick(table: np.ndarray, lengths: np.ndarray, rows: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Choose one variant per entry: `table[row, draw mod number of variants]`."""
    return table[rows, draws % lengths[rows]]


def timestamps(values: np.ndarray) -> np.ndarray:
    """Local seconds to datetime64[s]; NEVER becomes NaT (an empty cell)."""
    stamps = values.astype("datetime64[s]")
    stamps[values >= NEVER] = np.datetime64("NaT")
    return stamps


class OrderWording:
    """Lookup tables that word orders: places per grid, category phrases, openers and requests."""

    def __init__(self, table: WorkOrderTable):
        city = table.city
        grids, communities = city.grids, city.communities
        community_row = pd.Series(np.arange(len(communities)), index=communities["code"])
        self.grid_community = community_row[grids["parent_code"]].to_numpy()
        street_row = pd.Series(np.arange(len(city.streets)), index=city.streets["code"])
        self.grid_street = street_row[grids["parent_code"].str[:9]].to_numpy()
        self.street_name = city.streets["name_zh"].to_numpy(dtype=object)
        self.community_name = communities["name_zh"].to_numpy(dtype=object)
        self.is_village = (communities["kind"] == "village").to_numpy()
        compounds = city.compounds.groupby("community_code")["name_zh"].apply(tuple)
        self.compounds = variants_table([compounds.get(code, ()) for code in communities["code"]])
        roads = city.roads.groupby("street_code")["name_zh"].apply(tuple)
        self.roads = variants_table([roads.get(code, ()) for code in city.streets["code"]])
        self.titles = variants_table([category.titles for category in CATEGORY_TABLE])
        self.problems = variants_table([category.problems for category in CATEGORY_TABLE])
        self.l3 = variants_table([category.l3 for category in CATEGORY_TABLE])
        self.openers = variants_table(list(CHANNEL_OPENERS.values()))
        self.requests = variants_table([APPEAL_REQUESTS[appeal] for appeal in APPEAL_TYPES])
        self.place_kind = np.array([category.place for category in CATEGORY_TABLE])
        self.l1 = np.array([category.l1 for category in CATEGORY_TABLE], dtype=object)
        self.l2 = np.array([category.l2 for category in CATEGORY_TABLE], dtype=object)
        self.department = np.array([category.department for category in CATEGORY_TABLE], dtype=object)

    def texts(self, columns: dict, rows: slice) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Category level 3, title and description for a slice of orders."""
        category = columns["category"][rows]
        grid = columns["grid"][rows]
        community, street = self.grid_community[grid], self.grid_street[grid]
        compound = pick(*self.compounds, community, columns["place_pick"][rows])
        road = pick(*self.roads, street, columns["place_pick"][rows])
        kind = self.place_kind[category]
        place = np.where(
            kind == "compound", compound, np.where(kind == "road", road, self.community_name[community])
        )
        # Villager-group names already start with the village's name.
        compound_area = np.where(self.is_village[community], "", self.community_name[community])
        location = np.where(
            kind == "compound",
            self.street_name[street] + compound_area + compound,
            np.where(
                kind == "road",
                self.street_name[street] + road + "附近",
                "本人家住" + self.street_name[street] + self.community_name[community],
            ),
        )
        phrase = pick(*self.titles, category, columns["title_pick"][rows])
        title = np.where(kind == "community", phrase, place + phrase)
        lasting = columns["lasting_days"][rows]
        lasting_text = np.where(lasting > 0, "，已持续" + lasting.astype(str).astype(object) + "天", "")
        awkward = columns["awkward"][rows]
        awkward_text = np.where(
            awkward >= 0, np.array(AWKWARD_FRAGMENTS, dtype=object)[np.maximum(awkward, 0)], ""
        )
        repeat_text = np.where(columns["repeat_of"][rows] >= 0, "此前已反映过，问题仍未解决，", "")
        description = (
            pick(*self.openers, columns["channel"][rows], columns["opener_pick"][rows])
            + location
            + "，"
            + repeat_text
            + pick(*self.problems, category, columns["problem_pick"][rows])
            + lasting_text
            + awkward_text
            + "，"
            + pick(*self.requests, columns["appeal"][rows], columns["request_pick"][rows])
        )
        return pick(*self.l3, category, columns["problem_pick"][rows]), title, description

    def frame(self, table: WorkOrderTable, rows: slice) -> pd.DataFrame:
        """The work_orders.csv columns for a slice of orders, in WORK_ORDER_COLUMNS order."""
        columns = table.columns
        category = columns["category"][rows]
        l3, title, description = self.texts(columns, rows)
        repeat_of = columns["repeat_of"][rows]
        whistle = columns["whistle"][rows]
        data = {
            "order_no": table.order_no[rows],
            "channel": np.array(list(CHANNELS))[columns["channel"][rows]],
            "appeal_type": np.array(list(APPEAL_TYPES))[columns["appeal"][rows]],
            "category_l1": self.l1[category],
            "category_l2": self.l2[category],
            "category_l3": l3,
            "title": title,
            "description": description,
            "caller_name": columns["caller_name"][rows],
            "caller_phone": columns["caller_phone"][rows],
            "lon": columns["lon"][rows],
            "lat": columns["lat"][rows],
            "status": columns["status"][rows],
            "received_at": timestamps(columns["received"][rows]),
        }
        for name in WORK_ORDER_COLUMNS[14:22]:
            data[name] = timestamps(columns[name][rows])
        data["department"] = self.department[category]
        data["resolution"] = columns["resolution"][rows]
        data["satisfaction"] = columns["satisfaction"][rows]
        data["repeat_of"] = np.where(repeat_of >= 0, table.order_no[np.maximum(repeat_of, 0)], "")
        data["whistle"] = np.where(whistle, "true", "false")
        data["whistled_at"] = timestamps(columns["whistled_at"][rows])
        data["whistle_departments"] = np.where(
            whistle, WHISTLE_COMBINATIONS[columns["whistle_pick"][rows] % len(WHISTLE_COMBINATIONS)], ""
        )
        return pd.DataFrame(data, columns=WORK_ORDER_COLUMNS)


def write_rows(table: WorkOrderTable, wording: OrderWording, path: Path, first: int, last: int) -> None:
    """Write one slice of orders as CSV (with the header only for the first slice)."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        for start in range(first, last, CHUNK_ROWS):
            frame = wording.frame(table, slice(start, min(start + CHUNK_ROWS, last)))
            frame.to_csv(
                handle,
                index=False,
                header=start == 0,
                float_format="%.6f",
                date_format=TIMESTAMP_FORMAT,
                lineterminator="\n",
            )


def write_forked_slice(job: tuple[Path, int, int]) -> None:
    """Pool worker: write a slice of the table inherited from the parent through fork (never pickled)."""
    write_rows(*FORKED_STATE["table_and_wording"], *job)


def write_work_orders(table: WorkOrderTable, path: Path, processes: int | None = None) -> int:
    """Write work_orders.csv in slices, formatted by several processes at once when there are many orders."""
    wording = OrderWording(table)
    total = len(table)
    processes = processes or min(os.cpu_count() or 1, MAX_PROCESSES)
    if total < PARALLEL_MIN_ROWS or processes < 2 or "fork" not in multiprocessing.get_all_start_methods():
        write_rows(table, wording, path, 0, total)
        return total
    # Slice boundaries depend only on the row count, so the bytes never depend on the number of processes.
    bounds = np.linspace(0, total, max(2, -(-total // PARALLEL_SLICE_ROWS)) + 1).astype(int)
    parts = [path.with_name(f"{path.name}.part{index}") for index in range(len(bounds) - 1)]
    FORKED_STATE["table_and_wording"] = (table, wording)
    try:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            pool.map(write_forked_slice, list(zip(parts, bounds[:-1], bounds[1:], strict=True)), chunksize=1)
    finally:
        FORKED_STATE.clear()
    with open(path, "wb") as combined:
        for part in parts:
            with open(part, "rb") as piece:
                shutil.copyfileobj(piece, combined, 16 << 20)
            part.unlink()
    return total
