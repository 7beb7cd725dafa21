#!/usr/bin/env python3
# Oracle for PEP 440 ordering: Python's `packaging.version.Version`.
# stdin: one "A<TAB>B" pair per line. stdout: a header line "# packaging <version> (<module>)",
# then per pair "-1", "0" or "1" (sign of A cmp B), or "invalid:a" / "invalid:b".
# Uses `packaging` when installed, else the copy pip vendors (pip._vendor.packaging), which is
# the same code. Exit 3 when neither is importable.
import sys

try:
    import packaging
    from packaging.version import InvalidVersion, Version

    source = "packaging"
except ImportError:
    try:
        from pip._vendor import packaging
        from pip._vendor.packaging.version import InvalidVersion, Version

        source = "pip._vendor.packaging"
    except ImportError:
        sys.stderr.write(
            "Python's `packaging` is not importable: add `packaging` to "
            "tests/interop/requirements.txt and run scripts/setup-interop.sh\n"
        )
        sys.exit(3)


def main():
    out = ["# packaging %s (%s)" % (packaging.__version__, source)]
    for line in sys.stdin.read().split("\n"):
        if not line:
            continue
        a, b = line.split("\t")
        try:
            va = Version(a)
        except InvalidVersion:
            out.append("invalid:a")
            continue
        try:
            vb = Version(b)
        except InvalidVersion:
            out.append("invalid:b")
            continue
        out.append("-1" if va < vb else ("1" if va > vb else "0"))
    sys.stdout.write("\n".join(out) + "\n")


main()
