# -*- coding: utf-8 -*-
# Copyright (c) community.neon contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the community.neon collection. It may change without notice.

"""An application's environment file (.env): read variables, set some of them atomically, keep everything else.

The format is the common subset that dotenv (Node.js, Next.js), python-dotenv, Docker Compose, systemd's
EnvironmentFile and a POSIX shell agree on:

* ``NAME=value`` lines, optionally prefixed with ``export``; blank lines and ``#`` comments;
* values bare, in single quotes (literal) or in double quotes (which may span lines); a bare value ends at ``#``;
* when a name appears more than once, the last one wins.

Lines this code does not set are kept byte for byte. Values are written bare when they only hold URL-safe
characters (keys, ids and URLs do), else in single quotes, else in double quotes; a value no quoting can carry
the same way for every reader (a newline together with a quote, say) is refused before anything is written.

Files are replaced atomically: a temporary file in the same directory, created with the final mode (so a secret is
never readable by others, not even for an instant), flushed to disk, then renamed over the old file. A failure at
any step leaves the old file as it was. A symbolic link is followed and the file it points to is replaced.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile

NAME_PATTERN = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')
# `[export ]NAME=` at the start of a line; names of other tools may hold dots or dashes, so reading accepts them.
ASSIGNMENT = re.compile(r'^(?P<indent>[ \t]*)(?P<export>export[ \t]+)?(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=[ \t]*')
BARE_SAFE = re.compile(r'^[A-Za-z0-9_./:@%+,=~-]*$')
MASK = '********'
DEFAULT_MODE = 0o600


class EnvFileError(Exception):
    """The env file cannot be read or written, or a value cannot be written into it."""


class Entry(object):
    """One logical line of the file: its raw text and, for an assignment, the variable's name and value."""

    def __init__(self, raw, name=None, value=None, export=False):
        self.raw = raw
        self.name = name
        self.value = value
        self.export = export


def _line_end(raw):
    if raw.endswith('\r\n'):
        return '\r\n'
    if raw.endswith('\n'):
        return '\n'
    return ''


def _quoted(text, quote):
    """(value, length consumed including both quotes) of a quoted value starting at text[0], or None if unclosed."""
    index = 1
    chars = []
    while index < len(text):
        char = text[index]
        if quote == '"' and char == '\\' and index + 1 < len(text):
            following = text[index + 1]
            chars.append({'n': '\n', 'r': '\r', 't': '\t'}.get(following, following))
            index += 2
            continue
        if char == quote:
            return ''.join(chars), index + 1
        chars.append(char)
        index += 1
    return None


def parse(text):
    """The file's entries in order; joining their raw texts gives back the text unchanged."""
    lines = text.splitlines(True)
    entries = []
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        match = ASSIGNMENT.match(line)
        if not match:
            entries.append(Entry(line))
            continue
        rest = line[match.end():]
        export = bool(match.group('export'))
        if rest[:1] in ('"', "'"):
            # A quoted value may continue on the following lines until its closing quote.
            consumed = [line]
            joined = rest
            found = _quoted(joined, rest[0])
            while found is None and index < len(lines):
                consumed.append(lines[index])
                joined += lines[index]
                index += 1
                found = _quoted(joined, rest[0])
            if found is not None:
                entries.append(Entry(''.join(consumed), match.group('name'), found[0], export))
                continue
            # Never closed: read it as one bare line, as dotenv does, and keep the other lines as they are.
            index -= len(consumed) - 1
        value = rest.split('#', 1)[0].strip()
        entries.append(Entry(line, match.group('name'), value, export))
    return entries


def variables(text):
    """Every variable of an env file's text as a dict (the last assignment of a name wins)."""
    found = {}
    for entry in parse(text):
        if entry.name is not None:
            found[entry.name] = entry.value
    return found


def render_value(value):
    """A value as it is written: bare, single-quoted or double-quoted; EnvFileError if no form is safe."""
    if BARE_SAFE.match(value):
        return value
    if "'" not in value and '\n' not in value and '\r' not in value:
        return "'%s'" % value
    if not re.search(r'["\\$`\r]', value):
        return '"%s"' % value.replace('\n', '\\n')
    raise EnvFileError('a value holds characters that env file readers do not agree on (a newline or a single quote '
                       'together with one of " \\ $ `)')


def check_values(values):
    """Why these variables cannot be written, or None. Call before doing anything that cannot be undone."""
    for name, value in values.items():
        if not NAME_PATTERN.match(name):
            return 'variable name %r is not a valid environment variable name' % name
        if not isinstance(value, str):
            return 'the value of %s is not a string' % name
        try:
            render_value(value)
        except EnvFileError as exc:
            return 'the value of %s cannot be written: %s' % (name, exc)
    return None


def render(text, values):
    """The text with `values` set: existing assignments rewritten in place (all of them, when a name repeats),
    unchanged values left exactly as written, missing names appended in the given order."""
    entries = parse(text)
    pending = dict(values)
    out = []
    for entry in entries:
        if entry.name in values:
            pending.pop(entry.name, None)
            if entry.value == values[entry.name]:
                out.append(entry.raw)
                continue
            prefix = 'export ' if entry.export else ''
            out.append('%s%s=%s%s' % (prefix, entry.name, render_value(values[entry.name]), _line_end(entry.raw) or '\n'))
        else:
            out.append(entry.raw)
    if pending:
        if out and not _line_end(out[-1]):
            out.append('\n')
        for name in values:
            if name in pending:
                out.append('%s=%s\n' % (name, render_value(values[name])))
    return ''.join(out)


def parse_mode(value):
    """A file mode from an option: an int up to 0o777 is used as is, a string is read as octal ('0600', '640'). None if invalid."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        # An unquoted YAML 644 or 600 is a decimal int (0o1204, 0o1130): refuse it rather than set odd bits on a secrets file.
        if value > 0o777:
            return None
        mode = value
    elif isinstance(value, str) and re.match(r'^0?[0-7]{3,4}$', value.strip()):
        mode = int(value.strip(), 8)
    else:
        return None
    if mode < 0 or mode > 0o7777:
        return None
    return mode


def resolve(path):
    """The file that is really read and replaced: the target of a symbolic link, else the path itself."""
    return os.path.realpath(path) if os.path.islink(path) else path


def write_problem(path):
    """Why the file cannot be written, or None. Cheap checks, so a caller can refuse before an irreversible step."""
    real = resolve(path)
    directory = os.path.dirname(real) or '.'
    if os.path.isdir(real):
        return '%s is a directory' % path
    if os.path.exists(real) and not os.path.isfile(real):
        return '%s exists and is not a regular file' % path
    if not os.path.isdir(directory):
        return 'the directory %s does not exist' % directory
    if not os.access(directory, os.W_OK | os.X_OK):
        return 'the directory %s is not writable by this user (a new file is created there and renamed)' % directory
    if os.path.exists(real) and not os.access(real, os.R_OK):
        return '%s is not readable by this user' % path
    return None


def dest_problem(path):
    """Why an env file option cannot be used as a destination, or None."""
    if not os.path.isabs(path):
        return '%r must be an absolute path (a relative one would depend on where the module runs)' % path
    return write_problem(path)


def read_text(path):
    """The file's text, or None when it does not exist. Bytes that are not UTF-8 are kept as they are."""
    try:
        with open(resolve(path), 'rb') as handle:
            data = handle.read()
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise EnvFileError('cannot read %s: %s' % (path, exc.strerror or exc))
    return data.decode('utf-8', 'surrogateescape')


def read_variables(path):
    """The variables of an env file as a dict; None when the file does not exist."""
    text = read_text(path)
    return None if text is None else variables(text)


class EnvUpdate(object):
    """What setting variables in an env file changed (or would change, in check mode)."""

    def __init__(self, path, names, present_names, changed_names, old_mode, new_mode):
        self.path = path
        self.existed = old_mode is not None
        self.names = list(names)
        self.present_names = set(present_names)
        self.changed_names = list(changed_names)
        self.old_mode = old_mode
        self.new_mode = new_mode

    @property
    def mode_changed(self):
        return self.old_mode != self.new_mode

    @property
    def changed(self):
        return bool(self.changed_names) or self.mode_changed

    def diff(self):
        """A before/after text of the variables set, values masked (a changed one is marked), plus the file mode.

        Only the variables set appear: the file's other lines may hold secrets of their own.
        """
        before = []
        after = []
        if self.existed:
            before.append('# mode %04o' % self.old_mode)
        after.append('# mode %04o' % self.new_mode)
        for name in self.names:
            if name in self.present_names:
                before.append('%s=%s' % (name, MASK))
            after.append('%s=%s%s' % (name, MASK, ' (new value)' if name in self.changed_names else ''))
        header = '%s (values hidden)' % self.path
        return dict(before='\n'.join(before) + '\n' if self.existed else '', after='\n'.join(after) + '\n',
                    before_header=header, after_header=header)


def _atomic_replace(real, data, mode, old_stat):
    directory = os.path.dirname(real) or '.'
    fd, temp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(real), suffix='.tmp', dir=directory)
    try:
        # mkstemp creates the file 0600; it gets its final mode before it holds anything.
        os.fchmod(fd, mode)
        if old_stat is not None and (old_stat.st_uid, old_stat.st_gid) != (os.geteuid(), os.getegid()):
            try:
                os.fchown(fd, old_stat.st_uid, old_stat.st_gid)
            except OSError:
                pass  # not root: the file now belongs to this user, as with any editor that replaces files
            os.fchmod(fd, mode)  # chown may clear set-id bits
        with os.fdopen(fd, 'wb') as handle:
            fd = None
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(temp, real)
    except BaseException:
        if fd is not None:
            os.close(fd)
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass  # best effort: some file systems cannot sync a directory


def set_variables(path, values, mode=DEFAULT_MODE, check_mode=False):
    """Set `values` (name -> str) in the env file at `path`, creating it if needed, with file mode `mode`.

    Other lines stay as they are. Returns an EnvUpdate; in check mode nothing is written. Raises EnvFileError.
    """
    problem = check_values(values)
    if problem:
        raise EnvFileError(problem)
    real = resolve(path)
    text = read_text(path)
    old_stat = os.stat(real) if text is not None else None
    old_mode = stat.S_IMODE(old_stat.st_mode) if old_stat is not None else None
    current = variables(text or '')
    changed_names = [name for name in values if current.get(name) != values[name]]
    update = EnvUpdate(path, values, current, changed_names, old_mode, mode)
    if check_mode or not update.changed:
        return update
    try:
        if changed_names:
            _atomic_replace(real, render(text or '', values).encode('utf-8', 'surrogateescape'), mode, old_stat)
        else:
            os.chmod(real, mode)
    except (IOError, OSError) as exc:
        raise EnvFileError('cannot write %s (the old file is unchanged): %s' % (path, exc.strerror or exc))
    return update
