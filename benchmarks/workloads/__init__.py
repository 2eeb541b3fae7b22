"""The benchmark workloads: one module per workload, one setup function per framework.

Each workload module maps framework names to setup functions in `FRAMEWORKS` and states the
relative tolerance `RTOL` within which every framework's result must match the NumPy
baseline's.
"""
