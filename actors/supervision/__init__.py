"""Supervision: the restart policy and circuit (restarts.py) and the Supervisor actor that restarts feeds, books and strategies."""
