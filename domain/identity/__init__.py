"""Who acted, proven: algorithms, credentials and personal signatures (pure; docs/security.md).

- ``algorithms``: digests (SHA-256, SM3) and signatures (Ed25519, SM2) by name, so every record says
  which one it used and a deployment may choose the commercial-cryptography pair (SM2/SM3) by setting.
- ``credentials``: the short-lived credential an authority issues after sign-in (actor id, roles,
  scope, expiry, key id, the person's registered signing key), and its verification against the
  trusted public keys a workflow holds, at the workflow's time.
- ``signatures``: a person's own signature over a command's digest, for the decisions that judge a
  person; verified in the workflow with the key the credential names, and offline from the audit log.
"""

from domain.identity.algorithms import DIGESTS, SIGNATURES, digest, fingerprint, generate_key, public_key_of, sign, verify
from domain.identity.credentials import (
    Claims,
    CredentialError,
    PersonKey,
    TrustedKey,
    TrustedKeys,
    decode_unverified,
    encode_credential,
    verify_credential,
)
from domain.identity.signatures import PersonalSignature, SignatureError, sign_command, signed_document, verify_command_signature

__all__ = [
    "DIGESTS",
    "SIGNATURES",
    "Claims",
    "CredentialError",
    "PersonKey",
    "PersonalSignature",
    "SignatureError",
    "TrustedKey",
    "TrustedKeys",
    "decode_unverified",
    "digest",
    "encode_credential",
    "fingerprint",
    "generate_key",
    "public_key_of",
    "sign",
    "sign_command",
    "signed_document",
    "verify",
    "verify_command_signature",
    "verify_credential",
]
