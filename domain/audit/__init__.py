"""The audit log's proofs (pure: no I/O, no clock).

- ``chain``: how one event row's hash links to the previous one (the hash chain ``store/eventlog.py``
  stores and walks), so a proof can be checked without the database;
- ``merkle``: an RFC 6962 (Certificate Transparency) Merkle tree over the chain's event hashes, its
  inclusion proofs (audit paths) and their verification;
- ``checkpoint``: a signed checkpoint of the chain head (position, head hash, Merkle root, time, key),
  and an inclusion proof of one event against a checkpoint, checked offline.
"""
