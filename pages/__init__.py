"""The app's pages: each module exposes render(); app.py puts them in st.navigation."""
