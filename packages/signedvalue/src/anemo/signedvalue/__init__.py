"""Signed and optionally encrypted values, byte-compatible with Tornado's signed cookies.

- :class:`Signer` and :class:`Serializer`: purpose-bound (salted), timestamped, URL-safe tokens
  with key rotation, typed errors (:mod:`anemo.signedvalue.errors`) and derived keys.
- :func:`create_signed_value`, :func:`decode_signed_value`, :func:`get_signature_key_version`:
  Tornado's signed-value format (v1 and v2), byte for byte, with its sharp edges fixed.
- :mod:`anemo.signedvalue.encrypted` (extra ``encrypt``): the same, encrypted with AES-GCM.
- :mod:`anemo.signedvalue.tornado` (extra ``tornado``): signed and encrypted JSON cookies.
"""

from ._keys import SecretKeys
from ._serializer import Serializer, TokenSerializer
from ._signer import MAX_CLOCK_SKEW, Signer
from ._tornado_format import (
    DEFAULT_SIGNED_VALUE_MIN_VERSION,
    DEFAULT_SIGNED_VALUE_VERSION,
    TornadoSecret,
    create_signed_value,
    decode_signed_value,
    get_signature_key_version,
)
from .errors import (
    BadPayload,
    BadSignature,
    InvalidOption,
    InvalidOptionType,
    SignatureExpired,
    SignedValueError,
)

__version__ = "0.1.0"

__all__ = [
    "Signer",
    "Serializer",
    "TokenSerializer",
    "SecretKeys",
    "MAX_CLOCK_SKEW",
    "create_signed_value",
    "decode_signed_value",
    "get_signature_key_version",
    "TornadoSecret",
    "DEFAULT_SIGNED_VALUE_VERSION",
    "DEFAULT_SIGNED_VALUE_MIN_VERSION",
    "SignedValueError",
    "InvalidOption",
    "InvalidOptionType",
    "BadSignature",
    "SignatureExpired",
    "BadPayload",
    "__version__",
]
