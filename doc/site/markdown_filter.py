#!/usr/bin/env python3
# SPDX-License-Identifier: BSL-1.0
"""Doxygen input filter for the project's Markdown (FILTER_PATTERNS *.md): makes the links that
work on a forge work in the generated site too.

- Every heading gets an explicit label, FILE-SLUG (FILE is the path without .md, '/' and '.' as
  '_'; SLUG as a forge makes it from the heading's text), so that `#slug` links resolve; the
  first heading of a file labels its page, `page_FILE` (README.md is the main page, `index`).
- Links `#slug`, `other.md` and `other.md#slug` become links to those labels.
- Links to other files of the repository (a source file, the licence) become `repo/PATH`, which
  check_links.py copies into the site, so that none is left dangling.
Fenced code blocks and code spans are left as they are.
usage: markdown_filter.py FILE.md   (the rewritten text on stdout)
"""
import os
import re
import sys

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), '..', '..'))
HEADING = re.compile(r'^(#{1,6})\s+(.*?)\s*#*\s*$')
FENCE = re.compile(r'^\s*(```|~~~)')
LINK = re.compile(r'\]\(([^)\s]+)\)')


def file_id(path):
    rel = os.path.relpath(os.path.realpath(path), ROOT)
    return re.sub(r'[/.]', '_', rel[:-3] if rel.endswith('.md') else rel)


def page_label(path):
    return 'index' if os.path.relpath(os.path.realpath(path), ROOT) == 'README.md' else 'page_' + file_id(path)


def slug(text):
    text = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', text)  # a link's text only
    text = text.lower().replace('`', '')
    text = re.sub(r'[^\w\- ]', '', text)
    return text.replace(' ', '-')


def headings(path):
    """The slugs of a file's headings, in order, numbered as a forge numbers repeats."""
    seen, out, fenced = {}, [], False
    with open(path, encoding='utf-8') as f:
        for line in f:
            if FENCE.match(line):
                fenced = not fenced
                continue
            m = None if fenced else HEADING.match(line)
            if m:
                base = slug(m.group(2))
                n = seen.get(base, 0)
                seen[base] = n + 1
                out.append(base if n == 0 else f'{base}-{n}')
    return out


def rewrite_target(target, path):
    if re.match(r'^[a-z]+:', target):  # http:, https:, mailto:
        return target
    name, _, anchor = target.partition('#')
    if not name:
        return f'#{file_id(path)}-{anchor}'
    full = os.path.normpath(os.path.join(os.path.dirname(os.path.realpath(path)), name))
    if full.endswith('.md') and os.path.isfile(full):
        return f'#{file_id(full)}-{anchor}' if anchor else f'#{page_label(full)}'
    rel = os.path.relpath(full, ROOT)
    if os.path.isdir(full) and os.path.isfile(os.path.join(full, 'README.md')):
        return f'#{page_label(os.path.join(full, "README.md"))}'
    return 'repo/' + rel + ('#' + anchor if anchor else '')


def code_span(span):
    """A Markdown code span as an HTML one whose text Doxygen 1.9 leaves as it is: a span that
    begins with a quote is no typographic quote, and backslashes, at signs, markup and double
    hyphens stay."""
    text = span[1:-1]
    for plain, escaped in (('&', '&amp;'), ('<', '&lt;'), ('>', '&gt;'), ('\\', '\\\\'), ('@', '\\@'),
                           ('*', '\\*'), ('_', '\\_'), ('#', '\\#'), ('%', '\\%'),
                           ('$', '\\$'), ("'", '&apos;'), ('"', '&quot;')):
        text = text.replace(plain, escaped)
    # Doxygen makes -- and --- into dashes, even here: \-- and \--- keep them.
    text = re.sub(r'-{2,}', lambda m: dashes(len(m.group(0))), text)
    return '<code>' + text + '</code>'


def dashes(n):
    """n hyphens (n >= 2) as Doxygen prints them literally: \\--- for three, else \\-- pairs and
    a last single hyphen as it is."""
    return '\\---' if n == 3 else '\\--' * (n // 2) + '-' * (n % 2)


def rewrite_links(line, path):
    parts = re.split(r'(`[^`]*`)', line)
    return ''.join(code_span(p) if p.startswith('`') and len(p) > 1
                   else LINK.sub(lambda m: '](' + rewrite_target(m.group(1), path) + ')', p) for p in parts)


def joined_lines(path):
    """The file's lines, with a code span that a line break splits (an odd count of backquotes
    outside a fence) joined into one line: Doxygen 1.9 does not close such a span."""
    pending, fenced = None, False
    with open(path, encoding='utf-8') as f:
        for line in f:
            if pending is not None:
                line = pending.rstrip('\n') + ' ' + line.lstrip()
                pending = None
            if FENCE.match(line):
                fenced = not fenced
            elif not fenced and line.count('`') % 2 == 1:
                pending = line
                continue
            yield line
    if pending is not None:
        yield pending


def main():
    path = sys.argv[1]
    slugs = iter(headings(path))
    fid, fenced, first, depth = file_id(path), False, True, 0
    for line in joined_lines(path):
        if FENCE.match(line):
            fenced = not fenced
            sys.stdout.write(line)
            continue
        if fenced:
            sys.stdout.write(line)
            continue
        m = HEADING.match(line)
        if m:
            # A heading at most one level below the one before (Doxygen refuses a skipped level).
            level = min(len(m.group(1)), depth + 1)
            depth = level
            label = page_label(path) if first else f'{fid}-{next(slugs)}'
            if first:
                next(slugs)
            # The main page is labelled `index` by Doxygen itself.
            suffix = '' if label == 'index' else f' {{#{label}}}'
            first = False
            sys.stdout.write(f'{"#" * level} {rewrite_links(m.group(2), path)}{suffix}\n')
            continue
        sys.stdout.write(rewrite_links(line, path))


if __name__ == '__main__':
    main()
