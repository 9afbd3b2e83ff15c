#!/usr/bin/env python3
# SPDX-License-Identifier: BSL-1.0
"""Checks every link of a generated HTML site: each local target file exists and each #anchor is
an id or a name in it; and that no code in it shows a typographic dash or quote (what Doxygen
makes of -- or a quote where it should not). Targets under repo/ (files of the repository that the Markdown links to,
markdown_filter.py) are first copied from the source tree. Links to other sites are counted,
not fetched (the check runs without a network).
usage: check_links.py HTML_DIR SOURCE_DIR     exit status 1 when a link is broken
"""
import html.parser
import os
import shutil
import sys
import urllib.parse


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.anchors, self.code_depth, self.mangled_code = [], set(), 0, []

    def handle_endtag(self, tag):
        if tag == 'code' and self.code_depth:
            self.code_depth -= 1

    def handle_data(self, data):
        # Typographic dashes or quotes inside code are a command line the site would print wrong.
        if self.code_depth and any(c in data for c in '\u2013\u2014\u2018\u2019\u201c\u201d'):
            self.mangled_code.append(data.strip()[:60])

    def handle_starttag(self, tag, attrs):
        if tag == 'code':
            self.code_depth += 1
        attrs = dict(attrs)
        for key in ('id', 'name'):
            if attrs.get(key):
                self.anchors.add(attrs[key])
        for key in ('href', 'src'):
            if attrs.get(key) and not (tag == 'link' and attrs.get('rel') in ('preconnect', 'dns-prefetch')):
                self.links.append(attrs[key])


def parse(path, cache):
    if path not in cache:
        page = Page()
        with open(path, encoding='utf-8', errors='replace') as f:
            page.feed(f.read())
        cache[path] = page
    return cache[path]


def main():
    site, source = os.path.realpath(sys.argv[1]), os.path.realpath(sys.argv[2])
    cache, broken, external, checked, copied = {}, [], 0, 0, 0
    pages = [os.path.join(d, f) for d, _, files in os.walk(site) for f in files if f.endswith('.html')]
    for page_path in sorted(pages):
        for text in parse(page_path, cache).mangled_code:
            broken.append(f'{os.path.relpath(page_path, site)}: code with a typographic dash or quote: {text}')
        for link in parse(page_path, cache).links:
            url = urllib.parse.urlsplit(link)
            if url.scheme or link.startswith('//'):
                external += 1
                continue
            if link.startswith('javascript:'):
                continue
            checked += 1
            target = os.path.normpath(os.path.join(os.path.dirname(page_path), urllib.parse.unquote(url.path))) \
                if url.path else page_path
            rel = os.path.relpath(target, site)
            if not os.path.exists(target) and rel.startswith('repo' + os.sep):
                origin = os.path.join(source, rel[len('repo' + os.sep):])
                if os.path.isfile(origin):
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    shutil.copyfile(origin, target)
                    copied += 1
            where = os.path.relpath(page_path, site)
            if not target.startswith(site + os.sep) and target != site:
                broken.append(f'{where}: {link} leaves the site')
            elif not os.path.exists(target):
                broken.append(f'{where}: {link}: no such file')
            elif url.fragment and target.endswith('.html') and url.fragment not in parse(target, cache).anchors:
                broken.append(f'{where}: {link}: no anchor "{url.fragment}"')
    for line in broken:
        print('broken link:', line)
    print(f'check_links: {len(pages)} pages, {checked} local links checked ({copied} repository files copied '
          f'into the site), {external} links to other sites not fetched, {len(broken)} broken')
    return 1 if broken or not pages else 0


if __name__ == '__main__':
    sys.exit(main())
