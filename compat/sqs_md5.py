"""The MD5 digests that SQS returns, computed independently of the server.

* ``MD5OfMessageBody`` / ``MD5OfBody``: hex MD5 of the UTF-8 body.
* ``MD5OfMessageAttributes`` / ``MD5OfMessageSystemAttributes``: hex MD5 over
  the attributes sorted by name, each encoded as

      4-byte big-endian length + UTF-8 name
      4-byte big-endian length + UTF-8 data type
      1 byte transport type: 1 for String/Number (and custom String.x /
        Number.x), 2 for Binary (and Binary.x)
      4-byte big-endian length + value bytes (UTF-8 string, or raw bytes)

This is the algorithm the Java/.NET/Go SDKs use to validate responses.
"""

import hashlib
import struct

STRING_TRANSPORT = 1
BINARY_TRANSPORT = 2


def md5_of_body(body):
    return hashlib.md5(body.encode("utf-8")).hexdigest()


def _len_prefixed(data):
    return struct.pack(">I", len(data)) + data


def _base_type(data_type):
    return data_type.split(".", 1)[0]


def encode_attributes(attributes):
    """Bytes hashed for a {name: {"DataType": ..., "StringValue"|"BinaryValue": ...}} map."""
    out = bytearray()
    for name in sorted(attributes):
        value = attributes[name]
        data_type = value["DataType"]
        out += _len_prefixed(name.encode("utf-8"))
        out += _len_prefixed(data_type.encode("utf-8"))
        base = _base_type(data_type)
        if base in ("String", "Number"):
            out += bytes([STRING_TRANSPORT])
            out += _len_prefixed(value["StringValue"].encode("utf-8"))
        elif base == "Binary":
            raw = value["BinaryValue"]
            if isinstance(raw, str):  # tolerate pre-decoded input
                raw = raw.encode("utf-8")
            out += bytes([BINARY_TRANSPORT])
            out += _len_prefixed(bytes(raw))
        else:
            raise ValueError(f"unsupported attribute data type {data_type!r}")
    return bytes(out)


def md5_of_attributes(attributes):
    """Hex MD5 of a message-attribute (or message-system-attribute) map."""
    return hashlib.md5(encode_attributes(attributes)).hexdigest()


def _self_test():
    # Known vector: a single String attribute, hand-encoded.
    attrs = {"a": {"DataType": "String", "StringValue": "b"}}
    expected = hashlib.md5(
        b"\x00\x00\x00\x01a" b"\x00\x00\x00\x06String" b"\x01" b"\x00\x00\x00\x01b"
    ).hexdigest()
    assert md5_of_attributes(attrs) == expected
    # Sorting is by name, not insertion order.
    a = {"z": {"DataType": "Number", "StringValue": "1"},
         "y": {"DataType": "Binary", "BinaryValue": b"\x00"}}
    b = {"y": a["y"], "z": a["z"]}
    assert md5_of_attributes(a) == md5_of_attributes(b)


_self_test()
