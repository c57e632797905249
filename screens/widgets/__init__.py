"""Small widgets shared by the run and results screens (charts, gauges, scenario tables)."""
