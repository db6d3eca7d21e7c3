#!/usr/bin/env python3
"""Checks command lines the way a reader pastes them, against the real torchdiag binary.

Sources:
  --markdown FILE    every line of the ```sh blocks (README.md)
  --script FILE      every line of a shell script (packaging/docker/entrypoint.sh)
  --dockerfile FILE  every RUN (continuations joined), ENTRYPOINT and CMD; every COPY
                     source that is not from another stage must exist in the build
                     context (--context, default the repository)
Each shell line must pass `bash -n`. Each command of each pipeline, "&&" list and "$(...)"
must exist: torchdiag, a program on PATH, a path inside the repository, or a tool the
files name on purpose (kubectl, docker); a word after '|' that is none of them is
usually an option value the shell read as a pipe ("--format json|csv"). For torchdiag,
the subcommand must exist, every option must be in `torchdiag SUB --help`, and a
--format value must be one the option's help names. Prints each problem and a count;
exits 1 when there is one.

Usage: check_commands.py BINARY [--context DIR] (--markdown|--script|--dockerfile FILE)...
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

from torchdiag_cli import Help, parse_cli

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ON_PURPOSE = {"kubectl", "docker"}  # not installed here; the files use them on purpose
SEPARATORS = {"|", "||", "&&", ";", "&", "(", ")"}
PREFIXES = {"eval", "exec", "sudo", "time", "env", "cd"}


class Checker:
    def __init__(self, binary):
        self.binary = binary
        self.helps = Help(binary)
        self.problems = []
        self.lines = 0

    def problem(self, where, text):
        self.problems.append(f"{where}: {text}")

    def subcommands(self):
        text = subprocess.run([self.binary, "--help"], capture_output=True, text=True).stdout
        section = text[text.lower().index("subcommands:"):]
        return set(re.findall(r"^  ([a-z][a-z0-9-]*)", section, re.M))

    def torchdiag(self, where, args):
        sub, options = parse_cli(args)
        if sub is None:
            return
        if sub not in self.subcommands():
            self.problem(where, f"torchdiag has no command '{sub}'")
            return
        opts, why = self.helps.get(sub)
        if opts is None:
            self.problem(where, why)
            return
        for name, inline, nxt in options:
            if name not in opts:
                self.problem(where, f"torchdiag {sub} has no option {name}")
                continue
            if name == "--format":
                value = inline if inline is not None else nxt
                if value is None or re.search(r"\b" + re.escape(value) + r"\b", opts[name]["text"]) is None:
                    self.problem(where, f"torchdiag {sub} --format has no value '{value}'")
        if "--" in args:  # recommend --exec -- CMD: the command must exist too
            rest = args[args.index("--") + 1:]
            if rest:
                self.command(where, rest)

    def command(self, where, words):
        for word in words:
            for inner in re.findall(r"\$\(([^)]*)\)", word):
                self.shell_line(where, inner, syntax=False)
        while words and (re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]) or words[0] in PREFIXES):
            words = words[2:] if words[0] == "cd" else words[1:]
        if not words or words[0].startswith("$"):
            return
        cmd = words[0]
        if os.path.basename(cmd) == "torchdiag":
            self.torchdiag(where, words[1:])
        elif cmd in ON_PURPOSE or shutil.which(cmd) or os.path.exists(os.path.join(REPO, cmd)):
            return
        else:
            self.problem(where, f"'{cmd}' is not a command (an option value read as a pipe or a list?)")

    def shell_line(self, where, line, syntax=True):
        self.lines += syntax
        if syntax:
            run = subprocess.run(["bash", "-n", "-c", line], capture_output=True, text=True)
            if run.returncode != 0:
                self.problem(where, f"bash -n: {run.stderr.strip()}")
                return
        lexer = shlex.shlex(line, posix=True, punctuation_chars="|&;()")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        try:
            tokens = list(lexer)
        except ValueError as e:
            self.problem(where, f"cannot split: {e}")
            return
        words = []
        for token in tokens + [";"]:
            if token in SEPARATORS:
                if words:
                    self.command(where, words)
                words = []
            else:
                words.append(token)

    def markdown(self, path):
        inside = False
        for number, line in enumerate(open(path, encoding="utf-8"), 1):
            stripped = line.strip()
            if stripped.startswith("```"):
                inside = stripped == "```sh"
            elif inside and stripped and not stripped.startswith("#"):
                self.shell_line(f"{os.path.relpath(path, REPO)}:{number}", stripped)

    def script(self, path):
        for number, line in enumerate(open(path, encoding="utf-8"), 1):
            stripped = line.strip()
            if stripped and not stripped.startswith("#") and not stripped.startswith("set "):
                self.shell_line(f"{os.path.relpath(path, REPO)}:{number}", stripped)

    def dockerfile(self, path, context):
        logical, start, number = "", 0, 0
        for number, raw in enumerate(open(path, encoding="utf-8"), 1):
            line = raw.rstrip("\n")
            if not logical and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if not logical:
                start = number
            logical += line[:-1] + " " if line.endswith("\\") else line
            if line.endswith("\\"):
                continue
            self.instruction(f"{os.path.relpath(path, REPO)}:{start}", logical.strip(), context)
            logical = ""

    def instruction(self, where, text, context):
        keyword, _, rest = text.partition(" ")
        keyword = keyword.upper()
        if keyword == "RUN":
            self.shell_line(where, rest)
        elif keyword in ("ENTRYPOINT", "CMD"):
            try:
                argv = json.loads(rest)
            except ValueError:
                self.shell_line(where, rest)
                return
            if keyword == "ENTRYPOINT" and argv and not os.path.isabs(argv[0]):
                self.command(where, argv)
        elif keyword == "COPY":
            args = shlex.split(rest)
            if any(a.startswith("--from=") for a in args):
                return
            sources = [a for a in args if not a.startswith("--")][:-1]
            for src in sources:
                if not os.path.exists(os.path.join(context, src)):
                    self.problem(where, f"COPY source '{src}' is not in the build context ({context})")


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    checker = Checker(argv[1])
    context = REPO
    args = argv[2:]
    if len(args) % 2:
        print(__doc__, file=sys.stderr)
        return 2
    for kind, path in zip(args[::2], args[1::2]):
        if kind == "--context":
            context = path
        elif kind == "--markdown":
            checker.markdown(path)
        elif kind == "--script":
            checker.script(path)
        elif kind == "--dockerfile":
            checker.dockerfile(path, context)
        else:
            print(f"check_commands: unknown source kind {kind}", file=sys.stderr)
            return 2
    for p in checker.problems:
        print(p)
    print(f"checked {checker.lines} command lines: {len(checker.problems)} problem(s)")
    return 1 if checker.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
