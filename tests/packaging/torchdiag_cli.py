"""What `torchdiag SUB --help` says, for the checks that hold deployment files and docs to
the real binary (check_manifests.py, check_commands.py)."""
import re
import subprocess


class Help:
    """Options of `torchdiag SUB --help`: names, whether each takes a value, its text."""

    def __init__(self, binary):
        self.binary = binary
        self.cache = {}

    def get(self, sub):
        if sub in self.cache:
            return self.cache[sub]
        try:
            run = subprocess.run([self.binary, sub, "--help"], capture_output=True, text=True, timeout=30)
        except OSError as e:
            result = (None, f"cannot run {self.binary}: {e}")
        else:
            if run.returncode != 0:
                result = (None, f"`{self.binary} {sub} --help` exited {run.returncode}: "
                                f"{(run.stderr or run.stdout).strip().splitlines()[:1]}")
            else:
                result = (self.parse(run.stdout), "")
        self.cache[sub] = result
        return result

    @staticmethod
    def parse(text):
        options = {}
        current = None
        for line in text.splitlines():
            stripped = line.strip()
            if stripped.startswith("-"):
                # CLI11: "  -o,--output TEXT Excludes: --x   Description": the names, the
                # value's type (capitals) when it takes one, then two or more spaces.
                column = re.split(r"\s{2,}", stripped, maxsplit=1)[0].split()
                names = [n for n in column[0].split(",") if n.startswith("-")]
                takes_value = len(column) > 1 and re.match(r"^[A-Z][A-Z0-9_]*(:[A-Z0-9_]+)?(=\S*)?$", column[1])
                current = {"value": bool(takes_value), "text": stripped}
                for n in names:
                    options[n] = current
            elif current is not None and line.startswith("   ") and stripped:
                current["text"] += " " + stripped
            else:
                current = None
        return options


def parse_cli(args):
    """(subcommand, [(option, value or None, index)]) of torchdiag's arguments."""
    sub = None
    options = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            break
        if a.startswith("-") and len(a) > 1:
            name, eq, value = a.partition("=")
            nxt = args[i + 1] if i + 1 < len(args) else None
            options.append((name, value if eq else None, nxt))
        elif sub is None:
            sub = a
        i += 1
    return sub, options


def option_value(args, name):
    for i, a in enumerate(args):
        if a == name and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None
