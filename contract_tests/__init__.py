"""Contract suite for LearningLogin's train-sessions API: black-box properties over HTTP.

Layers (each imports only those above it; nothing here imports ``mockserver``):

    client      HTTP with budget, rate limit, retries and curl reproduction (stdlib only)
    oracle      the documented filters and Ransack's rules, written independently
    checks      schema, error-body and result assertions (reads ``schemas/``)
    strategies  Hypothesis strategies drawing values from the endpoint's own data
    fingerprint the generation fingerprint as a table of probes (mockserver probe runs it too)
    generation  the Rails/Ransack generations (schemas/stacks.json): told, or fingerprinted
    endpoint    the mock as a subprocess when no --api-url is given
    conftest    options, fixtures and the run summary
    test_*      the properties
"""
