"""Ingest: parse each input file once, check it on its own and across files, write all of it or nothing.

One module per input (city, areas, stations, work_orders, open311, members, member_activities, grid_workers);
files.py reads, checks.py holds the column checks, references.py the cross-file ones, writer.py writes.
"""

from data_access.ingest.areas import AREA_FILES
from data_access.ingest.errors import CODES, InputError, LoadFailed, LoadRejected
from data_access.ingest.files import MAX_FIELD_CHARS
from data_access.ingest.load import KNOWN_FILES, load_directory, load_frames

__all__ = ["AREA_FILES", "CODES", "KNOWN_FILES", "MAX_FIELD_CHARS", "InputError", "LoadFailed", "LoadRejected",
           "load_directory", "load_frames"]
