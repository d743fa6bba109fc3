"""Trust Portal's core: everything an outsider needs to check the portal's claims, with no Django.

Standard library and ``cryptography`` only (an import-linter contract keeps it so), so the same code
runs inside the portal and inside ``trust-verify.pyz``, the one-file offline verifier:

- ``jcs``        RFC 8785 canonical JSON, the bytes every hash is taken over
- ``canonical``  the canonical form of an evidence record
- ``merkle``     RFC 9162 Merkle trees: leaf and node hashes, inclusion and consistency proofs
- ``notes``      C2SP signed notes and tlog checkpoints (Ed25519)
- ``dsse``       DSSE envelopes (vendor-signed evidence)
- ``sketch``     the mergeable quantile sketch (DDSketch)
- ``evaluator``  clauses and evidence in, verdicts out
- ``verify``     the offline bundle verifier (``trust-verify``)
"""
