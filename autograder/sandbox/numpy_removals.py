"""NumPy releases and student code: what newer releases removed, and which release the grader runs.

Code written against NumPy 1.x (most published course material) can fail under NumPy 2.x with an error that
does not say why: "module 'numpy' has no attribute 'product'". `removal_in` recognises such an error and
returns a sentence naming what was removed, in which release, and what to write instead. Nothing here
changes the student's numpy: the grader only explains the failure. Every entry was checked against the
release notes and against NumPy 2.4 (`hasattr`, or the error it raises). `grader_versions` is what a grade
records, and `numpy_mismatch` the warning when grader.toml states another NumPy than the one installed.
"""
from __future__ import annotations

import platform
import re

import numpy as np

# np.NAME -> (the release that removed it, what to use instead)
NAMES: dict[str, tuple[str, str]] = {
    # aliases of Python builtins, deprecated in 1.20 (np.bool and np.long came back in 2.0 as NumPy types)
    "float": ("1.24", "float or np.float64"),
    "int": ("1.24", "int or np.int64"),
    "complex": ("1.24", "complex or np.complex128"),
    "object": ("1.24", "object"),
    "str": ("1.24", "str"),
    # the NumPy 2.0 namespace cleanup (NEP 52) and the deprecations it expired
    "product": ("2.0", "np.prod"),
    "cumproduct": ("2.0", "np.cumprod"),
    "sometrue": ("2.0", "np.any"),
    "alltrue": ("2.0", "np.all"),
    "asfarray": ("2.0", "np.asarray(x, dtype=np.float64)"),
    "float_": ("2.0", "np.float64"),
    "complex_": ("2.0", "np.complex128"),
    "cfloat": ("2.0", "np.complex128"),
    "singlecomplex": ("2.0", "np.complex64"),
    "longfloat": ("2.0", "np.longdouble"),
    "longcomplex": ("2.0", "np.clongdouble"),
    "clongfloat": ("2.0", "np.clongdouble"),
    "int0": ("2.0", "np.intp"),
    "uint0": ("2.0", "np.uintp"),
    "bool8": ("2.0", "np.bool_"),
    "string_": ("2.0", "np.bytes_"),
    "unicode_": ("2.0", "np.str_"),
    "NaN": ("2.0", "np.nan"),
    "Inf": ("2.0", "np.inf"),
    "Infinity": ("2.0", "np.inf"),
    "infty": ("2.0", "np.inf"),
    "PINF": ("2.0", "np.inf"),
    "NINF": ("2.0", "-np.inf"),
    "PZERO": ("2.0", "0.0"),
    "NZERO": ("2.0", "-0.0"),
    "round_": ("2.0", "np.round"),
    "msort": ("2.0", "np.sort(a, axis=0)"),
    "mat": ("2.0", "np.asmatrix"),
    "cast": ("2.0", "np.asarray(x, dtype=dtype)"),
    "issubclass_": ("2.0", "the builtin issubclass"),
    "issubsctype": ("2.0", "np.issubdtype"),
    "find_common_type": ("2.0", "np.result_type or np.promote_types"),
    "fastCopyAndTranspose": ("2.0", "a.T.copy()"),
    "safe_eval": ("2.0", "ast.literal_eval"),
    "source": ("2.0", "inspect.getsource"),
    "who": ("2.0", "locals()"),
    "set_string_function": ("2.0", "np.set_printoptions with a formatter"),
    "geterrobj": ("2.0", "the np.errstate context manager"),
    "seterrobj": ("2.0", "the np.errstate context manager"),
    "nbytes": ("2.0", "np.dtype(dtype).itemsize"),
    "obj2sctype": ("2.0", "np.dtype(obj).type"),
    "sctype2char": ("2.0", "np.dtype(obj).char"),
    "recfromtxt": ("2.0", "np.genfromtxt"),
    "recfromcsv": ("2.0", "np.genfromtxt(..., delimiter=',')"),
    # expired 2.0 deprecations, removed in 2.4
    "trapz": ("2.4", "np.trapezoid"),
    "in1d": ("2.4", "np.isin"),
    "disp": ("2.4", "print"),
    "linalg.linalg": ("2.4", "np.linalg"),
    "fft.helper": ("2.4", "np.fft"),
}

# ndarray (and NumPy scalar) method -> (release, replacement)
METHODS: dict[str, tuple[str, str]] = {
    "ptp": ("2.0", "np.ptp(a)"),
    "itemset": ("2.0", "a[index] = value"),
    "newbyteorder": ("2.0", "a.view(a.dtype.newbyteorder(order))"),
    "tostring": ("2.3", "a.tobytes()"),
}

# (np function, keyword) -> (release, what to write instead)
KEYWORDS: dict[tuple[str, str], tuple[str, str]] = {
    ("reshape", "newshape"): ("2.4", "pass the shape positionally, np.reshape(a, shape), or call a.reshape(shape)"),
    ("percentile", "interpolation"): ("2.4", "use method="),
    ("nanpercentile", "interpolation"): ("2.4", "use method="),
    ("quantile", "interpolation"): ("2.4", "use method="),
    ("nanquantile", "interpolation"): ("2.4", "use method="),
}

# Calls that NumPy 2.x turned from a deprecation warning into an error, each with an error message of its own
# (not float(np.array([x])): its message is the same as for an array of several numbers, which never worked).
BEHAVIOURS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"Calling np\.sum\(generator\)"),
     "np.sum of a generator was removed in NumPy 2.4: use the builtin sum, or np.sum(np.fromiter(...))"),
)

_MODULE = re.compile(r"module '(numpy(?:\.\w+)*)' has no attribute '(\w+)'")
_EXPIRED = re.compile(r"`np\.(\w+)` was removed in the NumPy")  # NumPy 2's own message for some names
_METHOD = re.compile(r"'numpy\.\w+' object has no attribute '(\w+)'")
_KEYWORD = re.compile(r"\b(\w+)\(\) got an unexpected keyword argument '(\w+)'")


def removal_in(text: str) -> str | None:
    """The sentence naming the NumPy removal behind an error text ("AttributeError: module 'numpy' has no
    attribute 'product'" gives "np.product was removed in NumPy 2.0: use np.prod"), else None.

    `text` is anything that contains the error's message: "TYPE: message", or a check's whole problem line.
    """
    for module, attribute in _MODULE.findall(text):
        name = ".".join(module.split(".")[1:] + [attribute])
        if name in NAMES:
            return _removed(f"np.{name}", *NAMES[name])
    for name in _EXPIRED.findall(text):
        if name in NAMES:
            return _removed(f"np.{name}", *NAMES[name])
    for method in _METHOD.findall(text):
        if method in METHODS:
            return _removed(f"the array method .{method}()", *METHODS[method])
    for function, keyword in _KEYWORD.findall(text):
        if (function, keyword) in KEYWORDS:
            release, instead = KEYWORDS[function, keyword]
            return f"np.{function}'s {keyword}= keyword was removed in NumPy {release}: {instead}"
    return next((sentence for pattern, sentence in BEHAVIOURS if pattern.search(text)), None)


def removal_hint(error_type: str, message: str) -> str | None:
    """`removal_in` for an error given as its type and message."""
    return removal_in(f"{error_type}: {message}")


def with_removal(text: str, error_type: str, message: str) -> str:
    """`text` (a description of the error) followed by the removal sentence, when the error is one."""
    hint = removal_hint(error_type, message)
    return f"{text}. {hint}" if hint else text


def _removed(what: str, release: str, replacement: str) -> str:
    return f"{what} was removed in NumPy {release}: use {replacement}"


def grader_versions() -> dict[str, str]:
    """The Python and NumPy this grader runs; its workers are forked from it, so the student's code ran them too."""
    return {"python": platform.python_version(), "numpy": np.__version__}


def numpy_mismatch(course: str, installed: str = np.__version__) -> str | None:
    """The warning when grader.toml states the course's NumPy ([grading] numpy, a release prefix: "1.26"
    matches 1.26.4) and the installed one is another release; None when it is unstated or matches."""
    if not course:
        return None
    wanted = course.split(".")
    release = re.match(r"\d+(?:\.\d+)*", installed)
    if release is not None and release.group().split(".")[:len(wanted)] == wanted:
        return None
    return (f"warning: grader.toml says the course uses NumPy {course} ([grading] numpy), but this grader runs "
            f"NumPy {installed}: student code may behave differently than in the course's environment")
