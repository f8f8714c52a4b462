"""The script every session of the served app runs (deploy/server.py): app.py's views.

It lives in deploy/, not beside pages/. Streamlit serves a main script that has a pages/ folder next to it in its
legacy pages-folder mode until some run calls st.navigation; a fresh server's first request, when it is a deep link
to a page with no file of that name (/grid-map: pages/grid_map.py), is then answered "page not found". From here
app.py's st.navigation sees every deep link from the first request on.
"""

import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from app import main  # noqa: E402

main()
