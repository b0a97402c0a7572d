"""DWR v3 (Data Workshop workflows): the successor API, on the same async core."""
