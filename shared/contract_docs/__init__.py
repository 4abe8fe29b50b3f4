"""The integrators' contract as files: `make docs` (python -m shared.contract_docs) writes
docs/asyncapi/<service>.json and docs/events.md from the code, and a test fails while the
checked-in files differ from what the code would write."""
