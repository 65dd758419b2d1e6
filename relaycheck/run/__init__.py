"""Running a plan: which probes, their cost ceilings and cap, the order they run in, and the runner."""
