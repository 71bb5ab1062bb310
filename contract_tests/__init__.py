"""Contract suite for LearningLogin's train-sessions API: black-box properties over HTTP.

Layers (each imports only those above it; nothing here imports ``mockserver``):

    client      HTTP with budget, rate limit, retries and curl reproduction (stdlib only)
    oracle      the documented filters and Ransack's rules, written independently
    checks      schema, error-body and result assertions (reads ``schemas/``)
    strategies  Hypothesis strategies drawing values from the endpoint's own data
    generation  the Rails/Ransack generations (schemas/stacks.json) and the suite's fingerprint
    endpoint    the mock as a subprocess when no --api-url is given
    conftest    options, fixtures and the run summary
    test_*      the properties
"""
