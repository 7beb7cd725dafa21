#!/usr/bin/env python3
# Oracle for Debian version ordering: the real `dpkg --compare-versions`.
# stdin: one "A<TAB>B" pair per line. stdout: a header line "# dpkg <version>", then per pair
# "-1", "0" or "1", or "invalid" when dpkg refuses a version (exit status 2 = syntax error).
# dpkg is run per pair (it has no batch mode) from this one process, four at a time.
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor


def run(a, op, b):
    return subprocess.run(
        ["dpkg", "--compare-versions", a, op, b],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ).returncode


def compare(pair):
    a, b = pair
    rc = run(a, "lt", b)
    if rc == 0:
        return "-1"
    if rc != 1:
        return "invalid"
    rc = run(a, "eq", b)
    if rc == 0:
        return "0"
    return "1" if rc == 1 else "invalid"


def main():
    try:
        version = subprocess.run(
            ["dpkg", "--version"], capture_output=True, text=True, check=True
        ).stdout.split("\n")[0]
    except (OSError, subprocess.CalledProcessError):
        sys.stderr.write("dpkg is not installed: apt-get install -y dpkg\n")
        sys.exit(3)
    pairs = [tuple(l.split("\t")) for l in sys.stdin.read().split("\n") if l]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(compare, pairs))
    sys.stdout.write("\n".join(["# " + version] + results) + "\n")


main()
