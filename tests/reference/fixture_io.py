#!/usr/bin/python3
"""fixture_io: the binary tensor fixtures shared by the PyTorch reference
scripts (writers) and the C tests (tests/fixture.h, the reader).

Format (little-endian): 8-byte magic b"DBFIX001", uint32 tensor count, then
per tensor: uint32 name length, name bytes (UTF-8, no NUL), uint32 dtype
(0 = float32, 1 = int32, 2 = float64), uint32 ndim, uint32 dims[ndim], then the
data, row-major (NCHW for images).

    from fixture_io import write_fixture, read_fixture
    write_fixture(path, OrderedDict([("x", torch_tensor), ("labels", np_int_array)]))
    tensors = read_fixture(path)          # OrderedDict name -> numpy array

Values may be torch tensors, numpy arrays or Python scalars. Floating types
other than float64 are stored as float32, integer and bool types as int32
(refused when a value does not fit). Files are written to a temporary name and
renamed. Run this file with --self-test to check a round trip, or with
--write-selftest DIR to regenerate the small fixture the C test reads.
"""
import collections
import importlib
import os
import struct
import sys
import tempfile

import numpy as np

MAGIC = b"DBFIX001"


MASK64 = (1 << 64) - 1


def weight_hash(i):
    """Weight i of a network's flat weight vector: 0.5 * (2u - 1), u from 24
    bits of splitmix64(i + 1); exactly representable in float32. Mirrored in C
    (tests/fixture.h, fixture_weight_hash), so fixtures need not store weights."""
    z = ((i + 1) * 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    z ^= z >> 31
    k = z >> 40
    return (k - (1 << 23)) / float(1 << 24)


def load_hashed_weights(params):
    """Fills the tensors `params` (in order, as one flat vector) with
    weight_hash(0), weight_hash(1), ...; returns how many weights that was."""
    import torch
    count = sum(p.numel() for p in params)
    flat = torch.tensor([weight_hash(i) for i in range(count)], dtype=torch.float32)
    with torch.no_grad():
        off = 0
        for p in params:
            p.copy_(flat[off:off + p.numel()].view_as(p))
            off += p.numel()
    return count


def add_reference_argument(ap):
    """--ref-dir: where the PyTorch reference darts_ref.py lives (it is not
    part of dartboard; default $DARTS_REF_DIR)."""
    ap.add_argument("--ref-dir", default=os.environ.get("DARTS_REF_DIR"),
                    help="directory of the PyTorch reference darts_ref.py"
                    " (default: $DARTS_REF_DIR)")


def import_reference(ref_dir, module="darts_ref"):
    """Imports the reference `module` (darts_ref, darts_rnn_ref) from ref_dir,
    or exits saying what to pass."""
    if not ref_dir:
        sys.exit("the PyTorch reference %s.py is not part of dartboard: "
                 "pass --ref-dir DIR or set DARTS_REF_DIR to the directory that holds it"
                 % module)
    if not os.path.exists(os.path.join(ref_dir, module + ".py")):
        sys.exit("%s: no %s.py there (expected the directory of the PyTorch reference)"
                 % (ref_dir, module))
    sys.path.insert(0, os.path.abspath(ref_dir))
    return importlib.import_module(module)
DTYPES = {0: np.dtype("<f4"), 1: np.dtype("<i4"), 2: np.dtype("<f8")}


def _as_array(value):
    if hasattr(value, "detach"):  # torch.Tensor, without importing torch
        value = value.detach().cpu().numpy()
    arr = np.asarray(value)
    if arr.dtype == np.float64:
        return 2, arr.astype("<f8")
    if np.issubdtype(arr.dtype, np.floating):
        return 0, arr.astype("<f4")
    if np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_:
        wide = arr.astype(np.int64)
        if wide.size and (wide.min() < -2**31 or wide.max() >= 2**31):
            raise ValueError("integer tensor does not fit in int32")
        return 1, wide.astype("<i4")
    raise TypeError("unsupported dtype %s (expected float or integer)" % arr.dtype)


def write_fixture(path, tensors):
    """Write an ordered mapping name -> tensor to path (atomically)."""
    chunks = [MAGIC, struct.pack("<I", len(tensors))]
    for name, value in tensors.items():
        code, arr = _as_array(value)
        raw = name.encode("utf-8")
        if not raw:
            raise ValueError("empty tensor name")
        chunks.append(struct.pack("<I", len(raw)) + raw)
        chunks.append(struct.pack("<II", code, arr.ndim))
        chunks.append(struct.pack("<%dI" % arr.ndim, *arr.shape))
        chunks.append(np.ascontiguousarray(arr).tobytes())
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".fixture-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fp:
            for c in chunks:
                fp.write(c)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would follow the file into git
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_fixture(path):
    """Read a fixture into an OrderedDict name -> numpy array."""
    with open(path, "rb") as fp:
        data = fp.read()
    if data[:8] != MAGIC:
        raise ValueError("%s: bad magic (expected %r)" % (path, MAGIC))
    off = 8

    def take(n, what):
        nonlocal off
        if off + n > len(data):
            raise ValueError("%s: byte %d: file ends inside %s" % (path, off, what))
        chunk = data[off:off + n]
        off += n
        return chunk

    (count,) = struct.unpack("<I", take(4, "the tensor count"))
    out = collections.OrderedDict()
    for _ in range(count):
        (nlen,) = struct.unpack("<I", take(4, "a name length"))
        name = take(nlen, "a name").decode("utf-8")
        code, ndim = struct.unpack("<II", take(8, "dtype and ndim"))
        if code not in DTYPES:
            raise ValueError("%s: tensor %r: dtype %d (expected 0, 1 or 2)" % (path, name, code))
        dims = struct.unpack("<%dI" % ndim, take(4 * ndim, "dims"))
        dt = DTYPES[code]
        n = int(np.prod(dims, dtype=np.int64)) if ndim else 1
        arr = np.frombuffer(take(n * dt.itemsize, "tensor data"), dtype=dt).reshape(dims)
        out[name] = arr.copy()
    if off != len(data):
        raise ValueError("%s: byte %d: trailing bytes" % (path, off))
    return out


def selftest_tensors():
    """The tensors of tests/fixtures/fixture_selftest.fix (checked by test_fixture.c)."""
    return collections.OrderedDict([
        ("x", np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2) * 0.5 - 3.0),
        ("labels", np.array([3, -1, 7], dtype=np.int32)),
        ("scalar", np.float32(2.5)),
        ("double", np.array([[1.0 / 3.0, -2.0e-300]], dtype=np.float64)),
    ])


def _self_test():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "t.fix")
        src = selftest_tensors()
        write_fixture(path, src)
        back = read_fixture(path)
        assert list(back) == list(src), "names or order differ"
        for k in src:
            a, b = np.asarray(src[k]), back[k]
            assert a.shape == b.shape and np.array_equal(a, b), "tensor %s differs" % k
        with open(path, "rb") as fp:
            raw = fp.read()
        with open(path, "wb") as fp:
            fp.write(raw[:-3])
        try:
            read_fixture(path)
            raise AssertionError("truncated file was accepted")
        except ValueError:
            pass
    print("fixture_io self-test: ok")


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "--self-test":
        _self_test()
    elif len(sys.argv) == 3 and sys.argv[1] == "--write-selftest":
        write_fixture(os.path.join(sys.argv[2], "fixture_selftest.fix"), selftest_tensors())
    else:
        sys.exit("usage: fixture_io.py --self-test | --write-selftest DIR")
