"""``make bench``: the mock measured side by side with a do-nothing aiohttp server (the ceiling).

    servers.py   start/stop the mock and the ceiling as subprocesses; start-up time and VmRSS
    ceiling.py   the ceiling: serves pre-recorded bodies by raw target, no other work
    loadgen.py   drive a load: wrk (Debian package) or a bounded aiohttp-client fallback
    run.py       scenarios, targets (PASS/GAP), the table and benchmarks/results/latest.json

Everything binds loopback only and every phase is bounded in time. Not part of ``make test``:
targets are ratios measured in the same run, never timed unit tests.
"""
