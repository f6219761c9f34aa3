"""repl_pty.py - drive an interactive program through a pseudo-terminal.

A small expect: spawn the program on a new pty (it becomes the session's
controlling terminal, so Ctrl-C raises SIGINT as in a real terminal), send
keys, wait for text to appear on the screen. Everything the program wrote is
kept in `out`; `screen()` is what a terminal would show for it (render()).
"""
import errno
import fcntl
import os
import pty
import re
import select
import signal
import struct
import termios
import time

CSI = re.compile(r"\x1b\[([0-9;?]*)[ -/]*([@-~])")
OTHER_ESC = re.compile(r"\x1b(?:[()][0-9A-Za-z]|[=>78M]|\][^\x07]*\x07)")


def render(data):
    """What a terminal shows for data, line by line: carriage return, backspace,
    cursor moves within the line (CSI C, D, G) and erase to the end of the line
    (CSI K) are applied; other escape sequences are dropped. Enough for line
    editors, which redraw the current line; vertical moves are ignored."""
    text = data.decode("utf-8", "replace")
    lines, line, col = [], [], 0
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\x1b":
            m = CSI.match(text, i)
            if m:
                args, final = m.group(1), m.group(2)
                num = int(args) if args.isdigit() else None
                if final == "G":
                    col = (num or 1) - 1
                elif final == "C":
                    col += num or 1
                elif final == "D":
                    col = max(0, col - (num or 1))
                elif final == "K" and (num or 0) == 0:
                    del line[col:]
                i = m.end()
                continue
            m = OTHER_ESC.match(text, i)
            i = m.end() if m else i + 1
            continue
        if c == "\r":
            col = 0
        elif c == "\n":
            lines.append("".join(line))
            line, col = [], 0
        elif c == "\b":
            col = max(0, col - 1)
        elif c >= " " or c == "\t":
            if col > len(line):
                line.extend(" " * (col - len(line)))
            if col < len(line):
                line[col] = c
            else:
                line.append(c)
            col += 1
        i += 1
    lines.append("".join(line))
    return "\n".join(lines)


class Timeout(Exception):
    pass


class Pty:
    def __init__(self, argv, env=None, cwd=None, cols=100, rows=30):
        self.out = b""
        self.mark = 0  # expect() searches from here
        pid, fd = pty.fork()
        if pid == 0:
            try:
                if cwd:
                    os.chdir(cwd)
                os.execve(argv[0], argv, env if env is not None else os.environ)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.status = None

    def _read(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError as e:
            if e.errno == errno.EIO:  # the child closed the terminal
                data = b""
            else:
                raise
        if not data:
            self._reap(block=True)
            return None
        self.out += data
        return True

    def _reap(self, block=False):
        if self.status is None:
            pid, st = os.waitpid(self.pid, 0 if block else os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(st)
        return self.status

    def send(self, keys):
        if isinstance(keys, str):
            keys = keys.encode()
        # one key at a time with a pause, as a person types (line editors
        # read byte by byte; a burst could arrive before the editor starts)
        for i in range(0, len(keys)):
            os.write(self.fd, keys[i:i + 1])
            time.sleep(0.002)

    def line(self, text):
        self.send(text + "\r")

    def screen(self, start=0):
        """The text as a terminal shows it (see render), from offset start."""
        return render(self.out)[start:]

    def expect(self, pattern, timeout=5.0):
        """Waits until the regex pattern appears on the screen, ending after
        the end of the previous match; returns the match."""
        deadline = time.time() + timeout
        rx = re.compile(pattern)
        while True:
            text = render(self.out)
            # the line of the previous match may have been redrawn since:
            # search from its start, for a match that ends after the mark
            line_start = text.rfind("\n", 0, self.mark) + 1
            for m in rx.finditer(text, line_start):
                if m.end() > self.mark or (m.end() == self.mark and m.start() == m.end()):
                    self.mark = m.end()
                    return m
            left = deadline - time.time()
            if left <= 0 or self.status is not None:
                raise Timeout("waited for %r; got:\n%s" % (pattern, text[self.mark:][-1500:]))
            self._read(min(left, 0.1))

    def drain(self, quiet=0.2, timeout=5.0):
        """Reads until nothing arrives for `quiet` seconds."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self._read(quiet):
                return

    def wait(self, timeout=5.0):
        deadline = time.time() + timeout
        while self.status is None and time.time() < deadline:
            if self._read(0.05) is None:
                break
            self._reap()
        if self.status is None:
            raise Timeout("still running; got:\n" + self.screen(self.mark)[-1500:])
        return self.status

    def kill(self):
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._reap(block=True)
        try:
            os.close(self.fd)
        except OSError:
            pass
